//! Key usage and extended key usage names, and which usages suit which key and template kind.
use const_oid::db::rfc5280;
use const_oid::ObjectIdentifier;
use flagset::FlagSet;
use x509_cert::ext::pkix::KeyUsages;

use super::ProfileKind;
use crate::csr::KeyInfo;

/// A set of RFC 5280 key usage bits.
pub type KeyUsageSet = FlagSet<KeyUsages>;

const KU_NAMES: &[(&str, KeyUsages)] = &[
    ("digitalSignature", KeyUsages::DigitalSignature),
    ("contentCommitment", KeyUsages::NonRepudiation),
    ("nonRepudiation", KeyUsages::NonRepudiation),
    ("keyEncipherment", KeyUsages::KeyEncipherment),
    ("dataEncipherment", KeyUsages::DataEncipherment),
    ("keyAgreement", KeyUsages::KeyAgreement),
    ("keyCertSign", KeyUsages::KeyCertSign),
    ("cRLSign", KeyUsages::CRLSign),
    ("encipherOnly", KeyUsages::EncipherOnly),
    ("decipherOnly", KeyUsages::DecipherOnly),
];

const EKU_NAMES: &[(&str, ObjectIdentifier)] = &[
    ("serverAuth", rfc5280::ID_KP_SERVER_AUTH),
    ("clientAuth", rfc5280::ID_KP_CLIENT_AUTH),
    ("codeSigning", rfc5280::ID_KP_CODE_SIGNING),
    ("emailProtection", rfc5280::ID_KP_EMAIL_PROTECTION),
    ("timeStamping", rfc5280::ID_KP_TIME_STAMPING),
    ("OCSPSigning", rfc5280::ID_KP_OCSP_SIGNING),
];

/// Parses key usage names into a set.
pub fn parse_key_usage(names: &[String]) -> Result<KeyUsageSet, String> {
    let mut set = KeyUsageSet::default();
    for n in names {
        let bit = KU_NAMES
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, b)| *b)
            .ok_or_else(|| format!("unknown key usage {n:?}"))?;
        set |= bit;
    }
    if set.is_empty() {
        return Err("at least one key usage is needed".into());
    }
    Ok(set)
}

/// RFC 5280 names of the bits in a set.
pub fn key_usage_names(set: KeyUsageSet) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (n, b) in KU_NAMES {
        if set.contains(*b) && *n != "nonRepudiation" {
            out.push(n);
        }
    }
    out
}

/// The OID for an EKU name or dotted OID.
pub fn eku_oid(name: &str) -> Option<ObjectIdentifier> {
    EKU_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, o)| *o)
        .or_else(|| ObjectIdentifier::new(name).ok())
}

/// The name of an EKU OID, or its dotted form.
pub fn eku_name(oid: &ObjectIdentifier) -> String {
    EKU_NAMES
        .iter()
        .find(|(_, o)| o == oid)
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| oid.to_string())
}

/// A CA template must be able to sign certificates; a leaf must not.
pub(super) fn check_for_kind(kind: ProfileKind, ku: KeyUsageSet) -> Result<(), String> {
    let ca_bits = KeyUsages::KeyCertSign | KeyUsages::CRLSign;
    match kind {
        ProfileKind::Ca { .. } if !ku.contains(KeyUsages::KeyCertSign) => Err("a CA profile needs keyCertSign".into()),
        ProfileKind::Leaf | ProfileKind::OcspSigner if !(ku & ca_bits).is_empty() => {
            Err("keyCertSign and cRLSign are for CA profiles only".into())
        }
        _ => Ok(()),
    }
}

/// The template's usages that the key can actually perform: keyEncipherment and
/// dataEncipherment need RSA, keyAgreement needs an EC key (RFC 5480, RFC 8410).
pub fn usable_for_key(ku: KeyUsageSet, key: &KeyInfo) -> KeyUsageSet {
    let mut out = ku;
    if !matches!(key, KeyInfo::Rsa { .. }) {
        out -= KeyUsages::KeyEncipherment | KeyUsages::DataEncipherment;
    }
    if !matches!(key, KeyInfo::Ec { .. }) {
        out -= KeyUsages::KeyAgreement | KeyUsages::EncipherOnly | KeyUsages::DecipherOnly;
    }
    out
}
