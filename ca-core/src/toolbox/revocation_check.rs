//! Relying-party revocation checks for `verify --crl/--crl-url/--ocsp` (guide 002): is a
//! certificate on its issuer's CRL, and what does the issuer's OCSP responder say. Pure: the
//! CLI fetches the CRL and posts the request; this builds the request and judges the answers,
//! checking signatures, issuers and freshness. A check that cannot decide says why
//! ([`RevocationStatus::Undetermined`]) so the caller can apply its fallback policy.
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use const_oid::db::rfc5280::ID_KP_OCSP_SIGNING;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION,
    SHA_512_WITH_RSA_ENCRYPTION,
};
use const_oid::db::rfc8410::ID_ED_25519;
use const_oid::ObjectIdentifier;
use der::asn1::{Null, OctetString};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::certificate::Certificate;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::serial_number::SerialNumber;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, TbsRequest,
};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::chain::{issued_by, parse};
use super::ToolError;
use crate::revocation::{HashAlg, IssuerHashes};

/// What a CRL or OCSP check concluded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum RevocationStatus {
    /// Not revoked according to a valid, current source.
    Good,
    /// Revoked at `at` (unix seconds) for `reason`.
    Revoked { at: i64, reason: String },
    /// No decision: why (stale CRL, bad signature, unknown to the responder, ...).
    Undetermined { why: String },
}

fn undetermined(why: impl Into<String>) -> RevocationStatus {
    RevocationStatus::Undetermined { why: why.into() }
}

/// Looks `leaf` up in `crl` (DER or PEM) of `issuer` at `at` (unix seconds).
pub fn check_crl(leaf: &[u8], issuer: &[u8], crl: &[u8], at: i64) -> Result<RevocationStatus, ToolError> {
    let der = match crate::pem::decode_all(&String::from_utf8_lossy(crl)) {
        Ok(blocks) if !blocks.is_empty() => blocks[0].1.clone(),
        _ => crl.to_vec(),
    };
    let (_, list) = CertificateRevocationList::from_der(&der)
        .map_err(|e| ToolError::Format(format!("the CRL is malformed: {e}")))?;
    let (leaf, issuer) = (parse(leaf)?, parse(issuer)?);
    if list.issuer().as_raw() != issuer.subject().as_raw() {
        return Ok(undetermined(format!(
            "the CRL is issued by {}, not {}",
            list.issuer(),
            issuer.subject()
        )));
    }
    if list.verify_signature(issuer.public_key()).is_err() {
        return Ok(undetermined("the CRL signature does not verify with the issuer's key"));
    }
    if list.last_update().timestamp() > at {
        return Ok(undetermined("the CRL's thisUpdate is in the future"));
    }
    match list.next_update() {
        Some(t) if t.timestamp() < at => {
            return Ok(undetermined(format!(
                "the CRL expired at {}",
                super::verify::fmt_time(t.timestamp())
            )))
        }
        None => return Ok(undetermined("the CRL has no nextUpdate")),
        _ => {}
    }
    for r in list.iter_revoked_certificates() {
        if r.raw_serial() == leaf.raw_serial() {
            let reason = r
                .reason_code()
                .map(|(_, c)| reason_name(c.0))
                .unwrap_or("unspecified")
                .to_string();
            return Ok(RevocationStatus::Revoked {
                at: r.revocation_date.timestamp(),
                reason,
            });
        }
    }
    Ok(RevocationStatus::Good)
}

/// The OCSP request (DER, SHA-1 CertID as RFC 5019 clients send, no nonce) for `leaf`.
pub fn ocsp_request(leaf: &[u8], issuer: &[u8]) -> Result<Vec<u8>, ToolError> {
    let bad = |e: der::Error| ToolError::Format(e.to_string());
    let req = OcspRequest {
        tbs_request: TbsRequest {
            version: Default::default(),
            requestor_name: None,
            request_list: vec![Request {
                req_cert: cert_id(leaf, issuer)?,
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    };
    req.to_der().map_err(bad)
}

fn cert_id(leaf: &[u8], issuer: &[u8]) -> Result<CertId, ToolError> {
    let bad = |e: der::Error| ToolError::Format(e.to_string());
    let hashes = IssuerHashes::from_cert_der(issuer)?;
    let leaf = parse(leaf)?;
    Ok(CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: HashAlg::Sha1.oid(),
            parameters: Some(Null.into()),
        },
        issuer_name_hash: OctetString::new(hashes.name_hash(HashAlg::Sha1)).map_err(bad)?,
        issuer_key_hash: OctetString::new(hashes.key_hash(HashAlg::Sha1)).map_err(bad)?,
        serial_number: SerialNumber::new(leaf.raw_serial()).map_err(bad)?,
    })
}

/// Judges an OCSP response for `leaf`: successful, signed by the issuer or by a responder the
/// issuer certified for OCSPSigning, answering for this certificate, and current at `at`.
pub fn check_ocsp_response(resp: &[u8], leaf: &[u8], issuer: &[u8], at: i64) -> Result<RevocationStatus, ToolError> {
    let resp = match OcspResponse::from_der(resp) {
        Ok(r) => r,
        Err(e) => return Ok(undetermined(format!("the OCSP response is malformed: {e}"))),
    };
    if resp.response_status != OcspResponseStatus::Successful {
        return Ok(undetermined(format!(
            "the responder answered {:?}",
            resp.response_status
        )));
    }
    let Some(bytes) = resp.response_bytes else {
        return Ok(undetermined("the OCSP response has no body"));
    };
    let basic = match BasicOcspResponse::from_der(bytes.response.as_bytes()) {
        Ok(b) => b,
        Err(e) => return Ok(undetermined(format!("the BasicOCSPResponse is malformed: {e}"))),
    };
    let signer_spki = match basic.certs.as_ref().and_then(|c| c.first()) {
        None => parse(issuer)?.public_key().subject_public_key.data.to_vec(),
        Some(cert) => {
            let der = cert.to_der().map_err(|e| ToolError::Format(e.to_string()))?;
            if !issued_by(&der, issuer) {
                return Ok(undetermined(
                    "the OCSP responder certificate is not issued by the issuer",
                ));
            }
            if !ocsp_signing(cert) {
                return Ok(undetermined("the OCSP responder certificate lacks the OCSPSigning EKU"));
            }
            parse(&der)?.public_key().subject_public_key.data.to_vec()
        }
    };
    let tbs = basic
        .tbs_response_data
        .to_der()
        .map_err(|e| ToolError::Format(e.to_string()))?;
    let Some(alg) = verification_alg(&basic.signature_algorithm.oid) else {
        return Ok(undetermined(format!(
            "unsupported OCSP signature algorithm {}",
            basic.signature_algorithm.oid
        )));
    };
    let sig = basic.signature.raw_bytes();
    if UnparsedPublicKey::new(alg, &signer_spki).verify(&tbs, sig).is_err() {
        return Ok(undetermined("the OCSP response signature does not verify"));
    }
    let want = cert_id(leaf, issuer)?;
    let Some(single) = basic.tbs_response_data.responses.iter().find(|r| {
        r.cert_id.serial_number == want.serial_number
            && r.cert_id.issuer_key_hash == want.issuer_key_hash
            && r.cert_id.issuer_name_hash == want.issuer_name_hash
    }) else {
        return Ok(undetermined("the OCSP response does not answer for this certificate"));
    };
    let secs = |t: &x509_ocsp::OcspGeneralizedTime| t.0.to_unix_duration().as_secs() as i64;
    if secs(&single.this_update) > at + 300 {
        return Ok(undetermined("the OCSP response's thisUpdate is in the future"));
    }
    if single.next_update.as_ref().is_some_and(|n| secs(n) < at) {
        return Ok(undetermined("the OCSP response is past its nextUpdate"));
    }
    Ok(match &single.cert_status {
        CertStatus::Good(_) => RevocationStatus::Good,
        CertStatus::Revoked(info) => RevocationStatus::Revoked {
            at: info.revocation_time.0.to_unix_duration().as_secs() as i64,
            reason: info
                .revocation_reason
                .map(|r| reason_name(r as u8))
                .unwrap_or("unspecified")
                .to_string(),
        },
        CertStatus::Unknown(_) => undetermined("the responder does not know this certificate"),
    })
}

fn ocsp_signing(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
        .filter_map(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
        .any(|eku| eku.0.contains(&ID_KP_OCSP_SIGNING))
}

fn verification_alg(oid: &ObjectIdentifier) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match *oid {
        ECDSA_WITH_SHA_256 => &signature::ECDSA_P256_SHA256_ASN1,
        ECDSA_WITH_SHA_384 => &signature::ECDSA_P384_SHA384_ASN1,
        SHA_256_WITH_RSA_ENCRYPTION => &signature::RSA_PKCS1_2048_8192_SHA256,
        SHA_384_WITH_RSA_ENCRYPTION => &signature::RSA_PKCS1_2048_8192_SHA384,
        SHA_512_WITH_RSA_ENCRYPTION => &signature::RSA_PKCS1_2048_8192_SHA512,
        ID_ED_25519 => &signature::ED25519,
        _ => return None,
    })
}

fn reason_name(code: u8) -> &'static str {
    crate::revocation::Reason::from_code(code)
        .map(|r| r.name())
        .unwrap_or("unspecified")
}
