//! OCSP responses (RFC 6960 4.2, RFC 5019 profile): a signed BasicOCSPResponse with one
//! SingleResponse per CertID, and the unsigned error responses. The same builder serves live
//! requests (with the client's nonce) and pre-produced responses (one serial, no nonce, as RFC
//! 5019 caches them).
use const_oid::db::rfc6960::ID_PKIX_OCSP_NONCE;
use der::asn1::{BitString, OctetString};
use der::{Decode, Encode};
use time::OffsetDateTime;
use x509_cert::certificate::Certificate;
use x509_cert::ext::pkix::CrlReason;
use x509_cert::ext::Extension;
use x509_ocsp::{
    BasicOcspResponse, CertStatus as RawStatus, OcspGeneralizedTime, OcspResponse, ResponderId, ResponseData,
    RevokedInfo, SingleResponse, Version,
};

use super::ocsp::OcspCertId;
use super::{generalized_time, Reason};
use crate::certbuild::key_identifier;
use crate::error::{Error, OcspError};
use crate::issue::IssuingCa;
use crate::signer::Signer;

/// What the responder asserts about one certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertStatus {
    /// Issued by this CA and not revoked.
    Good,
    /// Revoked at `at` for `reason` (`Unspecified` is sent as no reason, as in CRLs).
    Revoked {
        /// revocationTime.
        at: OffsetDateTime,
        /// revocationReason.
        reason: Reason,
    },
    /// Not known to this responder (RFC 6960 2.2: not issued by a CA it serves, or unknown).
    Unknown,
}

/// One SingleResponse: which certificate, its status, and how long the statement holds.
#[derive(Clone, Debug)]
pub struct SingleStatus<'a> {
    /// The CertID as the client sent it (or as [`OcspCertId::for_serial`] built it).
    pub cert_id: &'a OcspCertId,
    /// The status.
    pub status: CertStatus,
    /// When the status was known to be correct.
    pub this_update: OffsetDateTime,
    /// When newer information will be available. Always sent: RFC 5019 clients cache a
    /// response until then, and without it a response has no defined expiry.
    pub next_update: OffsetDateTime,
}

/// Who signs responses: the CA itself, or a delegated responder whose certificate (EKU
/// OCSPSigning, issued by the same CA) travels in the response so clients can verify it.
pub struct Responder<'a> {
    /// The signing key.
    pub signer: &'a dyn Signer,
    /// The delegated responder's certificate, DER; `None` when the CA signs itself.
    pub cert_der: Option<&'a [u8]>,
}

impl<'a> Responder<'a> {
    /// The issuing CA answers for itself; no certificate is attached (clients have it).
    pub fn issuer(ca: &'a IssuingCa) -> Responder<'a> {
        Responder {
            signer: ca.signer(),
            cert_der: None,
        }
    }

    /// A delegated responder: `cert_der` must hold `signer`'s public key.
    pub fn delegated(signer: &'a dyn Signer, cert_der: &'a [u8]) -> Responder<'a> {
        Responder {
            signer,
            cert_der: Some(cert_der),
        }
    }
}

/// The OCSPResponseStatus values sent without a signature (RFC 6960 4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorStatus {
    /// The request does not parse or breaks the protocol.
    MalformedRequest = 1,
    /// The responder failed (a store error, a signer error).
    InternalError = 2,
    /// The responder is busy or not ready (no responses produced yet).
    TryLater = 3,
    /// The responder does not serve the CA asked about (RFC 5019 2.2.3).
    Unauthorized = 6,
}

/// An unsigned OCSPResponse carrying only `status`. The encoding is fixed:
/// SEQUENCE { ENUMERATED status }.
pub fn error_response(status: ErrorStatus) -> Vec<u8> {
    vec![0x30, 0x03, 0x0a, 0x01, status as u8]
}

/// Builds and signs a successful OCSPResponse: a BasicOCSPResponse with responderID byKey,
/// `produced_at`, one SingleResponse per entry of `answers` (in order), the nonce echoed when
/// `nonce` is given, and the responder certificate when it is delegated. Returns DER.
pub fn build_response(
    responder: &Responder<'_>,
    produced_at: OffsetDateTime,
    answers: &[SingleStatus<'_>],
    nonce: Option<&[u8]>,
) -> Result<Vec<u8>, Error> {
    let bad = |e: der::Error| Error::Build(e.to_string());
    if answers.is_empty() {
        return Err(Error::Build(
            "an OCSP response needs at least one SingleResponse".into(),
        ));
    }
    let certs = match responder.cert_der {
        None => None,
        Some(der) => {
            let cert = Certificate::from_der(der).map_err(|e| Error::Issuer(e.to_string()))?;
            let spki = cert.tbs_certificate.subject_public_key_info.to_der().map_err(bad)?;
            if spki != responder.signer.public_key_der() {
                return Err(OcspError::ResponderKeyMismatch.into());
            }
            Some(vec![cert])
        }
    };
    let mut responses = Vec::with_capacity(answers.len());
    for a in answers {
        responses.push(single_response(a)?);
    }
    let response_extensions = match nonce {
        None => None,
        Some(n) => {
            let value = OctetString::new(n).map_err(bad)?.to_der().map_err(bad)?;
            Some(vec![Extension {
                extn_id: ID_PKIX_OCSP_NONCE,
                critical: false,
                extn_value: OctetString::new(value).map_err(bad)?,
            }])
        }
    };
    // byKey rather than byName: RFC 5019 2.2.2 recommends it, and it survives a re-issued
    // responder certificate with a different name.
    let key_hash = key_identifier(responder.signer.public_key_der())?;
    let tbs = ResponseData {
        version: Version::V1,
        responder_id: ResponderId::ByKey(OctetString::new(key_hash).map_err(bad)?),
        produced_at: ocsp_time(produced_at)?,
        responses,
        response_extensions,
    };
    let signature = responder.signer.sign(&tbs.to_der().map_err(bad)?)?;
    let basic = BasicOcspResponse {
        tbs_response_data: tbs,
        signature_algorithm: responder.signer.algorithm(),
        signature: BitString::from_bytes(&signature).map_err(bad)?,
        certs,
    };
    OcspResponse::successful(basic).map_err(bad)?.to_der().map_err(bad)
}

fn ocsp_time(t: OffsetDateTime) -> Result<OcspGeneralizedTime, Error> {
    generalized_time(t).map(OcspGeneralizedTime).map_err(|message| {
        OcspError::Time {
            time: t.to_string(),
            message,
        }
        .into()
    })
}

fn single_response(a: &SingleStatus<'_>) -> Result<SingleResponse, Error> {
    let cert_status = match a.status {
        CertStatus::Good => RawStatus::good(),
        CertStatus::Unknown => RawStatus::unknown(),
        CertStatus::Revoked { at, reason } => RawStatus::revoked(RevokedInfo {
            revocation_time: ocsp_time(at)?,
            revocation_reason: crl_reason(reason, a)?,
        }),
    };
    Ok(SingleResponse {
        cert_id: a.cert_id.raw.clone(),
        cert_status,
        this_update: ocsp_time(a.this_update)?,
        next_update: Some(ocsp_time(a.next_update)?),
        single_extensions: None,
    })
}

fn crl_reason(reason: Reason, a: &SingleStatus<'_>) -> Result<Option<CrlReason>, Error> {
    Ok(Some(match reason {
        Reason::Unspecified => return Ok(None),
        Reason::KeyCompromise => CrlReason::KeyCompromise,
        Reason::CaCompromise => CrlReason::CaCompromise,
        Reason::AffiliationChanged => CrlReason::AffiliationChanged,
        Reason::Superseded => CrlReason::Superseded,
        Reason::CessationOfOperation => CrlReason::CessationOfOperation,
        Reason::CertificateHold => CrlReason::CertificateHold,
        Reason::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
        Reason::AaCompromise => CrlReason::AaCompromise,
        // removeFromCRL undoes a hold: the certificate is good again, not revoked.
        Reason::RemoveFromCrl => {
            return Err(Error::Build(format!(
                "serial {}: removeFromCRL is not a revocation reason an OCSP response can carry",
                a.cert_id.serial
            )))
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_responses_decode_as_their_status() {
        use x509_ocsp::OcspResponseStatus as S;
        for (status, want) in [
            (ErrorStatus::MalformedRequest, S::MalformedRequest),
            (ErrorStatus::InternalError, S::InternalError),
            (ErrorStatus::TryLater, S::TryLater),
            (ErrorStatus::Unauthorized, S::Unauthorized),
        ] {
            let r = OcspResponse::from_der(&error_response(status)).unwrap();
            assert_eq!(r.response_status, want);
            assert!(r.response_bytes.is_none());
        }
    }
}
