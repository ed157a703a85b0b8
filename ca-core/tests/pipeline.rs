//! The issuance pipeline end to end in memory: bootstrap a root and intermediate, issue from
//! CSRs, and check what the certificates say with an independent parser (x509-parser).
use ::time::OffsetDateTime;
use aws_lc_rs::rand::SystemRandom;
use ca_core::bootstrap::{intermediate_certificate, root_certificate};
use ca_core::csr::CertRequest;
use ca_core::csrbuild::build_csr;
use ca_core::ext;
use ca_core::issue::{IssuerUrls, IssuingCa};
use ca_core::keys::{generate_pkcs8, KeyPair, KeyType};
use ca_core::name::parse_dn;
use ca_core::profile::Profile;
use ca_core::serial::Serial;
use ca_core::signer::Signer;
use ca_core::Error;
use x509_parser::prelude::{FromDer, X509Certificate};

fn key(t: KeyType) -> KeyPair {
    KeyPair::from_pkcs8_der(&generate_pkcs8(t, &SystemRandom::new()).unwrap()).unwrap()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
}

fn ca(kind: KeyType, subject: &str) -> IssuingCa {
    let rng = SystemRandom::new();
    let root_key = key(kind);
    let root_name = parse_dn("CN=Test Root,O=Example").unwrap();
    let root_der = root_certificate(
        &root_name,
        &root_key,
        3650,
        &Serial::random(&rng, now()).unwrap(),
        now(),
    )
    .unwrap();
    let urls = IssuerUrls {
        crl: vec!["http://127.0.0.1:8080/crl/default-root.crl".into()],
        ..Default::default()
    };
    let root = IssuingCa::new("root", root_der, Box::new(root_key), urls).unwrap();
    let int_key = key(kind);
    let int_name = parse_dn(subject).unwrap();
    let int_der = intermediate_certificate(
        &root,
        &int_name,
        int_key.public_key_der(),
        Some(0),
        1826,
        &Serial::random(&rng, now()).unwrap(),
        now(),
    )
    .unwrap();
    let urls = IssuerUrls {
        crl: vec!["http://127.0.0.1:8080/crl/default.crl".into()],
        ocsp: vec!["http://127.0.0.1:8080/ocsp".into()],
        ca_issuers: vec!["http://127.0.0.1:8080/ca/default/intermediate.der".into()],
    };
    IssuingCa::new("default", int_der, Box::new(int_key), urls).unwrap()
}

const WEB: &str = r#"
issuer = "default"
key_usage = ["digitalSignature", "keyEncipherment"]
extended_key_usage = ["serverAuth"]
validity = { default_days = 365, max_days = 397 }
[subject]
cn = "required"
[san]
dns_suffixes = ["example.com"]
allow_ip = true
max = 5
"#;

fn csr(key: &KeyPair, subject: &str, sans: &[ca_core::csr::San], ask_ca: bool) -> CertRequest {
    let mut exts = Vec::new();
    if !sans.is_empty() {
        exts.push(ext::subject_alt_name(sans, false).unwrap());
    }
    if ask_ca {
        exts.push(ext::basic_constraints(true, None).unwrap());
    }
    let der = build_csr(&parse_dn(subject).unwrap(), exts, key).unwrap();
    CertRequest::parse(&der).unwrap()
}

#[test]
fn leaf_from_each_key_type_is_a_leaf_with_profile_extensions() {
    let profile = Profile::from_toml("WebServer.toml", "WebServer", WEB).unwrap();
    for kind in [
        KeyType::EcdsaP256,
        KeyType::Rsa2048,
        KeyType::Ed25519,
        KeyType::EcdsaP384,
    ] {
        let issuer = ca(kind, "CN=Issuing CA,DC=example,DC=com");
        let leaf_key = key(kind);
        let req = csr(
            &leaf_key,
            "CN=www.example.com,O=Example",
            &[ca_core::csr::San::Dns("alt.example.com".into())],
            true,
        );
        let rng = SystemRandom::new();
        let issued = issuer
            .issue(&req, &profile, None, Serial::random(&rng, now()).unwrap(), now())
            .unwrap();
        let (_, cert) = X509Certificate::from_der(&issued.der).unwrap();
        let (_, int) = X509Certificate::from_der(issuer.cert_der()).unwrap();
        assert_eq!(
            cert.issuer().as_raw(),
            int.subject().as_raw(),
            "issuer name must be byte-identical"
        );
        cert.verify_signature(Some(int.public_key()))
            .expect("signature verifies with the intermediate key");
        assert!(!cert.is_ca(), "a CSR asking CA:TRUE still gets a leaf");
        let sans: Vec<String> = cert
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names
            .iter()
            .map(|g| g.to_string())
            .collect();
        assert_eq!(sans, vec!["DNSName(www.example.com)", "DNSName(alt.example.com)"]);
        let ku = cert.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature());
        assert_eq!(
            ku.key_encipherment(),
            kind == KeyType::Rsa2048,
            "keyEncipherment only for RSA keys"
        );
        assert!(cert.extended_key_usage().unwrap().unwrap().value.server_auth);
        let days = (cert.validity().not_after.timestamp() - now().unix_timestamp()) / 86400;
        assert_eq!(days, 365);
        assert_eq!(issued.subject, "CN=www.example.com,O=Example");
    }
}

#[test]
fn refusals_name_the_problem() {
    let profile = Profile::from_toml("WebServer.toml", "WebServer", WEB).unwrap();
    let issuer = ca(KeyType::EcdsaP256, "CN=Issuing CA");
    let k = key(KeyType::EcdsaP256);
    let check = |req: CertRequest| issuer.check(&req, &profile, None).unwrap_err().to_string();
    let e = check(csr(
        &k,
        "CN=www.example.com",
        &[ca_core::csr::San::Dns("evil.example.org".into())],
        false,
    ));
    assert_eq!(
        e,
        "SAN evil.example.org is not under allowed suffixes [example.com] of profile WebServer"
    );
    let e = check(csr(&k, "O=No CN", &[], false));
    assert_eq!(e, "profile WebServer requires a CN");
    let many: Vec<_> = (0..6)
        .map(|i| ca_core::csr::San::Dns(format!("h{i}.example.com")))
        .collect();
    assert!(check(csr(&k, "CN=www.example.com", &many, false)).contains("exceed the maximum of 5"));
    let pg = Profile::from_toml(
        "p.toml",
        "postgres-client",
        &WEB.replace("cn = \"required\"", "cn = \"required\"\ncn_fixed = \"postgres\"")
            .replace("dns_suffixes = [\"example.com\"]", ""),
    )
    .unwrap();
    let e = issuer
        .check(&csr(&k, "CN=admin", &[], false), &pg, None)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "profile postgres-client requires CN=postgres");
    // Validity is clamped to the profile's maximum.
    let plan = issuer
        .check(&csr(&k, "CN=www.example.com", &[], false), &profile, Some(5000))
        .unwrap();
    assert_eq!(plan.days, 397);
    assert!(plan.clamped);
}

#[test]
fn tampered_csr_signature_is_refused() {
    let k = key(KeyType::EcdsaP256);
    let mut der = build_csr(&parse_dn("CN=www.example.com").unwrap(), vec![], &k).unwrap();
    // Flip one byte inside the subject's CN value.
    let pos = der.windows(3).position(|w| w == b"www").unwrap();
    der[pos] = b'v';
    assert_eq!(
        CertRequest::parse(&der).unwrap_err().to_string(),
        "CSR signature does not verify"
    );
    assert!(CertRequest::parse(b"not a csr")
        .unwrap_err()
        .to_string()
        .contains("neither PEM nor DER"));
}

#[test]
fn mismatched_issuer_key_is_refused() {
    let rng = SystemRandom::new();
    let k = key(KeyType::EcdsaP256);
    let der = root_certificate(
        &parse_dn("CN=R").unwrap(),
        &k,
        10,
        &Serial::random(&rng, now()).unwrap(),
        now(),
    )
    .unwrap();
    let other = key(KeyType::EcdsaP256);
    let err = IssuingCa::new("x", der, Box::new(other), IssuerUrls::default())
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::Issuer(ref m) if m.contains("does not match")),
        "{err}"
    );
}

#[test]
fn encrypted_pkcs8_roundtrip_and_wrong_passphrase() {
    let rng = SystemRandom::new();
    let der = generate_pkcs8(KeyType::EcdsaP256, &rng).unwrap();
    let pem = ca_core::keys::encrypt_pkcs8_pem(&der, b"secret", &rng).unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let back = ca_core::keys::decrypt_pkcs8(pem.as_bytes(), b"secret").unwrap();
    assert_eq!(&back[..], &der[..]);
    assert!(ca_core::keys::decrypt_pkcs8(pem.as_bytes(), b"wrong").is_err());
}

#[test]
fn profile_errors_name_file_and_field() {
    let e = Profile::from_toml("x.toml", "x", &format!("{WEB}\nbogus = 1"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("profile x.toml: unknown field `bogus`"), "{e}");
    let e = Profile::from_toml("x.toml", "x", &WEB.replace("\"keyEncipherment\"", "\"keyCertSign\""))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "profile x.toml: field key_usage: keyCertSign and cRLSign are for CA profiles only"
    );
    let e = Profile::from_toml("x.toml", "x", &WEB.replace("max_days = 397", "max_days = 30"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("field validity.default_days"), "{e}");
}
