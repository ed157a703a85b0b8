//! ACME JWS verification: the RFC 7515 (A.2 RS256, A.3 ES256) and RFC 8037 (A.4 Ed25519)
//! example signatures, requests signed by each supported algorithm, and every malformed or
//! forged request class RFC 8555 6.2 names, each with its problem type.
mod acme_support;

use acme_support::{body, jwk_header, jws, kid_header, TestKey};
use ca_core::acme::base64url;
use ca_core::acme::jws::{verify_signature, MAX_JWS_BYTES};
use ca_core::acme::{AccountKey, Algorithm, JwsError, KeyRef, ParsedJws, ProblemType, ToProblem};
use serde_json::json;

/// RFC 7515 A.2: the RSA key (public members), the JWS parts.
const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const A2_PROTECTED: &str = "eyJhbGciOiJSUzI1NiJ9";
const A2_SIGNATURE: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
/// The payload shared by RFC 7515 A.1 to A.3.
const A_PAYLOAD: &str =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
/// RFC 7515 A.3: the P-256 key (public members), the JWS parts; the signature is r||s.
const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const A3_PROTECTED: &str = "eyJhbGciOiJFUzI1NiJ9";
const A3_SIGNATURE: &str = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
/// RFC 8037 A.2 public key and A.4 compact JWS.
const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const ED_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn b64(s: &str) -> Vec<u8> {
    base64url::decode(s).unwrap()
}

fn a3_key() -> AccountKey {
    AccountKey::from_jwk(&json!({"kty": "EC", "crv": "P-256", "x": A3_X, "y": A3_Y})).unwrap()
}

/// DER `ECDSA-Sig-Value` of a fixed r||s signature: what a client using a generic ECDSA API
/// would wrongly send.
fn to_der(fixed: &[u8]) -> Vec<u8> {
    fn int(bytes: &[u8]) -> Vec<u8> {
        let mut v: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        if v.first().is_none_or(|b| b & 0x80 != 0) {
            v.insert(0, 0);
        }
        [vec![0x02, v.len() as u8], v].concat()
    }
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let inner = [int(r), int(s)].concat();
    [vec![0x30, inner.len() as u8], inner].concat()
}

#[test]
fn rfc7515_a2_rs256_verifies() {
    let key = AccountKey::from_jwk(&json!({"kty": "RSA", "n": A2_N, "e": "AQAB"})).unwrap();
    let input = format!("{A2_PROTECTED}.{A_PAYLOAD}");
    verify_signature(Algorithm::Rs256, &key, input.as_bytes(), &b64(A2_SIGNATURE)).unwrap();
    let tampered = format!("{A2_PROTECTED}.{}", base64url::encode("{\"iss\":\"eve\"}"));
    assert_eq!(
        verify_signature(Algorithm::Rs256, &key, tampered.as_bytes(), &b64(A2_SIGNATURE)),
        Err(JwsError::BadSignature)
    );
}

#[test]
fn rfc7515_a3_es256_verifies_in_fixed_form_only() {
    let key = a3_key();
    let input = format!("{A3_PROTECTED}.{A_PAYLOAD}");
    let sig = b64(A3_SIGNATURE);
    assert_eq!(sig.len(), 64);
    verify_signature(Algorithm::Es256, &key, input.as_bytes(), &sig).unwrap();
    let err = verify_signature(Algorithm::Es256, &key, input.as_bytes(), &to_der(&sig)).unwrap_err();
    assert!(matches!(err, JwsError::SignatureLength { expected: 64, .. }), "{err}");
    assert!(err.to_string().contains("DER"), "{err}");
    // ES256 is not ES384, and an RSA algorithm does not fit an EC key.
    let err = verify_signature(Algorithm::Es384, &key, input.as_bytes(), &sig).unwrap_err();
    assert_eq!(err.problem_type(), ProblemType::BadSignatureAlgorithm);
}

#[test]
fn rfc8037_a4_ed25519_verifies() {
    let key = AccountKey::from_jwk(&json!({"kty": "OKP", "crv": "Ed25519", "x": ED_X})).unwrap();
    let (input, sig) = ED_JWS.rsplit_once('.').unwrap();
    verify_signature(Algorithm::EdDsa, &key, input.as_bytes(), &b64(sig)).unwrap();
    let mut bad = b64(sig);
    bad[0] ^= 1;
    assert_eq!(
        verify_signature(Algorithm::EdDsa, &key, input.as_bytes(), &bad),
        Err(JwsError::BadSignature)
    );
}

#[test]
fn each_algorithm_signs_a_jwk_request() {
    for key in [TestKey::rs256(), TestKey::es256(), TestKey::es384(), TestKey::eddsa()] {
        let payload = br#"{"termsOfServiceAgreed":true}"#;
        let parsed = ParsedJws::parse(&jws(&jwk_header(&key), payload, &key)).unwrap();
        let p = parsed.protected();
        assert_eq!(p.alg.name(), key.alg());
        assert_eq!(p.nonce.as_deref(), Some("bm9uY2U"));
        assert_eq!(p.url, "https://ca.example/acme/default/new-account");
        assert!(matches!(&p.key, KeyRef::Jwk { json, .. } if *json == key.jwk()));
        let verified = parsed.verify().unwrap();
        assert_eq!(verified.payload, payload);
        assert_eq!(verified.key, key.account_key());
        assert!(!verified.is_post_as_get());
        let v: serde_json::Value = verified.payload_json().unwrap();
        assert_eq!(v["termsOfServiceAgreed"], true);
    }
}

#[test]
fn kid_requests_verify_with_the_account_key() {
    let key = TestKey::es256();
    let other = TestKey::es256();
    let body = jws(&kid_header(&key), b"", &key);
    let parsed = ParsedJws::parse(&body).unwrap();
    assert_eq!(parsed.protected().kid(), Some("https://ca.example/acme/default/acct/1"));
    let verified = parsed.clone().verify_with(&key.account_key()).unwrap();
    assert!(verified.is_post_as_get(), "an empty payload is POST-as-GET");
    assert_eq!(
        parsed.clone().verify_with(&other.account_key()).unwrap_err(),
        JwsError::BadSignature
    );
    assert_eq!(parsed.verify().unwrap_err(), JwsError::ExpectedJwk);
    let jwk_body = jws(&jwk_header(&key), b"", &key);
    let err = ParsedJws::parse(&jwk_body)
        .unwrap()
        .verify_with(&key.account_key())
        .unwrap_err();
    assert_eq!(err, JwsError::ExpectedKid);
}

#[test]
fn tampered_payload_and_wrong_key_fail() {
    let key = TestKey::rs256();
    let header = jwk_header(&key);
    let good: serde_json::Value = serde_json::from_slice(&jws(&header, b"{}", &key)).unwrap();
    let forged = body(
        good["protected"].as_str().unwrap(),
        &base64url::encode(br#"{"contact":["mailto:eve@example.com"]}"#),
        &b64(good["signature"].as_str().unwrap()),
    );
    let err = ParsedJws::parse(&forged).unwrap().verify().unwrap_err();
    assert_eq!(err, JwsError::BadSignature);
    assert_eq!(err.problem_type(), ProblemType::Malformed);

    // The header names key A; key B signed.
    let signer = TestKey::rs256();
    let err = ParsedJws::parse(&jws(&header, b"{}", &signer))
        .unwrap()
        .verify()
        .unwrap_err();
    assert_eq!(err, JwsError::BadSignature);
}

#[test]
fn der_encoded_ecdsa_signature_is_rejected() {
    for key in [TestKey::es256(), TestKey::es384()] {
        let protected = base64url::encode(jwk_header(&key).to_string());
        let payload = base64url::encode("{}");
        let fixed = key.sign(format!("{protected}.{payload}").as_bytes());
        let err = ParsedJws::parse(&body(&protected, &payload, &to_der(&fixed)))
            .unwrap()
            .verify()
            .unwrap_err();
        assert!(matches!(err, JwsError::SignatureLength { .. }), "{err}");
        assert_eq!(err.problem_type(), ProblemType::Malformed);
    }
}

fn parse_err(header: serde_json::Value) -> JwsError {
    let key = TestKey::eddsa();
    ParsedJws::parse(&jws(&header, b"{}", &key)).unwrap_err()
}

#[test]
fn jwk_and_kid_must_be_exactly_one() {
    let key = TestKey::eddsa();
    let mut both = jwk_header(&key);
    both["kid"] = json!("https://ca.example/acme/default/acct/1");
    let err = parse_err(both);
    assert_eq!(err, JwsError::JwkAndKid);
    assert_eq!(err.problem_type(), ProblemType::Malformed);
    let mut neither = jwk_header(&key);
    neither.as_object_mut().unwrap().remove("jwk");
    assert_eq!(parse_err(neither), JwsError::NoJwkOrKid);
}

#[test]
fn unsupported_algorithms_are_bad_signature_algorithm() {
    let key = TestKey::eddsa();
    for alg in ["HS256", "none", "PS256", "ES512", "RS384", "Ed25519", ""] {
        let mut header = jwk_header(&key);
        header["alg"] = json!(alg);
        let err = parse_err(header);
        assert_eq!(err, JwsError::UnsupportedAlgorithm { alg: alg.into() });
        let problem = err.to_problem();
        assert_eq!(problem.kind, ProblemType::BadSignatureAlgorithm);
        assert_eq!(problem.algorithms, ["RS256", "ES256", "ES384", "EdDSA"]);
        assert_eq!(problem.status(), 400);
    }
}

#[test]
fn algorithm_must_fit_the_key() {
    let key = TestKey::es256();
    let mut header = jwk_header(&key);
    header["alg"] = json!("ES384");
    let err = ParsedJws::parse(&jws(&header, b"{}", &key))
        .unwrap()
        .verify()
        .unwrap_err();
    assert!(matches!(err, JwsError::AlgorithmKeyMismatch { .. }), "{err}");
    assert_eq!(err.problem_type(), ProblemType::BadSignatureAlgorithm);
    header["alg"] = json!("RS256");
    let err = ParsedJws::parse(&jws(&header, b"{}", &key))
        .unwrap()
        .verify()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "JWS algorithm RS256 cannot be used with a EC P-256 key"
    );
}

#[test]
fn header_rules() {
    let key = TestKey::eddsa();
    let without = |member: &str| {
        let mut h = jwk_header(&key);
        h.as_object_mut().unwrap().remove(member);
        h
    };
    let err = parse_err(without("nonce"));
    assert_eq!(err, JwsError::MissingNonce);
    assert_eq!(err.problem_type(), ProblemType::BadNonce);
    assert!(matches!(
        parse_err(without("url")),
        JwsError::Header { member: "url", .. }
    ));
    assert!(matches!(
        parse_err(without("alg")),
        JwsError::Header { member: "alg", .. }
    ));
    for member in ["b64", "crit"] {
        let mut h = jwk_header(&key);
        h[member] = if member == "b64" { json!(false) } else { json!(["b64"]) };
        assert!(matches!(parse_err(h), JwsError::UnsupportedHeader { .. }), "{member}");
    }
    let mut h = jwk_header(&key);
    h["url"] = json!(42);
    assert!(matches!(parse_err(h), JwsError::Header { member: "url", .. }));
    let mut h = jwk_header(&key);
    h["jwk"] = json!({"kty": "EC", "crv": "P-256", "x": A3_X, "y": A3_Y, "d": "AAAA"});
    let err = parse_err(h);
    assert!(matches!(err, JwsError::Jwk(_)), "{err}");
}

#[test]
fn serialization_rules() {
    let key = TestKey::eddsa();
    let good: serde_json::Value = serde_json::from_slice(&jws(&jwk_header(&key), b"{}", &key)).unwrap();
    let parse = |v: serde_json::Value| ParsedJws::parse(v.to_string().as_bytes()).unwrap_err();

    let mut v = good.clone();
    v["header"] = json!({"kid": "x"});
    assert_eq!(parse(v), JwsError::UnprotectedHeader);
    let general = json!({"payload": good["payload"], "signatures": [{"protected": good["protected"], "signature": good["signature"]}]});
    assert_eq!(parse(general), JwsError::NotFlattened);
    let mut v = good.clone();
    v["signature"] = json!(format!("{}==", v["signature"].as_str().unwrap()));
    assert!(matches!(
        parse(v),
        JwsError::Member {
            member: "signature",
            ..
        }
    ));
    let mut v = good.clone();
    v.as_object_mut().unwrap().remove("payload");
    assert!(matches!(parse(v), JwsError::Member { member: "payload", .. }));
    assert!(matches!(
        ParsedJws::parse(b"not json").unwrap_err(),
        JwsError::NotJson { .. }
    ));
    let big = vec![b' '; MAX_JWS_BYTES + 1];
    assert!(matches!(ParsedJws::parse(&big).unwrap_err(), JwsError::TooLarge { .. }));
}

#[test]
fn key_change_inner_jws_has_a_jwk_and_no_nonce() {
    let new_key = TestKey::es384();
    let mut header = jwk_header(&new_key);
    header.as_object_mut().unwrap().remove("nonce");
    let inner = jws(&header, br#"{"account":"a","oldKey":{}}"#, &new_key);
    let verified = ParsedJws::parse_key_change_inner(&inner).unwrap().verify().unwrap();
    assert_eq!(verified.key, new_key.account_key());
    assert_eq!(verified.protected.nonce, None);
    let with_nonce = jws(&jwk_header(&new_key), b"{}", &new_key);
    assert_eq!(
        ParsedJws::parse_key_change_inner(&with_nonce).unwrap_err(),
        JwsError::NonceForbidden
    );
}
