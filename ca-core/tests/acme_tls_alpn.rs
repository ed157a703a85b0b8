//! tls-alpn-01 certificate checks (RFC 8737 3) on certificates built the way a client builds
//! its validation certificate, and each way one can be wrong.
use std::net::IpAddr;

use ::time::{Duration, OffsetDateTime};
use aws_lc_rs::rand::SystemRandom;
use ca_core::acme::tls_alpn::{acme_identifier_digest, check_certificate, ID_PE_ACME_IDENTIFIER};
use ca_core::acme::{ChallengeError, Identifier, ProblemType, ToProblem};
use ca_core::certbuild::{sign_certificate, CertSpec};
use ca_core::csr::San;
use ca_core::ext;
use ca_core::keys::{generate_pkcs8, KeyPair, KeyType};
use ca_core::name::parse_dn;
use ca_core::serial::Serial;
use ca_core::signer::Signer;
use der::asn1::{ObjectIdentifier, OctetString};
use der::Encode;
use x509_cert::ext::Extension;

const KEY_AUTHZ: &str = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

fn acme_ext(critical: bool, key_authz: &str) -> Extension {
    let value = OctetString::new(acme_identifier_digest(key_authz).to_vec()).unwrap();
    Extension {
        extn_id: ObjectIdentifier::new_unwrap(ID_PE_ACME_IDENTIFIER),
        critical,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

fn cert(extensions: Vec<Extension>) -> Vec<u8> {
    let key = KeyPair::from_pkcs8_der(&generate_pkcs8(KeyType::Ed25519, &SystemRandom::new()).unwrap()).unwrap();
    let name = parse_dn("CN=ACME challenge").unwrap();
    let now = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
    let spec = CertSpec {
        serial: &Serial::from_u128(1),
        subject: &name,
        spki_der: key.public_key_der(),
        not_before: now,
        not_after: now + Duration::days(7),
        extensions,
    };
    sign_certificate(spec, &name, &key).unwrap()
}

fn san(names: &[San]) -> Extension {
    ext::subject_alt_name(names, false).unwrap()
}

fn dns(name: &str) -> Identifier {
    Identifier::parse("dns", name).unwrap()
}

fn reason(err: ChallengeError) -> String {
    assert_eq!(err.problem_type(), ProblemType::IncorrectResponse, "{err}");
    err.to_string()
}

#[test]
fn a_correct_certificate_passes() {
    let der = cert(vec![san(&[San::Dns("a.example".into())]), acme_ext(true, KEY_AUTHZ)]);
    check_certificate(&der, &dns("a.example"), KEY_AUTHZ).unwrap();
    // DNS comparison ignores case, as DNS does.
    let der = cert(vec![san(&[San::Dns("A.Example".into())]), acme_ext(true, KEY_AUTHZ)]);
    check_certificate(&der, &dns("a.example"), KEY_AUTHZ).unwrap();
}

#[test]
fn ip_identifiers_need_an_ip_san() {
    let ip: IpAddr = "192.0.2.7".parse().unwrap();
    let id = Identifier::Ip(ip);
    let der = cert(vec![san(&[San::Ip(ip)]), acme_ext(true, KEY_AUTHZ)]);
    check_certificate(&der, &id, KEY_AUTHZ).unwrap();
    let der = cert(vec![
        san(&[San::Dns("192.0.2.7.example".into())]),
        acme_ext(true, KEY_AUTHZ),
    ]);
    assert!(reason(check_certificate(&der, &id, KEY_AUTHZ).unwrap_err()).contains("does not name"));
}

#[test]
fn extension_must_be_critical_and_match() {
    let id = dns("a.example");
    let der = cert(vec![san(&[San::Dns("a.example".into())]), acme_ext(false, KEY_AUTHZ)]);
    assert!(reason(check_certificate(&der, &id, KEY_AUTHZ).unwrap_err()).contains("not critical"));
    let der = cert(vec![
        san(&[San::Dns("a.example".into())]),
        acme_ext(true, "other.authz"),
    ]);
    assert!(reason(check_certificate(&der, &id, KEY_AUTHZ).unwrap_err()).contains("SHA-256"));
    let der = cert(vec![san(&[San::Dns("a.example".into())])]);
    assert!(reason(check_certificate(&der, &id, KEY_AUTHZ).unwrap_err()).contains("no acmeIdentifier"));
}

#[test]
fn san_must_be_exactly_the_identifier() {
    let id = dns("a.example");
    let two = cert(vec![
        san(&[San::Dns("a.example".into()), San::Dns("b.example".into())]),
        acme_ext(true, KEY_AUTHZ),
    ]);
    assert!(reason(check_certificate(&two, &id, KEY_AUTHZ).unwrap_err()).contains("2 names"));
    let other = cert(vec![san(&[San::Dns("b.example".into())]), acme_ext(true, KEY_AUTHZ)]);
    assert!(reason(check_certificate(&other, &id, KEY_AUTHZ).unwrap_err()).contains("does not name"));
    let none = cert(vec![acme_ext(true, KEY_AUTHZ)]);
    assert!(reason(check_certificate(&none, &id, KEY_AUTHZ).unwrap_err()).contains("no subjectAltName"));
    assert!(check_certificate(b"junk", &id, KEY_AUTHZ).is_err());
}

#[test]
fn wildcards_cannot_use_tls_alpn() {
    let der = cert(vec![san(&[San::Dns("*.a.example".into())]), acme_ext(true, KEY_AUTHZ)]);
    let err = check_certificate(&der, &dns("*.a.example"), KEY_AUTHZ).unwrap_err();
    assert!(matches!(err, ChallengeError::NotApplicable { .. }), "{err}");
}
