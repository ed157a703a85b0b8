//! Full and delta CRLs (X.509 v2, RFC 5280 section 5), signed through the [`Signer`] seam.
//!
//! The CRL-level parts (algorithm, issuer, extensions) are x509-cert types encoded with `der`;
//! the revokedCertificates list is written by hand into one pre-sized buffer (see
//! [`super::tlv`]). A million entries through `x509_cert::crl::RevokedCert` cost several heap
//! objects each and nested length passes; the hand-written list keeps a 1M-entry CRL well
//! inside the issue's budget (< 3 s, < 1 GiB). A unit test checks that x509-cert decodes and
//! re-encodes what we write byte for byte.
use const_oid::db::rfc5280::{
    ID_CE_CRL_NUMBER, ID_CE_DELTA_CRL_INDICATOR, ID_CE_FRESHEST_CRL, ID_CE_ISSUING_DISTRIBUTION_POINT,
};
use const_oid::ObjectIdentifier;
use der::asn1::{Ia5String, OctetString, Uint};
use der::Encode;
use time::OffsetDateTime;
use x509_cert::ext::pkix::crl::dp::{DistributionPoint, IssuingDistributionPoint};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{BaseCrlNumber, CrlNumber, FreshestCrl};
use x509_cert::ext::Extension;
use x509_cert::name::Name;

use super::tlv::{
    push_header, push_tlv, wrap_from, BIT_STRING, CONTEXT_0, ENUMERATED, INTEGER, OCTET_STRING, SEQUENCE,
};
use super::{generalized_time, Reason};
use crate::certbuild::x509_time;
use crate::error::{CrlError, Error};
use crate::ext;
use crate::issue::IssuingCa;
use crate::serial::Serial;
use crate::signer::Signer;

/// One revoked certificate as a CRL lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlEntry {
    /// The certificate's serial number (positive, at most 20 octets).
    pub serial: Serial,
    /// When the CA processed the revocation (revocationDate).
    pub revoked_at: OffsetDateTime,
    /// The reasonCode; `Unspecified` is written as no reasonCode at all (RFC 5280 5.3.1
    /// SHOULD), and `RemoveFromCrl` may only appear in a delta CRL.
    pub reason: Reason,
    /// When the key is known or suspected to have been compromised (invalidityDate), if earlier
    /// than the revocation.
    pub invalidity: Option<OffsetDateTime>,
}

/// What distinguishes one CRL of an issuer from the next.
#[derive(Clone, Debug)]
pub struct CrlParams<'a> {
    /// The CRL Number: monotonically increasing per issuer, shared by full and delta CRLs
    /// (RFC 5280 5.2.3 and 5.2.4).
    pub number: u64,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate: RFC 5280 makes it optional, but conforming CAs MUST include it and relying
    /// parties treat certificates as revoked once it passes.
    pub next_update: OffsetDateTime,
    /// `Some(base)` makes this a delta CRL over the full CRL numbered `base` (the critical
    /// Delta CRL Indicator); `None` makes it a full CRL.
    pub delta_of: Option<u64>,
    /// Where the delta CRLs are published: written as the Freshest CRL extension of a full
    /// CRL. Must be empty for a delta CRL.
    pub freshest_urls: &'a [String],
    /// Issuing Distribution Point URLs (critical extension). Leave empty unless they equal the
    /// CRL Distribution Points of the certificates covered, or relying parties such as OpenSSL
    /// will not apply the CRL to them. A delta CRL must carry the same value as its base.
    pub idp_urls: &'a [String],
}

/// Builds and signs a CRL of `issuer`: its subject as the CRL issuer (byte-identical), its SKI
/// as the AKI, its signer for the signature. Returns DER.
pub fn build_crl(issuer: &IssuingCa, params: &CrlParams<'_>, entries: &[CrlEntry]) -> Result<Vec<u8>, Error> {
    sign_crl(issuer.subject(), issuer.ski(), issuer.signer(), params, entries)
}

/// [`build_crl`] from parts, for a CRL signer that is not wrapped in an [`IssuingCa`] (an
/// offline root whose key lives elsewhere). `issuer` must be the issuing certificate's subject
/// and `key_id` its subject key identifier.
pub fn sign_crl(
    issuer: &Name,
    key_id: &[u8],
    signer: &dyn Signer,
    params: &CrlParams<'_>,
    entries: &[CrlEntry],
) -> Result<Vec<u8>, Error> {
    check_params(params)?;
    let bad = |e: der::Error| Error::Build(e.to_string());
    let alg = signer.algorithm().to_der().map_err(bad)?;
    let issuer = issuer.to_der().map_err(bad)?;
    let extensions = crl_extensions(key_id, params)?.to_der().map_err(bad)?;
    let delta = params.delta_of.is_some();

    let mut buf = Vec::with_capacity(capacity(&alg, &issuer, &extensions, entries));
    buf.extend_from_slice(&[INTEGER, 1, 1]); // version v2
    buf.extend_from_slice(&alg);
    buf.extend_from_slice(&issuer);
    push_time(&mut buf, params.this_update)?;
    push_time(&mut buf, params.next_update)?;
    // RFC 5280 5.1.2.6: with no revoked certificates the list is absent, not empty.
    if !entries.is_empty() {
        let start = buf.len();
        for entry in entries {
            push_entry(&mut buf, entry, delta)?;
        }
        wrap_from(&mut buf, start, SEQUENCE);
    }
    push_header(&mut buf, CONTEXT_0, extensions.len());
    buf.extend_from_slice(&extensions);
    wrap_from(&mut buf, 0, SEQUENCE);

    let signature = signer.sign(&buf)?;
    buf.extend_from_slice(&alg);
    push_header(&mut buf, BIT_STRING, signature.len() + 1);
    buf.push(0); // no unused bits
    buf.extend_from_slice(&signature);
    wrap_from(&mut buf, 0, SEQUENCE);
    Ok(buf)
}

fn check_params(params: &CrlParams<'_>) -> Result<(), CrlError> {
    if params.next_update <= params.this_update {
        return Err(CrlError::BadValidity {
            this_update: params.this_update.to_string(),
            next_update: params.next_update.to_string(),
        });
    }
    if let Some(base) = params.delta_of {
        if base >= params.number {
            return Err(CrlError::DeltaBase {
                number: params.number,
                base,
            });
        }
        if !params.freshest_urls.is_empty() {
            return Err(CrlError::FreshestInDelta);
        }
    }
    Ok(())
}

/// An upper bound of the finished CRL's size, so the buffer is allocated once.
fn capacity(alg: &[u8], issuer: &[u8], extensions: &[u8], entries: &[CrlEntry]) -> usize {
    // Per entry at most: SEQUENCE header 2, INTEGER header 2, time 17, extensions 2 + 12 + 26.
    let serials: usize = entries.iter().map(|e| e.serial.as_bytes().len()).sum();
    let fixed = 64 + 2 * alg.len() + issuer.len() + extensions.len() + 2 * 17 + 1024;
    fixed + serials + entries.len() * 61
}

fn time_error(t: OffsetDateTime, message: String) -> Error {
    CrlError::Time {
        time: t.to_string(),
        message,
    }
    .into()
}

/// Encodes thisUpdate/nextUpdate/revocationDate (UTCTime or GeneralizedTime by year) into
/// `out`, a stack buffer so a million entries cost no heap; returns the length.
fn encode_time(t: OffsetDateTime, out: &mut [u8; 17]) -> Result<usize, Error> {
    let time = x509_time(t).map_err(|e| time_error(t, e.to_string()))?;
    let der = time.encode_to_slice(out).map_err(|e| time_error(t, e.to_string()))?;
    Ok(der.len())
}

fn push_time(buf: &mut Vec<u8>, t: OffsetDateTime) -> Result<(), Error> {
    let mut scratch = [0u8; 17];
    let len = encode_time(t, &mut scratch)?;
    buf.extend_from_slice(&scratch[..len]);
    Ok(())
}

/// RFC 5280 4.1.2.2: positive, at most 20 octets; DER: minimal.
fn valid_serial(b: &[u8]) -> bool {
    let Some(first) = b.first() else { return false };
    let minimal = b.len() == 1 || *first != 0 || b[1] & 0x80 != 0;
    b.len() <= 20 && first & 0x80 == 0 && minimal && b.iter().any(|x| *x != 0)
}

/// reasonCode extension, whole: SEQUENCE { OID 2.5.29.21, OCTET STRING { ENUMERATED code } }.
const REASON_EXT_LEN: usize = 12;
/// invalidityDate extension, whole: SEQUENCE { OID 2.5.29.24, OCTET STRING { GeneralizedTime } }.
const INVALIDITY_EXT_LEN: usize = 26;

/// Appends one revokedCertificates entry.
fn push_entry(buf: &mut Vec<u8>, e: &CrlEntry, delta: bool) -> Result<(), Error> {
    let serial = e.serial.as_bytes();
    if !valid_serial(serial) {
        return Err(CrlError::BadSerial { serial: e.serial.hex() }.into());
    }
    if e.reason == Reason::RemoveFromCrl && !delta {
        return Err(CrlError::RemoveFromFullCrl { serial: e.serial.hex() }.into());
    }
    let with_reason = e.reason != Reason::Unspecified;
    let mut time = [0u8; 17];
    let time_len = encode_time(e.revoked_at, &mut time)?;
    let mut invalidity = [0u8; 17];
    if let Some(t) = e.invalidity {
        let g = generalized_time(t).map_err(|m| time_error(t, m))?;
        g.encode_to_slice(&mut invalidity)
            .map_err(|err| time_error(t, err.to_string()))?;
    }
    let ext_len = usize::from(with_reason) * REASON_EXT_LEN + usize::from(e.invalidity.is_some()) * INVALIDITY_EXT_LEN;
    let ext_total = if ext_len > 0 { 2 + ext_len } else { 0 };

    push_header(buf, SEQUENCE, 2 + serial.len() + time_len + ext_total);
    push_tlv(buf, INTEGER, serial);
    buf.extend_from_slice(&time[..time_len]);
    if ext_len > 0 {
        push_header(buf, SEQUENCE, ext_len);
    }
    if with_reason {
        // id-ce-cRLReasons 2.5.29.21, non-critical (DEFAULT FALSE is omitted).
        buf.extend_from_slice(&[SEQUENCE, 10, 0x06, 3, 0x55, 0x1d, 0x15, OCTET_STRING, 3, ENUMERATED, 1]);
        buf.push(e.reason.code());
    }
    if e.invalidity.is_some() {
        // id-ce-invalidityDate 2.5.29.24, always GeneralizedTime (RFC 5280 5.3.2).
        buf.extend_from_slice(&[SEQUENCE, 24, 0x06, 3, 0x55, 0x1d, 0x18, OCTET_STRING, 17]);
        buf.extend_from_slice(&invalidity);
    }
    Ok(())
}

fn extension(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> Result<Extension, Error> {
    let bad = |e: der::Error| Error::Build(e.to_string());
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().map_err(bad)?).map_err(bad)?,
    })
}

fn uris(urls: &[String]) -> Result<Vec<GeneralName>, Error> {
    urls.iter()
        .map(|u| {
            Ia5String::new(u)
                .map(GeneralName::UniformResourceIdentifier)
                .map_err(|_| Error::Build(format!("CRL URL {u:?} is not ASCII")))
        })
        .collect()
}

/// AKI, CRL Number, then the delta or full CRL's own extensions.
fn crl_extensions(key_id: &[u8], params: &CrlParams<'_>) -> Result<Vec<Extension>, Error> {
    let uint = |n: u64| Uint::new(&n.to_be_bytes()).map_err(|e| Error::Build(e.to_string()));
    let mut v = vec![
        ext::authority_key_id(key_id)?,
        extension(ID_CE_CRL_NUMBER, false, &CrlNumber(uint(params.number)?))?,
    ];
    if let Some(base) = params.delta_of {
        // Critical: a relying party that does not know delta CRLs must not take it as complete.
        v.push(extension(ID_CE_DELTA_CRL_INDICATOR, true, &BaseCrlNumber(uint(base)?))?);
    }
    if !params.idp_urls.is_empty() {
        let idp = IssuingDistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(uris(params.idp_urls)?)),
            only_contains_user_certs: false,
            only_contains_ca_certs: false,
            only_some_reasons: None,
            indirect_crl: false,
            only_contains_attribute_certs: false,
        };
        // x509-cert 0.2.5 gives IssuingDistributionPoint the SIA OID, so name it explicitly.
        v.push(extension(ID_CE_ISSUING_DISTRIBUTION_POINT, true, &idp)?);
    }
    if !params.freshest_urls.is_empty() {
        let points = vec![DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(uris(params.freshest_urls)?)),
            reasons: None,
            crl_issuer: None,
        }];
        v.push(extension(ID_CE_FRESHEST_CRL, false, &FreshestCrl(points))?);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;
    use x509_cert::crl::CertificateList;

    #[test]
    fn serial_rules() {
        assert!(valid_serial(&[1]));
        assert!(valid_serial(&[0, 0x80]));
        assert!(!valid_serial(&[]));
        assert!(!valid_serial(&[0]));
        assert!(!valid_serial(&[0, 1]), "not minimal");
        assert!(!valid_serial(&[0x80]), "negative");
        assert!(!valid_serial(&[1; 21]), "too long");
    }

    /// A signer that signs nothing useful: only the encoding is under test here.
    struct Fake;
    impl Signer for Fake {
        fn algorithm(&self) -> spki::AlgorithmIdentifierOwned {
            spki::AlgorithmIdentifierOwned {
                oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
                parameters: None,
            }
        }
        fn public_key_der(&self) -> &[u8] {
            &[]
        }
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, crate::error::KeyError> {
            Ok(message[..8].to_vec())
        }
    }

    #[test]
    fn x509_cert_reencodes_our_der_byte_for_byte() {
        let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap();
        let entries: Vec<CrlEntry> = [
            (Reason::Unspecified, None, 1_700_000_000),
            (Reason::KeyCompromise, Some(1_699_000_000), 1_700_000_001),
            (Reason::RemoveFromCrl, None, 2_600_000_000), // GeneralizedTime after 2049
            (Reason::CertificateHold, Some(1_690_000_000), 1_700_000_002),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (reason, inv, t))| CrlEntry {
            serial: Serial::from_u128(0x7f + i as u128 * 1000),
            revoked_at: at(t),
            reason,
            invalidity: inv.map(at),
        })
        .collect();
        let urls = ["http://example.com/delta.crl".to_string()];
        let full = CrlParams {
            number: 300,
            this_update: at(1_700_000_000),
            next_update: at(1_700_086_400),
            delta_of: Some(299),
            freshest_urls: &[],
            idp_urls: &urls,
        };
        let name = crate::name::parse_dn("CN=Test,O=Example").unwrap();
        let der = sign_crl(&name, &[1; 20], &Fake, &full, &entries).unwrap();
        let parsed = CertificateList::from_der(&der).unwrap();
        assert_eq!(parsed.to_der().unwrap(), der);
        let revoked = parsed.tbs_cert_list.revoked_certificates.unwrap();
        assert_eq!(revoked.len(), 4);
        assert!(
            revoked[0].crl_entry_extensions.is_none(),
            "unspecified has no reasonCode"
        );

        let empty = sign_crl(&name, &[1; 20], &Fake, &full, &[]).unwrap();
        let parsed = CertificateList::from_der(&empty).unwrap();
        assert!(parsed.tbs_cert_list.revoked_certificates.is_none());
        assert_eq!(parsed.to_der().unwrap(), empty);
    }
}
