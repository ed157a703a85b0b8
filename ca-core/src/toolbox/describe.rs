//! Describing certificates and keys in words: the model `inspect` prints (and `--json` emits),
//! plus the key descriptions `match` and `verify` use in their messages.
use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::ToolError;

/// Days before expiry from which `inspect` warns.
pub const EXPIRES_SOON_DAYS: i64 = 30;

/// A certificate as `inspect` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// Whole days until notAfter (negative once expired).
    pub days_left: i64,
    /// `valid`, `expires-soon`, `expired` or `not-yet-valid`.
    pub status: String,
    pub self_signed: bool,
    pub key: String,
    pub signature_algorithm: String,
    pub san: Vec<String>,
    pub key_usage: Vec<String>,
    pub extended_key_usage: Vec<String>,
    /// `CA:TRUE, pathlen:0`, `CA:FALSE`, or absent.
    pub basic_constraints: Option<String>,
    pub subject_key_id: Option<String>,
    pub authority_key_id: Option<String>,
    pub crl_distribution_points: Vec<String>,
    pub ocsp: Vec<String>,
    pub ca_issuers: Vec<String>,
    pub sha256_fingerprint: String,
    pub sha1_fingerprint: String,
}

/// RFC 5280 key usage names by bit.
const KU_BITS: [&str; 9] = [
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
];

/// Key usage names set in an x509-parser flag word.
pub fn key_usage_names(flags: u16) -> Vec<String> {
    KU_BITS
        .iter()
        .enumerate()
        .filter(|(i, _)| flags >> i & 1 == 1)
        .map(|(_, n)| n.to_string())
        .collect()
}

/// Colon-separated uppercase hex digest of `der`, as `openssl x509 -fingerprint` prints it.
pub fn fingerprint(der: &[u8], sha1: bool) -> String {
    let alg = if sha1 {
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY
    } else {
        &aws_lc_rs::digest::SHA256
    };
    colon_hex(aws_lc_rs::digest::digest(alg, der).as_ref())
}

/// `AB:CD:...` formatting.
pub fn colon_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect::<Vec<_>>().join(":")
}

/// "RSA 2048", "ECDSA P-256", "Ed25519" for a parsed SubjectPublicKeyInfo.
pub fn key_description(spki: &SubjectPublicKeyInfo<'_>) -> String {
    let oid = spki.algorithm.algorithm.to_id_string();
    match oid.as_str() {
        "1.3.101.112" => return "Ed25519".into(),
        "1.3.101.113" => return "Ed448".into(),
        _ => {}
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| match o.to_id_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_string(),
                    "1.3.132.0.34" => "P-384".to_string(),
                    "1.3.132.0.35" => "P-521".to_string(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| "(explicit curve)".into());
            format!("ECDSA {curve}")
        }
        _ => format!("unsupported key {oid}"),
    }
}

/// Key description and SHA-256 of the subjectPublicKey bits, from SPKI DER.
pub fn spki_description(spki_der: &[u8]) -> Result<String, ToolError> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| ToolError::Format(format!("public key is malformed: {e}")))?;
    Ok(key_description(&spki))
}

/// A general name as OpenSSL prints it: `DNS:a.example.com`, `IP Address:192.0.2.1`, ...
pub fn general_name(gn: &GeneralName<'_>) -> String {
    match gn {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::URI(u) => format!("URI:{u}"),
        GeneralName::IPAddress(b) => match b.len() {
            4 => format!(
                "IP:{}",
                std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*b).expect("len 4"))
            ),
            16 => format!(
                "IP:{}",
                std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*b).expect("len 16"))
            ),
            8 | 32 => format!("IP:{} (network/mask)", hex::encode(b)),
            _ => format!("IP:<{} bytes>", b.len()),
        },
        GeneralName::DirectoryName(n) => format!("DirName:{n}"),
        other => format!("{other:?}"),
    }
}

/// Display of a certificate's subject or issuer, RFC 4514 order.
pub fn name_text(n: &x509_parser::x509::X509Name<'_>) -> String {
    x509_parser::x509::X509Name::to_string_with_registry(n, x509_parser::objects::oid_registry())
        .unwrap_or_else(|_| n.to_string())
}

/// Builds the inspection model of one certificate at time `now` (unix seconds).
pub fn certificate(der: &[u8], now: i64) -> Result<CertInfo, ToolError> {
    let (_, c) =
        X509Certificate::from_der(der).map_err(|e| ToolError::Format(format!("certificate is malformed: {e}")))?;
    let nb = c.validity().not_before.timestamp();
    let na = c.validity().not_after.timestamp();
    let days_left = (na - now).div_euclid(86_400);
    let status = if now < nb {
        "not-yet-valid"
    } else if now > na {
        "expired"
    } else if days_left < EXPIRES_SOON_DAYS {
        "expires-soon"
    } else {
        "valid"
    };
    let mut info = CertInfo {
        subject: name_text(c.subject()),
        issuer: name_text(c.issuer()),
        serial: colon_hex(c.raw_serial()),
        not_before: super::verify::fmt_time(nb),
        not_after: super::verify::fmt_time(na),
        days_left,
        status: status.into(),
        self_signed: c.subject().as_raw() == c.issuer().as_raw() && c.verify_signature(None).is_ok(),
        key: key_description(c.public_key()),
        signature_algorithm: sig_alg_name(&c.signature_algorithm.algorithm.to_id_string()),
        san: Vec::new(),
        key_usage: Vec::new(),
        extended_key_usage: Vec::new(),
        basic_constraints: None,
        subject_key_id: None,
        authority_key_id: None,
        crl_distribution_points: Vec::new(),
        ocsp: Vec::new(),
        ca_issuers: Vec::new(),
        sha256_fingerprint: fingerprint(der, false),
        sha1_fingerprint: fingerprint(der, true),
    };
    for ext in c.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(s) => info.san = s.general_names.iter().map(general_name).collect(),
            ParsedExtension::KeyUsage(k) => info.key_usage = key_usage_names(k.flags),
            ParsedExtension::ExtendedKeyUsage(e) => info.extended_key_usage = eku_names(e),
            ParsedExtension::BasicConstraints(b) => {
                info.basic_constraints = Some(match (b.ca, b.path_len_constraint) {
                    (true, Some(n)) => format!("CA:TRUE, pathlen:{n}"),
                    (true, None) => "CA:TRUE".into(),
                    (false, _) => "CA:FALSE".into(),
                })
            }
            ParsedExtension::SubjectKeyIdentifier(k) => info.subject_key_id = Some(colon_hex(k.0)),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                info.authority_key_id = a.key_identifier.as_ref().map(|k| colon_hex(k.0))
            }
            ParsedExtension::CRLDistributionPoints(d) => {
                for p in &d.points {
                    if let Some(DistributionPointName::FullName(names)) = &p.distribution_point {
                        info.crl_distribution_points.extend(names.iter().map(general_name));
                    }
                }
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for ad in &aia.accessdescs {
                    let v = general_name(&ad.access_location);
                    match ad.access_method.to_id_string().as_str() {
                        "1.3.6.1.5.5.7.48.1" => info.ocsp.push(v),
                        "1.3.6.1.5.5.7.48.2" => info.ca_issuers.push(v),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

/// EKU names as profiles spell them.
pub fn eku_names(e: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut v = Vec::new();
    for (set, name) in [
        (e.any, "anyExtendedKeyUsage"),
        (e.server_auth, "serverAuth"),
        (e.client_auth, "clientAuth"),
        (e.code_signing, "codeSigning"),
        (e.email_protection, "emailProtection"),
        (e.time_stamping, "timeStamping"),
        (e.ocsp_signing, "OCSPSigning"),
    ] {
        if set {
            v.push(name.to_string());
        }
    }
    v.extend(e.other.iter().map(|o| o.to_id_string()));
    v
}

fn sig_alg_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        other => other,
    }
    .to_string()
}
