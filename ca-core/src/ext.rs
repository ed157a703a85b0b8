//! X.509 extensions as the builder writes them. Each function returns a ready [`Extension`]
//! with the criticality RFC 5280 asks for.
use std::net::IpAddr;

use const_oid::db::rfc5280;
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{Ia5String, OctetString};
use der::Encode;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints,
    ExtendedKeyUsage, KeyUsage, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;

use crate::csr::San;
use crate::error::Error;
use crate::profile::KeyUsageSet;

/// id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1): relying parties skip revocation checks of the
/// delegated responder certificate.
pub const OCSP_NOCHECK: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");

fn build<T: Encode + AssociatedOid>(value: &T, critical: bool) -> Result<Extension, Error> {
    let der = value.to_der().map_err(|e| Error::Build(e.to_string()))?;
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(der).map_err(|e| Error::Build(e.to_string()))?,
    })
}

fn ia5(s: &str) -> Result<Ia5String, Error> {
    Ia5String::new(s).map_err(|_| Error::Build(format!("{s:?} is not ASCII")))
}

/// basicConstraints, critical (RFC 5280 4.2.1.9 requires it for CAs; harmless for leaves).
pub fn basic_constraints(ca: bool, path_len: Option<u8>) -> Result<Extension, Error> {
    build(
        &BasicConstraints {
            ca,
            path_len_constraint: if ca { path_len } else { None },
        },
        true,
    )
}

/// keyUsage, critical.
pub fn key_usage(bits: KeyUsageSet) -> Result<Extension, Error> {
    build(&KeyUsage(bits), true)
}

/// extendedKeyUsage, non-critical.
pub fn extended_key_usage(oids: &[ObjectIdentifier]) -> Result<Extension, Error> {
    build(&ExtendedKeyUsage(oids.to_vec()), false)
}

/// subjectAltName; critical only when the subject is empty (RFC 5280 4.2.1.6).
pub fn subject_alt_name(sans: &[San], subject_empty: bool) -> Result<Extension, Error> {
    let mut names = Vec::with_capacity(sans.len());
    for s in sans {
        names.push(match s {
            San::Dns(d) => GeneralName::DnsName(ia5(d)?),
            San::Email(e) => GeneralName::Rfc822Name(ia5(e)?),
            San::Ip(IpAddr::V4(v4)) => {
                GeneralName::IpAddress(OctetString::new(v4.octets().to_vec()).map_err(|e| Error::Build(e.to_string()))?)
            }
            San::Ip(IpAddr::V6(v6)) => {
                GeneralName::IpAddress(OctetString::new(v6.octets().to_vec()).map_err(|e| Error::Build(e.to_string()))?)
            }
        });
    }
    build(&SubjectAltName(names), subject_empty)
}

/// subjectKeyIdentifier, non-critical.
pub fn subject_key_id(ski: &[u8]) -> Result<Extension, Error> {
    build(
        &SubjectKeyIdentifier(OctetString::new(ski).map_err(|e| Error::Build(e.to_string()))?),
        false,
    )
}

/// authorityKeyIdentifier with the keyIdentifier only, non-critical.
pub fn authority_key_id(ski: &[u8]) -> Result<Extension, Error> {
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(ski).map_err(|e| Error::Build(e.to_string()))?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    build(&aki, false)
}

/// cRLDistributionPoints with one full-name point per URL, non-critical.
pub fn crl_distribution_points(urls: &[String]) -> Result<Extension, Error> {
    let mut points = Vec::new();
    for u in urls {
        points.push(DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![
                GeneralName::UniformResourceIdentifier(ia5(u)?),
            ])),
            reasons: None,
            crl_issuer: None,
        });
    }
    build(&CrlDistributionPoints(points), false)
}

/// authorityInfoAccess with OCSP and caIssuers URLs, non-critical.
pub fn authority_info_access(ocsp: &[String], ca_issuers: &[String]) -> Result<Extension, Error> {
    let mut v = Vec::new();
    for u in ocsp {
        v.push(AccessDescription {
            access_method: rfc5280::ID_AD_OCSP,
            access_location: GeneralName::UniformResourceIdentifier(ia5(u)?),
        });
    }
    for u in ca_issuers {
        v.push(AccessDescription {
            access_method: rfc5280::ID_AD_CA_ISSUERS,
            access_location: GeneralName::UniformResourceIdentifier(ia5(u)?),
        });
    }
    build(&AuthorityInfoAccessSyntax(v), false)
}

/// id-pkix-ocsp-nocheck with its NULL value, non-critical.
pub fn ocsp_nocheck() -> Result<Extension, Error> {
    let null = der::asn1::Null.to_der().map_err(|e| Error::Build(e.to_string()))?;
    Ok(Extension {
        extn_id: OCSP_NOCHECK,
        critical: false,
        extn_value: OctetString::new(null).map_err(|e| Error::Build(e.to_string()))?,
    })
}
