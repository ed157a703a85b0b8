//! Interop with an independent JOSE implementation: Python's jwcrypto signs ACME requests
//! (RS256, ES256, ES384, EdDSA; jwk and kid forms; POST-as-GET) and EAB bindings (HS256/384/512)
//! with fresh keys, and privca must verify every one and agree on the RFC 7638 thumbprint.
//!
//! Needs `python3` with jwcrypto (`pip install jwcrypto`); without it the test FAILS, naming
//! what to install, rather than silently skipping the only independent check of the JWS code.
use std::process::Command;

use ca_core::acme::base64url;
use ca_core::acme::eab::ExternalAccountBinding;
use ca_core::acme::{AccountKey, JwsError, KeyRef, ParsedJws};
use serde_json::{json, Value};

fn generate() -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/acme_interop/make_jws.py");
    let out = Command::new("python3").arg(script).output().unwrap_or_else(|e| {
        panic!("cannot run python3 ({e}): the ACME interop test needs python3 with jwcrypto (pip install jwcrypto)")
    });
    if !out.status.success() {
        panic!(
            "{script} failed ({}): {}\nThe ACME interop test needs the Python package jwcrypto: pip install jwcrypto",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout).expect("make_jws.py printed JSON")
}

fn body(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// The same JWS with its payload replaced (signature kept).
fn with_payload(v: &Value, payload: &[u8]) -> Vec<u8> {
    let mut v = v.clone();
    v["payload"] = json!(base64url::encode(payload));
    body(&v)
}

/// An r||s signature re-encoded as DER, the classic ES256 interop bug.
fn der_signature(v: &Value) -> Vec<u8> {
    let sig = base64url::decode(v["signature"].as_str().unwrap()).unwrap();
    let int = |b: &[u8]| {
        let mut x: Vec<u8> = b.iter().copied().skip_while(|c| *c == 0).collect();
        if x.first().is_none_or(|c| c & 0x80 != 0) {
            x.insert(0, 0);
        }
        [vec![2, x.len() as u8], x].concat()
    };
    let (r, s) = sig.split_at(sig.len() / 2);
    let inner = [int(r), int(s)].concat();
    let der = [vec![0x30, inner.len() as u8], inner].concat();
    let mut v = v.clone();
    v["signature"] = json!(base64url::encode(der));
    body(&v)
}

#[test]
fn jwcrypto_requests_verify() {
    let generated = generate();
    let requests = generated["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 4);
    for r in requests {
        let alg = r["alg"].as_str().unwrap();
        let their_key = AccountKey::from_jwk(&r["jwk"]).unwrap();
        assert_eq!(
            their_key.thumbprint(),
            r["thumbprint"].as_str().unwrap(),
            "{alg} thumbprint"
        );

        let parsed = ParsedJws::parse(&body(&r["jwk_request"])).unwrap();
        assert_eq!(parsed.protected().alg.name(), alg);
        assert_eq!(parsed.protected().nonce.as_deref(), Some("bm9uY2UtMQ"));
        assert!(matches!(&parsed.protected().key, KeyRef::Jwk { json, .. } if *json == r["jwk"]));
        let verified = parsed.verify().unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.key, their_key);
        let payload: Value = verified.payload_json().unwrap();
        assert_eq!(payload["termsOfServiceAgreed"], true, "{alg}");

        let kid = ParsedJws::parse(&body(&r["kid_post_as_get"])).unwrap();
        assert_eq!(kid.protected().kid(), Some("https://ca.example/acme/default/acct/7"));
        let verified = kid.verify_with(&their_key).unwrap_or_else(|e| panic!("{alg} kid: {e}"));
        assert!(verified.is_post_as_get(), "{alg}");

        let forged = with_payload(&r["jwk_request"], br#"{"termsOfServiceAgreed":false}"#);
        let err = ParsedJws::parse(&forged).unwrap().verify().unwrap_err();
        assert_eq!(err, JwsError::BadSignature, "{alg}");

        if alg.starts_with("ES") {
            let err = ParsedJws::parse(&der_signature(&r["jwk_request"]))
                .unwrap()
                .verify()
                .unwrap_err();
            assert!(matches!(err, JwsError::SignatureLength { .. }), "{alg}: {err}");
        }
    }
}

#[test]
fn jwcrypto_eab_bindings_verify() {
    let generated = generate();
    let bindings = generated["eab"].as_array().unwrap();
    assert_eq!(bindings.len(), 3);
    for b in bindings {
        let alg = b["alg"].as_str().unwrap();
        let mac_key = base64url::decode(b["mac_key"].as_str().unwrap()).unwrap();
        let eab = ExternalAccountBinding::parse(&b["binding"]).unwrap();
        assert_eq!(eab.key_id(), format!("eab-{alg}"));
        assert_eq!(eab.alg().name(), alg);
        let url = "https://ca.example/acme/default/new-account";
        let verified = eab
            .clone()
            .verify(&mac_key, url, &b["account_jwk"])
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.key_id, format!("eab-{alg}"));
        let mut wrong = mac_key.clone();
        wrong[3] ^= 0x40;
        assert!(eab.verify(&wrong, url, &b["account_jwk"]).is_err(), "{alg}");
    }
}
