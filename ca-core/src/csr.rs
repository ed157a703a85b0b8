//! [`CertRequest`]: a PKCS#10 CSR that has been parsed AND whose self-signature verified. Nothing
//! else in the pipeline sees raw CSR bytes, so an unverified request cannot be issued.
use std::net::IpAddr;

use der::Decode;
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

use crate::error::CsrError;

/// The public key of a request, as policy sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyInfo {
    Rsa { bits: usize },
    Ec { curve: String },
    Ed25519,
    Other(String),
}

impl KeyInfo {
    /// The key of a SubjectPublicKeyInfo (DER), e.g. of a certificate being renewed.
    pub fn from_spki_der(der: &[u8]) -> Result<KeyInfo, CsrError> {
        let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| CsrError::UnsupportedKey(e.to_string()))?;
        key_info(&spki)
    }

    /// Short family name used in policy and listings: rsa, ecdsa, ed25519.
    pub fn family(&self) -> &str {
        match self {
            KeyInfo::Rsa { .. } => "rsa",
            KeyInfo::Ec { .. } => "ecdsa",
            KeyInfo::Ed25519 => "ed25519",
            KeyInfo::Other(_) => "other",
        }
    }
}

impl std::fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyInfo::Rsa { bits } => write!(f, "RSA {bits}"),
            KeyInfo::Ec { curve } => write!(f, "ECDSA {curve}"),
            KeyInfo::Ed25519 => f.write_str("Ed25519"),
            KeyInfo::Other(o) => write!(f, "unsupported ({o})"),
        }
    }
}

/// A requested subject alternative name, before policy filters it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum San {
    Dns(String),
    Ip(IpAddr),
    Email(String),
}

impl std::fmt::Display for San {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            San::Dns(d) => write!(f, "DNS:{d}"),
            San::Ip(i) => write!(f, "IP:{i}"),
            San::Email(e) => write!(f, "email:{e}"),
        }
    }
}

/// A verified certificate request.
#[derive(Clone, Debug)]
pub struct CertRequest {
    der: Vec<u8>,
    subject: Name,
    spki_der: Vec<u8>,
    key: KeyInfo,
    sans: Vec<San>,
}

/// Largest CSR accepted; real ones are a few KiB, so anything bigger is hostile or a mistake.
pub const MAX_CSR_BYTES: usize = 64 * 1024;

impl CertRequest {
    /// Parses a CSR in PEM (`CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`) or DER and
    /// verifies its self-signature.
    pub fn parse(data: &[u8]) -> Result<Self, CsrError> {
        if data.len() > MAX_CSR_BYTES {
            return Err(CsrError::Encoding(format!(
                "{} bytes is over the {} byte limit",
                data.len(),
                MAX_CSR_BYTES
            )));
        }
        let der = to_der(data)?;
        let (rest, parsed) =
            X509CertificationRequest::from_der(&der).map_err(|e| CsrError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CsrError::Malformed(format!("{} bytes of trailing data", rest.len())));
        }
        let info = &parsed.certification_request_info;
        let key = key_info(&info.subject_pki)?;
        // Name a weak key as such: its signature could not be verified anyway.
        if let KeyInfo::Rsa { bits } = key {
            if bits < 2048 {
                return Err(CsrError::WeakRsaKey { bits });
            }
        }
        parsed.verify_signature().map_err(|_| CsrError::BadSignature)?;
        let mut sans = Vec::new();
        if let Some(exts) = parsed.requested_extensions() {
            for ext in exts {
                if let ParsedExtension::SubjectAlternativeName(san) = ext {
                    for gn in &san.general_names {
                        sans.push(general_name(gn)?);
                    }
                }
            }
        }
        // x509-cert gives the subject as an owned, re-encodable Name (repeated RDNs intact).
        let typed = CertReq::from_der(&der).map_err(|e| CsrError::Malformed(e.to_string()))?;
        Ok(CertRequest {
            spki_der: info.subject_pki.raw.to_vec(),
            subject: typed.info.subject,
            key,
            sans,
            der,
        })
    }

    /// The request as DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// The requested subject.
    pub fn subject(&self) -> &Name {
        &self.subject
    }
    /// The SubjectPublicKeyInfo exactly as requested; it goes into the certificate unchanged.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }
    /// The key as policy sees it.
    pub fn key(&self) -> &KeyInfo {
        &self.key
    }
    /// SAN values the CSR asks for (policy decides what is kept).
    pub fn requested_sans(&self) -> &[San] {
        &self.sans
    }
}

/// The SANs of an issued certificate (DER), in order; used when renewing it.
pub fn certificate_sans(cert_der: &[u8]) -> Result<Vec<San>, CsrError> {
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(cert_der)
        .map_err(|e| CsrError::Malformed(e.to_string()))?;
    match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext.value.general_names.iter().map(general_name).collect(),
        Ok(None) => Ok(vec![]),
        Err(e) => Err(CsrError::Malformed(e.to_string())),
    }
}

fn to_der(data: &[u8]) -> Result<Vec<u8>, CsrError> {
    let text = match std::str::from_utf8(data) {
        Ok(t) if t.contains("-----BEGIN") => t,
        _ => {
            return if data.first() == Some(&0x30) {
                Ok(data.to_vec())
            } else {
                Err(CsrError::Encoding("no PEM header and not a DER SEQUENCE".into()))
            }
        }
    };
    for block in crate::pem::blocks(text) {
        let (label, der) = der::pem::decode_vec(block.as_bytes()).map_err(|e| CsrError::Encoding(e.to_string()))?;
        if label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST" {
            return Ok(der);
        }
    }
    Err(CsrError::Encoding("PEM has no CERTIFICATE REQUEST block".into()))
}

fn key_info(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Result<KeyInfo, CsrError> {
    let parsed = spki.parsed().map_err(|e| CsrError::UnsupportedKey(e.to_string()))?;
    Ok(match parsed {
        PublicKey::RSA(rsa) => KeyInfo::Rsa { bits: rsa.key_size() },
        PublicKey::EC(_) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| match oid.to_id_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_string(),
                    "1.3.132.0.34" => "P-384".to_string(),
                    "1.3.132.0.35" => "P-521".to_string(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| "unnamed curve".into());
            KeyInfo::Ec { curve }
        }
        _ if spki.algorithm.algorithm.to_id_string() == "1.3.101.112" => KeyInfo::Ed25519,
        _ => KeyInfo::Other(spki.algorithm.algorithm.to_id_string()),
    })
}

fn general_name(gn: &GeneralName<'_>) -> Result<San, CsrError> {
    match gn {
        GeneralName::DNSName(d) => Ok(San::Dns(d.to_string())),
        GeneralName::RFC822Name(e) => Ok(San::Email(e.to_string())),
        GeneralName::IPAddress(b) => match b.len() {
            4 => Ok(San::Ip(IpAddr::from(<[u8; 4]>::try_from(*b).expect("len 4")))),
            16 => Ok(San::Ip(IpAddr::from(<[u8; 16]>::try_from(*b).expect("len 16")))),
            n => Err(CsrError::Malformed(format!("IP SAN of {n} bytes"))),
        },
        other => Err(CsrError::Malformed(format!("unsupported SAN type {other:?}"))),
    }
}
