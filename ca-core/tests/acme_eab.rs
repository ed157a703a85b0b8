//! External Account Binding: a binding computed with Python's `hmac` module (values below),
//! and each way a binding can fail to bind the account.
//!
//! The vector: MAC key = bytes 1..=32; protected = {"alg":"HS256","kid":"eab-key-1",
//! "url":"https://ca.example/acme/default/new-account"}; payload = the RFC 8037 Ed25519 public
//! JWK; MAC = hmac.new(key, protected_b64 + "." + payload_b64, hashlib.sha256).
use ca_core::acme::base64url;
use ca_core::acme::eab::{ExternalAccountBinding, MacAlgorithm, VerifiedBinding};
use ca_core::acme::{EabError, JwsError, ProblemType, ToProblem};
use serde_json::{json, Value};

const MAC_KEY_B64: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA";
const PROTECTED: &str = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImVhYi1rZXktMSIsInVybCI6Imh0dHBzOi8vY2EuZXhhbXBsZS9hY21lL2RlZmF1bHQvbmV3LWFjY291bnQifQ";
const PAYLOAD: &str =
    "eyJjcnYiOiJFZDI1NTE5Iiwia3R5IjoiT0tQIiwieCI6IjExcVlBWUt4Q3JmVlNfN1R5V1FIT2c3aGN2UGFwaU1scndJYWFQY0hVUm8ifQ";
const MAC: &str = "a2fZWGawvfdIFFDEEUz8SVRznta4Eze1GnjySncB7oo";
const URL: &str = "https://ca.example/acme/default/new-account";

fn mac_key() -> Vec<u8> {
    base64url::decode(MAC_KEY_B64).unwrap()
}

fn binding() -> Value {
    json!({"protected": PROTECTED, "payload": PAYLOAD, "signature": MAC})
}

/// The outer JWS's jwk, written with its members in another order than the payload.
fn account_jwk() -> Value {
    serde_json::from_str(r#"{"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kty":"OKP","crv":"Ed25519"}"#).unwrap()
}

/// A binding with `header` and `payload`, MACed with HS256 by aws-lc-rs.
fn make(header: Value, payload: &Value, key: &[u8]) -> Value {
    let p = base64url::encode(header.to_string());
    let y = base64url::encode(payload.to_string());
    let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&k, format!("{p}.{y}").as_bytes());
    json!({"protected": p, "payload": y, "signature": base64url::encode(tag)})
}

#[test]
fn python_hmac_vector_verifies() {
    let eab = ExternalAccountBinding::parse(&binding()).unwrap();
    assert_eq!(eab.key_id(), "eab-key-1");
    assert_eq!(eab.alg(), MacAlgorithm::Hs256);
    let verified = eab.verify(&mac_key(), URL, &account_jwk()).unwrap();
    assert_eq!(
        verified,
        VerifiedBinding {
            key_id: "eab-key-1".into(),
            alg: MacAlgorithm::Hs256
        }
    );
}

#[test]
fn wrong_mac_key_is_unauthorized() {
    let mut key = mac_key();
    key[0] ^= 1;
    let err = ExternalAccountBinding::parse(&binding())
        .unwrap()
        .verify(&key, URL, &account_jwk())
        .unwrap_err();
    assert_eq!(
        err,
        EabError::BadMac {
            key_id: "eab-key-1".into()
        }
    );
    assert_eq!(err.problem_type(), ProblemType::Unauthorized);
}

#[test]
fn url_must_be_the_new_account_url() {
    let err = ExternalAccountBinding::parse(&binding())
        .unwrap()
        .verify(&mac_key(), "https://ca.example/acme/other/new-account", &account_jwk())
        .unwrap_err();
    assert!(matches!(err, EabError::UrlMismatch { .. }), "{err}");
}

#[test]
fn payload_must_be_the_account_key() {
    let other = json!({"kty": "OKP", "crv": "Ed25519", "x": base64url::encode([7u8; 32])});
    let err = ExternalAccountBinding::parse(&binding())
        .unwrap()
        .verify(&mac_key(), URL, &other)
        .unwrap_err();
    assert!(matches!(err, EabError::KeyMismatch { .. }), "{err}");
    assert_eq!(err.problem_type(), ProblemType::Unauthorized);
}

#[test]
fn header_rules() {
    let key = mac_key();
    let jwk = account_jwk();
    let header = json!({"alg": "HS256", "kid": "k", "url": URL});

    let mut h = header.clone();
    h["nonce"] = json!("abc");
    assert_eq!(
        ExternalAccountBinding::parse(&make(h, &jwk, &key)).unwrap_err(),
        EabError::NonceForbidden
    );
    for alg in ["RS256", "none", "HS1"] {
        let mut h = header.clone();
        h["alg"] = json!(alg);
        let err = ExternalAccountBinding::parse(&make(h, &jwk, &key)).unwrap_err();
        assert_eq!(err, EabError::UnsupportedAlgorithm { alg: alg.into() });
        let problem = err.to_problem();
        assert_eq!(problem.kind, ProblemType::BadSignatureAlgorithm);
        assert_eq!(problem.algorithms, ["HS256", "HS384", "HS512"]);
    }
    let mut h = header.clone();
    h.as_object_mut().unwrap().remove("kid");
    let err = ExternalAccountBinding::parse(&make(h, &jwk, &key)).unwrap_err();
    assert!(
        matches!(err, EabError::Jws(JwsError::Header { member: "kid", .. })),
        "{err}"
    );
    assert_eq!(err.problem_type(), ProblemType::Malformed);
    let err = ExternalAccountBinding::parse(&json!("nope")).unwrap_err();
    assert!(matches!(err, EabError::Jws(_)), "{err}");

    // A binding made here verifies, so the failures above are about the one change each.
    let eab = ExternalAccountBinding::parse(&make(header, &jwk, &key)).unwrap();
    assert!(eab.verify(&key, URL, &jwk).is_ok());
}
