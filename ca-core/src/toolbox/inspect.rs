//! `inspect`: what a file holds (guide 004 Appendix C: "whether the file is a private key, a
//! certificate, a CSR or unknown ... information about each element of the bundle"), PEM or DER.
use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::describe::{self, CertInfo};
use super::keyfile::{self, raw_blocks};
use super::ToolError;
use crate::keys::KeyPair;
use crate::signer::Signer;

/// One element of an inspected file.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Item {
    /// A private key; `key` is known only when it is not encrypted.
    PrivateKey {
        storage: String,
        encrypted: bool,
        key: Option<String>,
    },
    /// A SubjectPublicKeyInfo.
    PublicKey { key: String, sha256: String },
    /// A certificate.
    Certificate(Box<CertInfo>),
    /// A PKCS#10 request.
    Csr {
        subject: String,
        key: String,
        san: Vec<String>,
        signature_valid: bool,
    },
    /// A CRL.
    Crl {
        issuer: String,
        this_update: String,
        next_update: Option<String>,
        revoked: usize,
    },
    /// A PKCS#12 file: its contents need the password.
    Pkcs12,
    /// Something else (its PEM label, or "unknown DER").
    Unknown { what: String },
}

/// Inspects PEM (every block) or DER (one object) at time `now` (unix seconds).
pub fn inspect(data: &[u8], now: i64) -> Result<Vec<Item>, ToolError> {
    if let Some(text) = std::str::from_utf8(data).ok().filter(|t| t.contains("-----BEGIN")) {
        let mut items = Vec::new();
        for block in raw_blocks(text) {
            let item = match block.label.as_str() {
                l if l.ends_with("PRIVATE KEY") => match keyfile::from_block(&block)? {
                    Some(kf) => key_item(&kf)?,
                    None => Item::Unknown { what: l.to_string() },
                },
                _ => {
                    let der = block.decode()?;
                    match block.label.as_str() {
                        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                            Item::Certificate(Box::new(describe::certificate(&der, now)?))
                        }
                        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => csr(&der)?,
                        "X509 CRL" => crl(&der)?,
                        "PUBLIC KEY" => public_key(&der)?,
                        "PKCS12" => Item::Pkcs12,
                        other => Item::Unknown {
                            what: other.to_string(),
                        },
                    }
                }
            };
            items.push(item);
        }
        if items.is_empty() {
            return Err(ToolError::Format("no PEM block found".into()));
        }
        return Ok(items);
    }
    Ok(vec![inspect_der(data, now)?])
}

fn inspect_der(der: &[u8], now: i64) -> Result<Item, ToolError> {
    if X509Certificate::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()) {
        return Ok(Item::Certificate(Box::new(describe::certificate(der, now)?)));
    }
    if X509CertificationRequest::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()) {
        return csr(der);
    }
    if CertificateRevocationList::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()) {
        return crl(der);
    }
    if let Ok(item) = private_key(der) {
        return Ok(item);
    }
    if SubjectPublicKeyInfo::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()) {
        return public_key(der);
    }
    if looks_like_pkcs12(der) {
        return Ok(Item::Pkcs12);
    }
    Ok(Item::Unknown {
        what: "unrecognised data (not PEM, and not a DER certificate, CSR, CRL, key or PKCS#12)".into(),
    })
}

/// PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, ... }.
pub fn looks_like_pkcs12(der: &[u8]) -> bool {
    // 30 <len> 02 01 03: skip the outer length (short or long form) and look for INTEGER 3.
    if der.first() != Some(&0x30) || der.len() < 8 {
        return false;
    }
    let skip = match der[1] {
        n if n < 0x80 => 2,
        n => 2 + (n & 0x7f) as usize,
    };
    der.get(skip..skip + 3) == Some(&[0x02, 0x01, 0x03][..])
}

fn private_key(data: &[u8]) -> Result<Item, ToolError> {
    key_item(&keyfile::read_key(data)?)
}

fn key_item(kf: &keyfile::KeyFile) -> Result<Item, ToolError> {
    let key = if kf.is_encrypted() {
        None
    } else {
        let der = kf.pkcs8(None)?;
        Some(match KeyPair::from_pkcs8_der(&der) {
            Ok(kp) => describe::spki_description(kp.public_key_der())?,
            Err(e) => format!("unsupported ({e})"),
        })
    };
    Ok(Item::PrivateKey {
        storage: kf.storage(),
        encrypted: kf.is_encrypted(),
        key,
    })
}

fn public_key(der: &[u8]) -> Result<Item, ToolError> {
    Ok(Item::PublicKey {
        key: describe::spki_description(der)?,
        sha256: describe::fingerprint(der, false),
    })
}

fn csr(der: &[u8]) -> Result<Item, ToolError> {
    let (_, req) =
        X509CertificationRequest::from_der(der).map_err(|e| ToolError::Format(format!("CSR is malformed: {e}")))?;
    let info = &req.certification_request_info;
    let mut san = Vec::new();
    if let Some(exts) = req.requested_extensions() {
        for e in exts {
            if let x509_parser::extensions::ParsedExtension::SubjectAlternativeName(s) = e {
                san.extend(s.general_names.iter().map(describe::general_name));
            }
        }
    }
    Ok(Item::Csr {
        subject: describe::name_text(&info.subject),
        key: describe::key_description(&info.subject_pki),
        san,
        signature_valid: req.verify_signature().is_ok(),
    })
}

fn crl(der: &[u8]) -> Result<Item, ToolError> {
    let (_, crl) =
        CertificateRevocationList::from_der(der).map_err(|e| ToolError::Format(format!("CRL is malformed: {e}")))?;
    Ok(Item::Crl {
        issuer: describe::name_text(crl.issuer()),
        this_update: super::verify::fmt_time(crl.last_update().timestamp()),
        next_update: crl.next_update().map(|t| super::verify::fmt_time(t.timestamp())),
        revoked: crl.iter_revoked_certificates().count(),
    })
}

/// The PEM label for a DER object (certificate, CSR, CRL, key or public key), for `convert`.
pub fn der_label(der: &[u8]) -> Option<&'static str> {
    if X509Certificate::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()) {
        return Some("CERTIFICATE");
    }
    if X509CertificationRequest::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()) {
        return Some("CERTIFICATE REQUEST");
    }
    if CertificateRevocationList::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()) {
        return Some("X509 CRL");
    }
    if pkcs8::PrivateKeyInfo::try_from(der).is_ok() {
        return Some("PRIVATE KEY");
    }
    if pkcs8::EncryptedPrivateKeyInfo::try_from(der).is_ok() || super::pkcs12::pkcs8_scheme(der).is_some() {
        return Some("ENCRYPTED PRIVATE KEY");
    }
    if <pkcs1::RsaPrivateKey as der::Decode>::from_der(der).is_ok() {
        return Some("RSA PRIVATE KEY");
    }
    if <sec1::EcPrivateKey as der::Decode>::from_der(der).is_ok() {
        return Some("EC PRIVATE KEY");
    }
    if SubjectPublicKeyInfo::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()) {
        return Some("PUBLIC KEY");
    }
    None
}
