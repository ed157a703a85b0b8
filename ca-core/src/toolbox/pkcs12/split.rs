//! Splitting a PKCS#12 file into the key, its certificate (matched by public key, not by the
//! localKeyID attribute, which some exporters omit or number 01 00 00 00 for every key), and
//! the rest of the chain ordered issuer-first, root last.
use der::{Decode, Encode};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;
use zeroize::Zeroizing;

use super::{Pkcs12, Pkcs12Error};
use crate::keys::KeyPair;
use crate::signer::Signer;
use crate::toolbox::{chain, describe};

/// Key, leaf and chain taken out of a file.
#[derive(Debug)]
pub struct Split {
    /// Unencrypted PKCS#8 DER.
    pub key: Zeroizing<Vec<u8>>,
    /// "RSA 2048", "ECDSA P-256", ...
    pub key_description: String,
    /// The certificate of the key.
    pub leaf: Vec<u8>,
    /// Its issuers, nearest first, the root (if present) last.
    pub chain: Vec<Vec<u8>>,
    /// Labels of certificates that are not on the leaf's path (left out of `chain`).
    pub unrelated: Vec<String>,
}

/// The SubjectPublicKeyInfo (DER) of a PKCS#8 private key. Keys aws-lc-rs will not sign with
/// (RSA below 2048 bits, as in old Windows exports) still have their public key read.
pub fn public_key_of(pkcs8_der: &[u8]) -> Result<Vec<u8>, Pkcs12Error> {
    if let Ok(kp) = KeyPair::from_pkcs8_der(pkcs8_der) {
        return Ok(kp.public_key_der().to_vec());
    }
    let info =
        pkcs8::PrivateKeyInfo::try_from(pkcs8_der).map_err(|e| Pkcs12Error::Input(format!("private key: {e}")))?;
    if info.algorithm.oid == const_oid::db::rfc5912::RSA_ENCRYPTION {
        let rsa = pkcs1::RsaPrivateKey::from_der(info.private_key)
            .map_err(|e| Pkcs12Error::Input(format!("RSA private key: {e}")))?;
        let public = pkcs1::RsaPublicKey {
            modulus: rsa.modulus,
            public_exponent: rsa.public_exponent,
        };
        let bits = public.to_der().map_err(|e| Pkcs12Error::Input(e.to_string()))?;
        let spki = spki::SubjectPublicKeyInfoRef {
            algorithm: info.algorithm,
            subject_public_key: der::asn1::BitStringRef::from_bytes(&bits)
                .map_err(|e| Pkcs12Error::Input(e.to_string()))?,
        };
        return spki.to_der().map_err(|e| Pkcs12Error::Input(e.to_string()));
    }
    if info.algorithm.oid == const_oid::db::rfc5912::ID_EC_PUBLIC_KEY {
        let ec = sec1::EcPrivateKey::from_der(info.private_key)
            .map_err(|e| Pkcs12Error::Input(format!("EC private key: {e}")))?;
        if let Some(point) = ec.public_key {
            let spki = spki::SubjectPublicKeyInfoRef {
                algorithm: info.algorithm,
                subject_public_key: der::asn1::BitStringRef::from_bytes(point)
                    .map_err(|e| Pkcs12Error::Input(e.to_string()))?,
            };
            return spki.to_der().map_err(|e| Pkcs12Error::Input(e.to_string()));
        }
    }
    Err(Pkcs12Error::Input(format!(
        "unsupported private key algorithm {}",
        info.algorithm.oid
    )))
}

/// Algorithm OID and key bits: equal for the same key whatever the encoding of parameters.
pub(super) fn key_id(spki_der: &[u8]) -> Option<(String, Vec<u8>)> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der).ok()?;
    Some((
        spki.algorithm.algorithm.to_id_string(),
        spki.subject_public_key.data.to_vec(),
    ))
}

/// The SPKI of a certificate.
pub(super) fn cert_key(der: &[u8]) -> Option<Vec<u8>> {
    chain::parse(der).ok().map(|c| c.public_key().raw.to_vec())
}

/// Finds the one key, its certificate and the chain.
pub fn split(p: &Pkcs12) -> Result<Split, Pkcs12Error> {
    let keys: Vec<&[u8]> = p.keys().collect();
    let certs: Vec<&[u8]> = p.certificates().collect();
    let key = match keys.as_slice() {
        [] => return Err(Pkcs12Error::NoKey { certs: certs.len() }),
        [one] => *one,
        many => return Err(Pkcs12Error::SeveralKeys(many.len())),
    };
    let spki = public_key_of(key)?;
    let key_description = describe::spki_description(&spki).map_err(|e| Pkcs12Error::Input(e.to_string()))?;
    let mine = key_id(&spki);
    let leaf = certs
        .iter()
        .find(|c| cert_key(c).and_then(|k| key_id(&k)) == mine)
        .ok_or_else(|| Pkcs12Error::NoMatchingCertificate {
            key: key_description.clone(),
            certs: certs.len(),
        })?
        .to_vec();
    let mut pool: Vec<Vec<u8>> = Vec::new();
    for c in certs {
        if c != leaf.as_slice() && !pool.iter().any(|p| p == c) {
            pool.push(c.to_vec());
        }
    }
    let chain = path_from(&leaf, &mut pool);
    Ok(Split {
        key: Zeroizing::new(key.to_vec()),
        key_description,
        leaf,
        chain,
        unrelated: pool.iter().map(|c| chain::label(c)).collect(),
    })
}

/// Takes the issuers of `leaf` out of `pool`, nearest first, up to a self-signed root.
pub(super) fn path_from(leaf: &[u8], pool: &mut Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut cur = leaf.to_vec();
    while !chain::is_self_signed(&cur) {
        match pool.iter().position(|p| chain::issued_by(&cur, p)) {
            Some(i) => {
                cur = pool.remove(i);
                path.push(cur.clone());
            }
            None => break,
        }
    }
    path
}
