//! Writing a PFX the way OpenSSL lays it out (certificates in an encrypted safe, the shrouded
//! key in a plain one, an HMAC over both), so that OpenSSL, Windows and Java read it.
use aws_lc_rs::rand::SecureRandom;
use der::asn1::{BmpString, ObjectIdentifier};
use der::Encode;

use super::ber::{seq, tlv};
use super::pbe::{self, MacDigest, Password, Scheme};
use super::read::{CERT_BAG, FRIENDLY_NAME, LOCAL_KEY_ID, SHROUDED_KEY_BAG, X509_CERT};
use super::split::{cert_key, key_id, path_from, public_key_of};
use super::Pkcs12Error;
use crate::toolbox::{chain, describe};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");

/// PBKDF2 and MAC iterations of the AES file; OpenSSL uses 2,048, NSS 600,000.
const AES_ITERATIONS: u32 = 10_000;
/// Old Windows imports use 2,000-2,048 themselves; stay in that range for the legacy file.
const LEGACY_ITERATIONS: u32 = 2_048;

/// What goes into a new file.
pub struct CreateParams<'a> {
    /// The private key as unencrypted PKCS#8 DER.
    pub key: &'a [u8],
    /// Its certificate (DER).
    pub cert: &'a [u8],
    /// Issuer certificates in any order (DER); unrelated ones are left out and reported.
    pub chain: Vec<Vec<u8>>,
    /// friendlyName shown by Windows and used as alias by Java.
    pub friendly_name: Option<&'a str>,
    /// 3DES for key and certificates and a SHA-1 MAC, for Windows before Server 2019.
    pub legacy: bool,
}

/// A new file and what was done with the chain.
#[derive(Debug)]
pub struct Created {
    /// The PFX (DER).
    pub der: Vec<u8>,
    /// Number of chain certificates written after the leaf.
    pub chain_len: usize,
    /// Labels of chain certificates that were not issuers of the leaf (left out).
    pub unrelated: Vec<String>,
}

/// Builds an encrypted, MAC-protected PFX.
pub fn create(p: CreateParams<'_>, password: &[u8], rng: &dyn SecureRandom) -> Result<Created, Pkcs12Error> {
    let pass = Password::new(password)?;
    check_pair(p.key, p.cert)?;
    let mut pool: Vec<Vec<u8>> = Vec::new();
    for c in p.chain {
        chain::parse(&c).map_err(|e| Pkcs12Error::Input(e.to_string()))?;
        if c != p.cert && !pool.contains(&c) {
            pool.push(c);
        }
    }
    let path = path_from(p.cert, &mut pool);
    let (scheme, iterations, digest) = if p.legacy {
        (Scheme::TripleDes, LEGACY_ITERATIONS, MacDigest::Sha1)
    } else {
        (Scheme::Aes256, AES_ITERATIONS, MacDigest::Sha256)
    };
    // localKeyID = SHA-1 of the certificate, as OpenSSL and Windows set it.
    let local_id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, p.cert);
    let attrs = attributes(p.friendly_name, local_id.as_ref())?;

    let mut cert_bags = vec![cert_bag(p.cert, Some(&attrs))];
    cert_bags.extend(path.iter().map(|c| cert_bag(c, None)));
    let (alg, sealed) = pbe::encrypt(scheme, iterations, &seq(&cert_bags), &pass, rng)?;
    let certs_safe = seq(&[
        oid(ID_ENCRYPTED_DATA),
        explicit0(&seq(&[int(0), seq(&[oid(ID_DATA), alg, tlv(0x80, &sealed)])])),
    ]);

    let (alg, sealed_key) = pbe::encrypt(scheme, iterations, p.key, &pass, rng)?;
    let key_bag = seq(&[
        oid(SHROUDED_KEY_BAG),
        explicit0(&seq(&[alg, tlv(0x04, &sealed_key)])),
        attrs,
    ]);
    let key_safe = seq(&[oid(ID_DATA), explicit0(&tlv(0x04, &seq(&[key_bag])))]);

    let auth_safe = seq(&[certs_safe, key_safe]);
    let salt = pbe::random(if p.legacy { 8 } else { 16 }, rng)?;
    let mac = pbe::compute_mac(digest, &pass, &salt, u64::from(iterations), &auth_safe)?;
    let null = [0x05, 0x00];
    let mac_data = seq(&[
        seq(&[seq(&[oid(digest.oid()), null.to_vec()]), tlv(0x04, &mac)]),
        tlv(0x04, &salt),
        int(iterations),
    ]);
    let der = seq(&[
        int(3),
        seq(&[oid(ID_DATA), explicit0(&tlv(0x04, &auth_safe))]),
        mac_data,
    ]);
    Ok(Created {
        der,
        chain_len: path.len(),
        unrelated: pool.iter().map(|c| chain::label(c)).collect(),
    })
}

fn check_pair(key: &[u8], cert: &[u8]) -> Result<(), Pkcs12Error> {
    let key_spki = public_key_of(key)?;
    let cert_spki = cert_key(cert).ok_or_else(|| Pkcs12Error::Input("the certificate is malformed".into()))?;
    if key_id(&key_spki) == key_id(&cert_spki) {
        return Ok(());
    }
    let desc = |s: &[u8]| describe::spki_description(s).unwrap_or_else(|_| "unknown key".into());
    Err(Pkcs12Error::KeyMismatch {
        key: format!(
            "{}, SHA-256 {}",
            desc(&key_spki),
            describe::fingerprint(&key_spki, false)
        ),
        cert: chain::label(cert),
        cert_key: format!(
            "{}, SHA-256 {}",
            desc(&cert_spki),
            describe::fingerprint(&cert_spki, false)
        ),
    })
}

/// The bag attribute SET: friendlyName (optional) and localKeyID, sorted as DER wants.
fn attributes(name: Option<&str>, local_id: &[u8]) -> Result<Vec<u8>, Pkcs12Error> {
    let mut attrs = Vec::new();
    if let Some(n) = name {
        let bmp = BmpString::from_utf8(n)
            .and_then(|b| b.to_der())
            .map_err(|e| Pkcs12Error::Input(format!("friendly name {n:?}: {e}")))?;
        attrs.push(seq(&[oid(FRIENDLY_NAME), tlv(0x31, &bmp)]));
    }
    attrs.push(seq(&[oid(LOCAL_KEY_ID), tlv(0x31, &tlv(0x04, local_id))]));
    attrs.sort();
    Ok(tlv(0x31, &attrs.concat()))
}

fn cert_bag(der: &[u8], attrs: Option<&[u8]>) -> Vec<u8> {
    let value = seq(&[oid(X509_CERT), explicit0(&tlv(0x04, der))]);
    let mut parts = vec![oid(CERT_BAG), explicit0(&value)];
    parts.extend(attrs.map(<[u8]>::to_vec));
    seq(&parts)
}

fn explicit0(inner: &[u8]) -> Vec<u8> {
    tlv(0xA0, inner)
}

fn oid(o: ObjectIdentifier) -> Vec<u8> {
    o.to_der().expect("OIDs encode")
}

fn int(n: u32) -> Vec<u8> {
    n.to_der().expect("integers encode")
}
