//! OCSP requests (RFC 6960 4.1, RFC 5019 profile): decode the POST body or the GET path, pull
//! out each CertID and the nonce, and match CertIDs to issuers by their name and key hashes.
//! The request signature, if any, is ignored: RFC 5019 responders need not check it, and
//! privca answers anyone.
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use const_oid::db::rfc5912::{ID_SHA_1, ID_SHA_256};
use const_oid::db::rfc6960::ID_PKIX_OCSP_NONCE;
use const_oid::ObjectIdentifier;
use der::asn1::{Null, OctetString};
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::certificate::Certificate;
use x509_cert::serial_number::SerialNumber;
use x509_ocsp::{CertId, OcspRequest};

use crate::error::{Error, OcspError};
use crate::issue::IssuingCa;
use crate::serial::Serial;

/// The most CertIDs answered in one request. RFC 5019 clients send one; the cap bounds the
/// work (and the response size) a single request can cause.
pub const MAX_CERT_IDS: usize = 32;

/// The CertID hash algorithms a responder accepts: SHA-1 (what RFC 5019 clients send) and
/// SHA-256 (what newer clients such as `openssl ocsp -sha256` send).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-1 (1.3.14.3.2.26). Only a lookup key here, so its weakness does not matter.
    Sha1,
    /// SHA-256 (2.16.840.1.101.3.4.2.1).
    Sha256,
}

impl HashAlg {
    /// The algorithm's OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            HashAlg::Sha1 => ID_SHA_1,
            HashAlg::Sha256 => ID_SHA_256,
        }
    }

    /// The algorithm's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
        }
    }

    fn from_oid(oid: &ObjectIdentifier) -> Option<HashAlg> {
        [HashAlg::Sha1, HashAlg::Sha256].into_iter().find(|h| h.oid() == *oid)
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            HashAlg::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlg::Sha256 => &aws_lc_rs::digest::SHA256,
        };
        aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
    }

    fn len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
        }
    }
}

/// One CertID: which issuer (by hashes) and which serial. The structure is kept as received so
/// a response can echo it exactly (clients compare CertIDs, parameters of the hash algorithm
/// included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspCertId {
    /// The hash algorithm of the issuer hashes.
    pub hash: HashAlg,
    /// The certificate serial asked about, as INTEGER content bytes.
    pub serial: Serial,
    pub(super) raw: CertId,
}

impl OcspCertId {
    /// The CertID a client would send for `serial` of the issuer with `hashes`: for responses
    /// signed ahead of any request (RFC 5019 pre-produced responses). SHA-1 is what RFC 5019
    /// clients use; sign a SHA-256 variant as well to serve clients that ask with SHA-256.
    pub fn for_serial(hashes: &IssuerHashes, hash: HashAlg, serial: &Serial) -> Result<OcspCertId, Error> {
        let bad = |e: der::Error| Error::Build(e.to_string());
        let raw = CertId {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: hash.oid(),
                // OpenSSL writes, and compares, an explicit NULL.
                parameters: Some(Null.into()),
            },
            issuer_name_hash: OctetString::new(hashes.name_hash(hash)).map_err(bad)?,
            issuer_key_hash: OctetString::new(hashes.key_hash(hash)).map_err(bad)?,
            serial_number: SerialNumber::new(serial.as_bytes()).map_err(bad)?,
        };
        Ok(OcspCertId {
            hash,
            serial: serial.clone(),
            raw,
        })
    }

    /// The hash of the issuer's subject name, as sent.
    pub fn issuer_name_hash(&self) -> &[u8] {
        self.raw.issuer_name_hash.as_bytes()
    }

    /// The hash of the issuer's public key (BIT STRING contents), as sent.
    pub fn issuer_key_hash(&self) -> &[u8] {
        self.raw.issuer_key_hash.as_bytes()
    }

    fn from_raw(raw: CertId) -> Result<OcspCertId, OcspError> {
        let hash = HashAlg::from_oid(&raw.hash_algorithm.oid)
            .ok_or_else(|| OcspError::UnsupportedHash(raw.hash_algorithm.oid.to_string()))?;
        for (field, value) in [
            ("issuerNameHash", &raw.issuer_name_hash),
            ("issuerKeyHash", &raw.issuer_key_hash),
        ] {
            if value.as_bytes().len() != hash.len() {
                return Err(OcspError::BadHashLength {
                    field,
                    len: value.as_bytes().len(),
                    alg: hash.name(),
                });
            }
        }
        Ok(OcspCertId {
            hash,
            serial: Serial::from_bytes(raw.serial_number.as_bytes()),
            raw,
        })
    }
}

/// What a responder needs from an OCSP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspRequestInfo {
    /// The certificates asked about, in request order (1..=[`MAX_CERT_IDS`]).
    pub cert_ids: Vec<OcspCertId>,
    /// The nonce value (the contents of the extension's OCTET STRING), to echo in the response.
    pub nonce: Option<Vec<u8>>,
}

/// Parses a DER OCSPRequest (a POST body, or what [`decode_get_path`] returns).
pub fn parse_request(der: &[u8]) -> Result<OcspRequestInfo, OcspError> {
    let req = OcspRequest::from_der(der).map_err(|e| OcspError::NotDer(e.to_string()))?;
    let tbs = req.tbs_request;
    if tbs.request_list.is_empty() {
        return Err(OcspError::NoCertIds);
    }
    if tbs.request_list.len() > MAX_CERT_IDS {
        return Err(OcspError::TooManyCertIds {
            count: tbs.request_list.len(),
            max: MAX_CERT_IDS,
        });
    }
    let cert_ids = tbs
        .request_list
        .into_iter()
        .map(|r| OcspCertId::from_raw(r.req_cert))
        .collect::<Result<Vec<_>, _>>()?;
    let nonce = match tbs
        .request_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == ID_PKIX_OCSP_NONCE)
    {
        None => None,
        Some(ext) => {
            let value =
                OctetString::from_der(ext.extn_value.as_bytes()).map_err(|e| OcspError::BadNonce(e.to_string()))?;
            let len = value.as_bytes().len();
            // RFC 9654 2.1: a nonce of 0 or more than 128 octets is a malformedRequest.
            if len == 0 || len > 128 {
                return Err(OcspError::BadNonceLength { len });
            }
            Some(value.into_bytes())
        }
    };
    Ok(OcspRequestInfo { cert_ids, nonce })
}

/// Decodes the GET form (RFC 6960 A.1): the path after the responder URL is the URL-encoded
/// base64 of the DER request. Percent escapes (`%2B`, `%2F`, `%3D`, ...) are undone, a leading
/// `/` is dropped, `+` stays `+` (a path is not a form), and both padded and unpadded, standard
/// and URL-safe base64 are accepted because clients differ. The router must hand over the whole
/// remaining path: an unescaped `/` of the base64 alphabet would otherwise split it.
pub fn decode_get_path(path: &str) -> Result<Vec<u8>, OcspError> {
    let text = percent_decode(path.strip_prefix('/').unwrap_or(path))?;
    if text.is_empty() {
        return Err(OcspError::BadGetPath("empty path".into()));
    }
    let config = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let url_safe = text.iter().any(|b| *b == b'-' || *b == b'_');
    let engine = GeneralPurpose::new(
        if url_safe {
            &alphabet::URL_SAFE
        } else {
            &alphabet::STANDARD
        },
        config,
    );
    engine.decode(&text).map_err(|e| OcspError::BadGetPath(e.to_string()))
}

fn percent_decode(s: &str) -> Result<Vec<u8>, OcspError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(|| OcspError::BadGetPath(format!("bad percent escape at offset {i}")))?;
        out.push(hex);
        i += 3;
    }
    Ok(out)
}

/// An issuer's name and key hashes under each supported algorithm, computed once so a
/// responder can tell which issuer a CertID means (RFC 6960 4.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerHashes {
    sha1: (Vec<u8>, Vec<u8>),
    sha256: (Vec<u8>, Vec<u8>),
}

impl IssuerHashes {
    /// From the issuer's subject Name (DER) and SubjectPublicKeyInfo (DER). The key hash covers
    /// the subjectPublicKey BIT STRING contents only, as RFC 6960 specifies.
    pub fn new(subject_der: &[u8], spki_der: &[u8]) -> Result<IssuerHashes, Error> {
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der).map_err(|e| Error::Issuer(e.to_string()))?;
        let key = spki.subject_public_key.raw_bytes();
        let pair = |h: HashAlg| (h.digest(subject_der), h.digest(key));
        Ok(IssuerHashes {
            sha1: pair(HashAlg::Sha1),
            sha256: pair(HashAlg::Sha256),
        })
    }

    /// The hashes of an issuing CA.
    pub fn of(issuer: &IssuingCa) -> Result<IssuerHashes, Error> {
        let subject = issuer.subject().to_der().map_err(|e| Error::Issuer(e.to_string()))?;
        IssuerHashes::new(&subject, issuer.signer().public_key_der())
    }

    /// The hashes of the CA certificate `cert_der` (DER).
    pub fn from_cert_der(cert_der: &[u8]) -> Result<IssuerHashes, Error> {
        let cert = Certificate::from_der(cert_der).map_err(|e| Error::Issuer(e.to_string()))?;
        let tbs = cert.tbs_certificate;
        let bad = |e: der::Error| Error::Issuer(e.to_string());
        IssuerHashes::new(
            &tbs.subject.to_der().map_err(bad)?,
            &tbs.subject_public_key_info.to_der().map_err(bad)?,
        )
    }

    /// issuerNameHash under `hash`.
    pub fn name_hash(&self, hash: HashAlg) -> &[u8] {
        match hash {
            HashAlg::Sha1 => &self.sha1.0,
            HashAlg::Sha256 => &self.sha256.0,
        }
    }

    /// issuerKeyHash under `hash`.
    pub fn key_hash(&self, hash: HashAlg) -> &[u8] {
        match hash {
            HashAlg::Sha1 => &self.sha1.1,
            HashAlg::Sha256 => &self.sha256.1,
        }
    }

    /// Whether `id` names this issuer. Both hashes must match: two CAs may share a name (a
    /// re-keyed CA) or, in theory, a key.
    pub fn matches(&self, id: &OcspCertId) -> bool {
        id.issuer_name_hash() == self.name_hash(id.hash) && id.issuer_key_hash() == self.key_hash(id.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_path_escapes_and_alphabets() {
        let der = [0xfb, 0xff, 0xfe, 0x30];
        // Standard base64 "+//+MA==", as clients escape it.
        assert_eq!(decode_get_path("/%2B%2F%2F%2BMA%3D%3D").unwrap(), der);
        assert_eq!(decode_get_path("+//+MA==").unwrap(), der);
        assert_eq!(decode_get_path("+//+MA").unwrap(), der);
        assert_eq!(decode_get_path("-__-MA").unwrap(), der);
        assert!(decode_get_path("%zz")
            .unwrap_err()
            .to_string()
            .contains("percent escape"));
        assert!(matches!(decode_get_path("/"), Err(OcspError::BadGetPath(_))));
        assert!(matches!(decode_get_path("a*b"), Err(OcspError::BadGetPath(_))));
    }

    #[test]
    fn garbage_is_not_der() {
        let e = parse_request(b"\x30\x03abc").unwrap_err();
        assert!(e.to_string().starts_with("OCSP request is not DER: "), "{e}");
    }
}
