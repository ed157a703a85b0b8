//! Assembles and signs a TBSCertificate. The issuer name is copied from the issuing
//! certificate's subject as decoded DER, so it stays byte-identical (repeated RDNs included).
use der::asn1::{BitString, GeneralizedTime, UtcTime};
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use time::OffsetDateTime;
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::error::Error;
use crate::serial::Serial;
use crate::signer::Signer;

/// Everything that differs between two certificates we sign.
pub struct CertSpec<'a> {
    pub serial: &'a Serial,
    pub subject: &'a Name,
    pub spki_der: &'a [u8],
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub extensions: Vec<Extension>,
}

/// X.509 time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5).
pub fn x509_time(t: OffsetDateTime) -> Result<Time, Error> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| Error::Build("time before 1970".into()))?;
    let d = std::time::Duration::from_secs(secs);
    let bad = |e: der::Error| Error::Build(e.to_string());
    if t.year() < 2050 {
        Ok(Time::UtcTime(UtcTime::from_unix_duration(d).map_err(bad)?))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_unix_duration(d).map_err(bad)?))
    }
}

/// Signs `spec` as issued by `issuer` with `signer`; returns the certificate DER.
pub fn sign_certificate(spec: CertSpec<'_>, issuer: &Name, signer: &dyn Signer) -> Result<Vec<u8>, Error> {
    let bad = |e: der::Error| Error::Build(e.to_string());
    let alg = signer.algorithm();
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(spec.serial.as_bytes()).map_err(bad)?,
        signature: alg.clone(),
        issuer: issuer.clone(),
        validity: Validity {
            not_before: x509_time(spec.not_before)?,
            not_after: x509_time(spec.not_after)?,
        },
        subject: spec.subject.clone(),
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(spec.spki_der).map_err(bad)?,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: if spec.extensions.is_empty() {
            None
        } else {
            Some(spec.extensions)
        },
    };
    let tbs_der = tbs.to_der().map_err(bad)?;
    let sig = signer.sign(&tbs_der)?;
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: alg,
        signature: BitString::from_bytes(&sig).map_err(bad)?,
    };
    cert.to_der().map_err(bad)
}

/// RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. SHA-1 is
/// fine here: the identifier only has to be unique, not collision-resistant.
pub fn key_identifier(spki_der: &[u8]) -> Result<Vec<u8>, Error> {
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der).map_err(|e| Error::Build(e.to_string()))?;
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        spki.subject_public_key.raw_bytes(),
    );
    Ok(digest.as_ref().to_vec())
}
