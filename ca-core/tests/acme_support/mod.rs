//! Shared by the ACME integration tests: account keys that sign the way ACME clients do, and
//! a builder for flattened JWS bodies, so each test states only the header it is about.
#![allow(dead_code)] // each test file uses a different subset

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use ca_core::acme::base64url;
use ca_core::acme::AccountKey;
use serde_json::{json, Value};

/// A private key and the JWS algorithm it signs with.
pub enum TestKey {
    Rs256(RsaKeyPair),
    Es256(EcdsaKeyPair),
    Es384(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

impl TestKey {
    pub fn rs256() -> TestKey {
        TestKey::Rs256(RsaKeyPair::generate(KeySize::Rsa2048).unwrap())
    }
    pub fn es256() -> TestKey {
        TestKey::Es256(EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap())
    }
    pub fn es384() -> TestKey {
        TestKey::Es384(EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_FIXED_SIGNING).unwrap())
    }
    pub fn eddsa() -> TestKey {
        TestKey::EdDsa(Ed25519KeyPair::generate().unwrap())
    }

    pub fn alg(&self) -> &'static str {
        match self {
            TestKey::Rs256(_) => "RS256",
            TestKey::Es256(_) => "ES256",
            TestKey::Es384(_) => "ES384",
            TestKey::EdDsa(_) => "EdDSA",
        }
    }

    pub fn spki_der(&self) -> Vec<u8> {
        match self {
            TestKey::Rs256(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
            TestKey::Es256(k) | TestKey::Es384(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
            TestKey::EdDsa(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
        }
    }

    pub fn account_key(&self) -> AccountKey {
        AccountKey::from_spki_der(&self.spki_der()).unwrap()
    }

    pub fn jwk(&self) -> Value {
        self.account_key().to_jwk()
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            TestKey::Rs256(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig).unwrap();
                sig
            }
            TestKey::Es256(k) | TestKey::Es384(k) => k.sign(&rng, message).unwrap().as_ref().to_vec(),
            TestKey::EdDsa(k) => k.sign(message).as_ref().to_vec(),
        }
    }
}

/// The header of an account request: alg, nonce, url and the key as jwk.
pub fn jwk_header(key: &TestKey) -> Value {
    json!({"alg": key.alg(), "nonce": "bm9uY2U", "url": "https://ca.example/acme/default/new-account", "jwk": key.jwk()})
}

/// The header of a request by an existing account.
pub fn kid_header(key: &TestKey) -> Value {
    json!({"alg": key.alg(), "nonce": "bm9uY2U", "url": "https://ca.example/acme/default/new-order", "kid": "https://ca.example/acme/default/acct/1"})
}

/// A flattened JWS over `header` and `payload`, signed by `key`.
pub fn jws(header: &Value, payload: &[u8], key: &TestKey) -> Vec<u8> {
    let protected = base64url::encode(header.to_string());
    let payload = base64url::encode(payload);
    let sig = key.sign(format!("{protected}.{payload}").as_bytes());
    body(&protected, &payload, &sig)
}

/// A flattened JWS from its parts.
pub fn body(protected_b64: &str, payload_b64: &str, signature: &[u8]) -> Vec<u8> {
    json!({"protected": protected_b64, "payload": payload_b64, "signature": base64url::encode(signature)})
        .to_string()
        .into_bytes()
}
