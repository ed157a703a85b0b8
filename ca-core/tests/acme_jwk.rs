//! Account keys: RFC 7638 and RFC 8037 thumbprint examples, and the JWK <-> SubjectPublicKeyInfo
//! conversion a revokeCert by certificate key relies on, for every key type privca generates.
mod acme_support;

use acme_support::TestKey;
use aws_lc_rs::rand::SystemRandom;
use ca_core::acme::jwk::{EcCurve, KeyKind};
use ca_core::acme::{AccountKey, JwkError, ProblemType, ToProblem};
use ca_core::keys::{generate_pkcs8, KeyPair, KeyType};
use ca_core::signer::Signer;
use serde_json::json;

/// RFC 7638 section 3.1 (the RSA key of RFC 7517 A.1).
const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

#[test]
fn rfc7638_thumbprint_example() {
    // Extra members (alg, kid) are not part of the thumbprint.
    let key =
        AccountKey::from_jwk(&json!({"kty": "RSA", "n": RFC7638_N, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}))
            .unwrap();
    assert_eq!(key.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    assert_eq!(key.kind(), KeyKind::Rsa { bits: 2048 });
    assert_eq!(
        key.canonical_json(),
        format!(r#"{{"e":"AQAB","kty":"RSA","n":"{RFC7638_N}"}}"#)
    );
}

#[test]
fn rfc8037_a3_thumbprint_example() {
    let key = AccountKey::from_jwk(
        &json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
    )
    .unwrap();
    assert_eq!(key.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

#[test]
fn ec_canonical_json_orders_members() {
    let key = TestKey::es384().account_key();
    assert_eq!(key.kind(), KeyKind::Ec(EcCurve::P384));
    let canonical = key.canonical_json();
    assert!(
        canonical.starts_with(r#"{"crv":"P-384","kty":"EC","x":""#),
        "{canonical}"
    );
    assert_eq!(AccountKey::from_jwk(&key.to_jwk()).unwrap(), key);
    assert_eq!(AccountKey::from_jwk_json(&canonical).unwrap(), key);
}

#[test]
fn spki_round_trips_for_every_key_type() {
    let rng = SystemRandom::new();
    for kind in KeyType::ALL {
        let pair = KeyPair::from_pkcs8_der(&generate_pkcs8(kind, &rng).unwrap()).unwrap();
        let spki = pair.public_key_der();
        let key = AccountKey::from_spki_der(spki).unwrap();
        assert_eq!(key.spki_der(), spki, "{kind}");
        let from_jwk = AccountKey::from_jwk(&key.to_jwk()).unwrap();
        assert_eq!(from_jwk, key, "{kind}");
        assert!(from_jwk.matches_spki(spki), "{kind}");
        let other = KeyPair::from_pkcs8_der(&generate_pkcs8(kind, &rng).unwrap()).unwrap();
        assert!(!key.matches_spki(other.public_key_der()), "{kind}");
    }
    assert!(!TestKey::eddsa().account_key().matches_spki(b"garbage"));
}

#[test]
fn unusable_keys_are_bad_public_key() {
    let err = AccountKey::from_jwk(&json!({"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"})).unwrap_err();
    assert_eq!(err.problem_type(), ProblemType::BadPublicKey);
    let err = AccountKey::from_jwk(&json!({"kty": "RSA", "e": "AQAB"})).unwrap_err();
    assert_eq!(
        err,
        JwkError::Member {
            member: "n",
            reason: "is missing".into()
        }
    );
    assert_eq!(err.problem_type(), ProblemType::Malformed);
    let err = AccountKey::from_spki_der(&[0x30, 0x00]).unwrap_err();
    assert!(matches!(err, JwkError::Spki { .. }), "{err}");
}
