//! Revocation: RFC 5280 reason codes, full and delta CRLs, and OCSP (RFC 6960 with the RFC 5019
//! profile). Everything here is pure: times, signers and the revocation state come in as
//! parameters; the store and the server decide when to build what.
mod crl;
mod ocsp;
mod ocsp_response;
mod reason;
mod tlv;

pub use crl::{build_crl, sign_crl, CrlEntry, CrlParams};
pub use ocsp::{decode_get_path, parse_request, HashAlg, IssuerHashes, OcspCertId, OcspRequestInfo, MAX_CERT_IDS};
pub use ocsp_response::{build_response, error_response, CertStatus, ErrorStatus, Responder, SingleStatus};
pub use reason::Reason;

use der::asn1::GeneralizedTime;
use time::OffsetDateTime;

/// A GeneralizedTime with whole seconds (RFC 5280 4.1.2.5.2 and RFC 6960 forbid fractions).
/// Returns the reason as text when `t` is before 1970 or past 9999.
fn generalized_time(t: OffsetDateTime) -> Result<GeneralizedTime, String> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| "time before 1970".to_string())?;
    GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(secs)).map_err(|e| e.to_string())
}
