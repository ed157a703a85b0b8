//! Reading a PFX (RFC 7292): check the MAC, decrypt each safe, collect the bags. Tolerates the
//! shapes found in the wild: Windows and macOS (3DES keys, RC2-40 certificates, SHA-1 MAC),
//! OpenSSL 3 (PBES2/AES-256, SHA-256 MAC), OpenSSL `-nomac`, and NSS (BER throughout).
use der::asn1::ObjectIdentifier;
use zeroize::Zeroizing;

use super::ber::{self, Tlv};
use super::pbe::{self, MacDigest, Password};
use super::{Bag, BagContent, Pkcs12, Pkcs12Error};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_ENVELOPED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const PBMAC1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.14");

pub(super) const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
pub(super) const SHROUDED_KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
pub(super) const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const CRL_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.4");
const SECRET_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.5");
const SAFE_CONTENTS_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.6");
pub(super) const X509_CERT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
pub(super) const FRIENDLY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.20");
pub(super) const LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");

/// Parses and decrypts `data` with `password`.
pub fn read(data: &[u8], password: &[u8]) -> Result<Pkcs12, Pkcs12Error> {
    let not_pfx = |e: Pkcs12Error| Pkcs12Error::NotPkcs12(e.to_string());
    let pfx = Tlv::parse(data, "PFX")
        .map_err(not_pfx)?
        .expect(ber::SEQUENCE, "PFX")
        .map_err(not_pfx)?;
    let parts = pfx.children("PFX").map_err(not_pfx)?;
    let version = parts.first().map(|v| v.uint("version")).transpose().map_err(not_pfx)?;
    if version != Some(3) || parts.len() < 2 {
        return Err(Pkcs12Error::NotPkcs12("no PFX version 3 header".into()));
    }
    let auth_safe = auth_safe_octets(&parts[1])?;
    let mut pass = Password::new(password)?;
    let mac = match parts.get(2) {
        Some(mac_data) => {
            let (desc, ok) = check_mac(mac_data, &pass, &auth_safe)?;
            if !ok {
                // Windows writes an empty password as no bytes at all (OpenSSL retries likewise).
                match pass.windows_empty() {
                    Some(alt) if check_mac(mac_data, &alt, &auth_safe)?.1 => pass = alt,
                    _ => return Err(Pkcs12Error::WrongPassword),
                }
            }
            Some(desc)
        }
        None => None,
    };
    let mut bags = Vec::new();
    let safes = Tlv::parse(&auth_safe, "authenticated safe")?.expect(ber::SEQUENCE, "authenticated safe")?;
    for info in safes.children("authenticated safe")? {
        let (contents, protection) = safe_contents(&info, &pass)?;
        // Without a MAC a wrong password can still pass the padding check (1 in 256): the
        // result is then garbage, which is reported the same way.
        let mac_less = mac.is_none() && protection.is_some();
        read_bags(&contents, protection.as_deref(), &pass, &mut bags, 0).map_err(|e| match e {
            Pkcs12Error::Malformed(_) if mac_less => Pkcs12Error::WrongPassword,
            other => other,
        })?;
    }
    Ok(Pkcs12 { bags, mac })
}

/// The octets of the authSafe `data` ContentInfo (the bytes the MAC covers).
fn auth_safe_octets(info: &Tlv<'_>) -> Result<Vec<u8>, Pkcs12Error> {
    let parts = info.children("authSafe")?;
    let oid = parts
        .first()
        .ok_or_else(|| Pkcs12Error::Malformed("empty authSafe".into()))?
        .oid("authSafe")?;
    if oid == ID_SIGNED_DATA {
        return Err(Pkcs12Error::Unsupported(
            "public-key integrity mode (signed authSafe); export the file with a password".into(),
        ));
    }
    if oid != ID_DATA {
        return Err(Pkcs12Error::Malformed(format!("authSafe content type {oid}")));
    }
    let content = parts
        .get(1)
        .filter(|c| c.is_context(0))
        .ok_or_else(|| Pkcs12Error::Malformed("authSafe without content".into()))?;
    content
        .explicit("authSafe")?
        .expect(ber::OCTET_STRING, "authSafe")?
        .octets("authSafe")
}

/// Returns a description of the MAC and whether it verifies with `pass`.
fn check_mac(mac_data: &Tlv<'_>, pass: &Password, data: &[u8]) -> Result<(String, bool), Pkcs12Error> {
    let parts = mac_data.children("MAC")?;
    let digest_info = parts
        .first()
        .ok_or_else(|| Pkcs12Error::Malformed("empty MAC".into()))?;
    let di = digest_info.children("MAC digest")?;
    let [alg, value] = di.as_slice() else {
        return Err(Pkcs12Error::Malformed("MAC digest".into()));
    };
    let oid = alg
        .children("MAC algorithm")?
        .first()
        .ok_or_else(|| Pkcs12Error::Malformed("MAC algorithm".into()))?
        .oid("MAC algorithm")?;
    if oid == PBMAC1 {
        return Err(Pkcs12Error::Unsupported(
            "PBMAC1 integrity (OpenSSL -pbmac1_pbkdf2)".into(),
        ));
    }
    let digest = MacDigest::from_oid(&oid)?;
    let salt = parts
        .get(1)
        .ok_or_else(|| Pkcs12Error::Malformed("MAC without salt".into()))?
        .octets("MAC salt")?;
    // iterations INTEGER DEFAULT 1
    let iterations = match parts.get(2) {
        Some(n) => n.uint("MAC iterations")?,
        None => 1,
    };
    let expected = value.octets("MAC value")?;
    let ok = pbe::verify_mac(digest, pass, &salt, iterations, data, &expected)?;
    Ok((format!("HMAC-{digest:?}, {iterations} iterations").to_uppercase(), ok))
}

/// Decrypts one ContentInfo of the authenticated safe into SafeContents octets, with a
/// description of its encryption (None when not encrypted).
fn safe_contents(info: &Tlv<'_>, pass: &Password) -> Result<(Zeroizing<Vec<u8>>, Option<String>), Pkcs12Error> {
    let parts = info.children("safe")?;
    let oid = parts
        .first()
        .ok_or_else(|| Pkcs12Error::Malformed("empty safe".into()))?
        .oid("safe")?;
    let content = parts
        .get(1)
        .filter(|c| c.is_context(0))
        .ok_or_else(|| Pkcs12Error::Malformed("safe without content".into()))?
        .explicit("safe")?;
    match oid {
        ID_DATA => Ok((
            Zeroizing::new(content.expect(ber::OCTET_STRING, "safe")?.octets("safe")?),
            None,
        )),
        ID_ENCRYPTED_DATA => {
            // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo, [1] attrs OPTIONAL }
            let ed = content
                .expect(ber::SEQUENCE, "encrypted safe")?
                .children("encrypted safe")?;
            let eci = ed
                .get(1)
                .ok_or_else(|| Pkcs12Error::Malformed("encrypted safe without content".into()))?
                .children("encrypted content")?;
            let alg = eci
                .get(1)
                .ok_or_else(|| Pkcs12Error::Malformed("encrypted content algorithm".into()))?;
            // encryptedContent [0] IMPLICIT OCTET STRING: NSS sends it in chunks (constructed).
            let Some(enc) = eci.get(2).filter(|c| c.is_context(0)) else {
                return Ok((Zeroizing::new(Vec::new()), Some(pbe::scheme_name(alg))));
            };
            let plain = pbe::decrypt(alg, &enc.octets("encrypted content")?, pass)?;
            Ok((plain, Some(pbe::scheme_name(alg))))
        }
        ID_ENVELOPED_DATA => Err(Pkcs12Error::Unsupported(
            "public-key privacy mode (enveloped safe); export the file with a password".into(),
        )),
        other => Err(Pkcs12Error::Unsupported(format!("safe content type {other}"))),
    }
}

/// Appends the bags of SafeContents `data` (recursing into nested SafeContents bags).
fn read_bags(
    data: &[u8],
    protection: Option<&str>,
    pass: &Password,
    out: &mut Vec<Bag>,
    depth: usize,
) -> Result<(), Pkcs12Error> {
    if data.is_empty() {
        return Ok(());
    }
    if depth > 4 {
        return Err(Pkcs12Error::Malformed("SafeContents nested too deeply".into()));
    }
    let safe = Tlv::parse(data, "SafeContents")?.expect(ber::SEQUENCE, "SafeContents")?;
    for bag in safe.children("SafeContents")? {
        let parts = bag.children("SafeBag")?;
        let id = parts
            .first()
            .ok_or_else(|| Pkcs12Error::Malformed("empty SafeBag".into()))?
            .oid("SafeBag")?;
        let value = parts
            .get(1)
            .filter(|v| v.is_context(0))
            .ok_or_else(|| Pkcs12Error::Malformed("SafeBag without value".into()))?
            .explicit("SafeBag")?;
        let (friendly_name, local_key_id) = match parts.get(2) {
            Some(attrs) => attributes(attrs)?,
            None => (None, None),
        };
        let (content, encryption) = match id {
            KEY_BAG => (key(&value.to_der()?)?, protection.map(str::to_string)),
            SHROUDED_KEY_BAG => {
                let (der, scheme) = decrypt_epki(&value, pass)?;
                (BagContent::Key(der), Some(scheme))
            }
            CERT_BAG => (certificate(&value)?, protection.map(str::to_string)),
            SAFE_CONTENTS_BAG => {
                read_bags(&value.to_der()?, protection, pass, out, depth + 1)?;
                continue;
            }
            CRL_BAG => (BagContent::Other("CRL".into()), protection.map(str::to_string)),
            SECRET_BAG => (BagContent::Other("secret".into()), protection.map(str::to_string)),
            other => (BagContent::Other(other.to_string()), protection.map(str::to_string)),
        };
        out.push(Bag {
            content,
            friendly_name,
            local_key_id,
            encryption,
        });
    }
    Ok(())
}

/// Decrypts an EncryptedPrivateKeyInfo (a shrouded key bag's value, or the body of an
/// `ENCRYPTED PRIVATE KEY` file) into PKCS#8 DER, with the scheme's name.
pub(super) fn decrypt_epki(epki: &Tlv<'_>, pass: &Password) -> Result<(Zeroizing<Vec<u8>>, String), Pkcs12Error> {
    let parts = epki.children("shrouded key")?;
    let [alg, enc] = parts.as_slice() else {
        return Err(Pkcs12Error::Malformed("shrouded key bag".into()));
    };
    let plain = pbe::decrypt(alg, &enc.octets("shrouded key")?, pass)?;
    // A key that decrypted with valid padding but does not parse: wrong password.
    let der = Tlv::parse(&plain, "key")
        .and_then(|t| t.to_der())
        .map(Zeroizing::new)
        .map_err(|_| Pkcs12Error::WrongPassword)?;
    key(&der).map_err(|_| Pkcs12Error::WrongPassword)?;
    Ok((der, pbe::scheme_name(alg)))
}

fn key(pkcs8: &[u8]) -> Result<BagContent, Pkcs12Error> {
    pkcs8::PrivateKeyInfo::try_from(pkcs8).map_err(|e| Pkcs12Error::Malformed(format!("private key: {e}")))?;
    Ok(BagContent::Key(Zeroizing::new(pkcs8.to_vec())))
}

fn certificate(value: &Tlv<'_>) -> Result<BagContent, Pkcs12Error> {
    let parts = value.children("certificate bag")?;
    let kind = parts
        .first()
        .ok_or_else(|| Pkcs12Error::Malformed("empty certificate bag".into()))?
        .oid("certificate bag")?;
    if kind != X509_CERT {
        return Ok(BagContent::Other(format!("certificate of type {kind}")));
    }
    let der = parts
        .get(1)
        .filter(|v| v.is_context(0))
        .ok_or_else(|| Pkcs12Error::Malformed("certificate bag without value".into()))?
        .explicit("certificate bag")?
        .octets("certificate")?;
    super::super::chain::parse(&der).map_err(|e| Pkcs12Error::Malformed(e.to_string()))?;
    Ok(BagContent::Certificate(der))
}

/// friendlyName and localKeyID from a bag's attribute SET.
fn attributes(attrs: &Tlv<'_>) -> Result<(Option<String>, Option<Vec<u8>>), Pkcs12Error> {
    let mut name = None;
    let mut id = None;
    for attr in attrs.children("bag attributes")? {
        let parts = attr.children("bag attribute")?;
        let (Some(oid), Some(values)) = (parts.first(), parts.get(1)) else {
            continue;
        };
        let first = values.children("attribute values")?.into_iter().next();
        match (oid.oid("attribute")?, first) {
            (FRIENDLY_NAME, Some(v)) if v.is(ber::BMP_STRING) => name = Some(bmp_text(&v.octets("friendlyName")?)),
            (LOCAL_KEY_ID, Some(v)) if v.is(ber::OCTET_STRING) => id = Some(v.octets("localKeyID")?),
            _ => {}
        }
    }
    Ok((name, id))
}

fn bmp_text(b: &[u8]) -> String {
    let units: Vec<u16> = b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}
