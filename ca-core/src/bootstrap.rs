//! CA certificates: the self-signed root and the intermediates it signs. Leaves never come from
//! here; they go through the issuance pipeline.
use flagset::FlagSet;
use time::{Duration, OffsetDateTime};
use x509_cert::ext::pkix::KeyUsages;
use x509_cert::name::Name;

use crate::certbuild::{key_identifier, sign_certificate, CertSpec};
use crate::error::Error;
use crate::ext;
use crate::issue::{IssuerUrls, IssuingCa, BACKDATE};
use crate::serial::Serial;
use crate::signer::Signer;

/// Default root validity: ten years.
pub const ROOT_DAYS: i64 = 3650;
/// Default intermediate validity: five years.
pub const INTERMEDIATE_DAYS: i64 = 1826;

/// A self-signed root: CA:TRUE, keyCertSign + cRLSign, SKI (no AKI: RFC 5280 lets a
/// self-signed certificate omit it).
pub fn root_certificate(
    subject: &Name,
    signer: &dyn Signer,
    days: i64,
    serial: &Serial,
    now: OffsetDateTime,
) -> Result<Vec<u8>, Error> {
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let spki = signer.public_key_der().to_vec();
    let extensions = vec![
        ext::basic_constraints(true, None)?,
        ext::key_usage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)?,
        ext::subject_key_id(&key_identifier(&spki)?)?,
    ];
    let spec = CertSpec {
        serial,
        subject,
        spki_der: &spki,
        not_before: now - BACKDATE,
        not_after: now + Duration::days(days),
        extensions,
    };
    sign_certificate(spec, subject, signer)
}

/// An intermediate signed by `root`: CA:TRUE with `path_len`, keyCertSign + cRLSign +
/// digitalSignature (so it can sign OCSP responses itself), SKI/AKI, and the root's CDP/AIA.
pub fn intermediate_certificate(
    root: &IssuingCa,
    subject: &Name,
    spki_der: &[u8],
    path_len: Option<u8>,
    days: i64,
    serial: &Serial,
    now: OffsetDateTime,
) -> Result<Vec<u8>, Error> {
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let ku: FlagSet<KeyUsages> = KeyUsages::KeyCertSign | KeyUsages::CRLSign | KeyUsages::DigitalSignature;
    let mut extensions = vec![
        ext::basic_constraints(true, path_len)?,
        ext::key_usage(ku)?,
        ext::subject_key_id(&key_identifier(spki_der)?)?,
        ext::authority_key_id(root.ski())?,
    ];
    let IssuerUrls { crl, ca_issuers, .. } = &root.urls;
    if !crl.is_empty() {
        extensions.push(ext::crl_distribution_points(crl)?);
    }
    if !ca_issuers.is_empty() {
        extensions.push(ext::authority_info_access(&[], ca_issuers)?);
    }
    let not_after = (now + Duration::days(days)).min(root.not_after());
    let spec = CertSpec {
        serial,
        subject,
        spki_der,
        not_before: now - BACKDATE,
        not_after,
        extensions,
    };
    sign_certificate(spec, root.subject(), root.signer())
}
