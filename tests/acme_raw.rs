//! A raw ACME (RFC 8555) client for protocol tests: it builds and signs flattened JWS itself
//! (ES256 with aws-lc-rs, fixed-size r||s signatures; HS256 for External Account Binding), so
//! a test can send both correct requests and deliberately broken ones (replayed nonces, wrong
//! keys, wrong URLs, bad algorithms, ...) and look at exactly what the server answered.
//!
//! Nothing here uses the server's own ACME code: base64url, JWK and JWS are written out from
//! RFC 7515/7517/7518 so that a bug shared by both sides cannot hide.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use reqwest::blocking::Client;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

/// The ACME problem type URN prefix (RFC 8555 6.7).
pub const URN: &str = "urn:ietf:params:acme:error:";

// ---------------------------------------------------------------------------------------------
// base64

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 7515 2).
pub fn b64u(data: impl AsRef<[u8]>) -> String {
    let data = data.as_ref();
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(URL[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes base64 or base64url, padded or not; whitespace is skipped. Panics on other input.
pub fn b64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        if c.is_ascii_whitespace() || c == b'=' {
            continue;
        }
        let v = STD
            .iter()
            .position(|&x| x == c)
            .or_else(|| URL.iter().position(|&x| x == c))
            .unwrap_or_else(|| panic!("not base64: {c:?} in {text:?}")) as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// The DER blocks of a PEM text with the given label, in order.
pub fn pem_blocks(text: &str, label: &str) -> Vec<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&begin) {
        let body = &rest[i + begin.len()..];
        let j = body.find(&end).expect("PEM block has an END line");
        out.push(b64_decode(&body[..j]));
        rest = &body[j + end.len()..];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// keys

/// An ECDSA P-256 key that signs ES256 JWS.
pub struct Key {
    pair: EcdsaKeyPair,
}

impl Key {
    /// A fresh random key.
    pub fn generate() -> Key {
        Key {
            pair: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("P-256 key"),
        }
    }

    /// A P-256 key from an unencrypted PKCS#8 PEM file (what `openssl req -nodes` writes).
    pub fn from_pkcs8_pem(path: &Path) -> Key {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let der = pem_blocks(&text, "PRIVATE KEY")
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{} holds no PKCS#8 PRIVATE KEY", path.display()));
        Key {
            pair: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
                .unwrap_or_else(|e| panic!("{}: not a P-256 PKCS#8 key: {e}", path.display())),
        }
    }

    /// The public key as a JWK (RFC 7518 6.2.1), members in lexicographic order.
    pub fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        assert_eq!((point.len(), point[0]), (65, 4), "uncompressed P-256 point");
        json!({"crv": "P-256", "kty": "EC", "x": b64u(&point[1..33]), "y": b64u(&point[33..65])})
    }

    /// ES256 signature (r||s, 64 bytes) over `input`.
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        let sig = self.pair.sign(&SystemRandom::new(), input).expect("sign");
        assert_eq!(sig.as_ref().len(), 64, "fixed-size ES256 signature");
        sig.as_ref().to_vec()
    }
}

/// A flattened JWS of `payload` (the raw payload text; "" for POST-as-GET) under the
/// `protected` header as given, signed by `key`.
pub fn jws(key: &Key, protected: &Value, payload: &str) -> Value {
    let p = b64u(protected.to_string());
    let pl = b64u(payload);
    let sig = key.sign(format!("{p}.{pl}").as_bytes());
    json!({"protected": p, "payload": pl, "signature": b64u(sig)})
}

/// An External Account Binding (RFC 8555 7.3.4): HS256 over the account key, MACed with
/// `hmac_key` (raw bytes).
pub fn eab(key_id: &str, hmac_key: &[u8], new_account_url: &str, account_jwk: &Value) -> Value {
    let p = b64u(json!({"alg": "HS256", "kid": key_id, "url": new_account_url}).to_string());
    let pl = b64u(account_jwk.to_string());
    let mac = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, hmac_key),
        format!("{p}.{pl}").as_bytes(),
    );
    json!({"protected": p, "payload": pl, "signature": b64u(mac.as_ref())})
}

/// A random base64url string of `n` bytes.
pub fn random_b64u(n: usize) -> String {
    let mut raw = vec![0u8; n];
    SystemRandom::new().fill(&mut raw).expect("randomness");
    b64u(raw)
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics with the body otherwise).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("HTTP {} body is not JSON ({e}): {}", self.status, self.text()))
    }

    /// A header's value (the first one).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_string())
    }

    /// Every value of a header.
    pub fn headers_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("ASCII header").to_string())
            .collect()
    }

    /// The `Location` header (panics if missing).
    pub fn location(&self) -> String {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location header on HTTP {}: {}", self.status, self.text()))
    }

    /// The URL of the `Link` header with this `rel`, if any.
    pub fn link(&self, rel: &str) -> Option<String> {
        self.headers_all("link").iter().find_map(|l| {
            let (url, params) = l.split_once(';')?;
            let wanted = format!("rel=\"{rel}\"");
            params
                .split(';')
                .any(|p| p.trim() == wanted || p.trim() == format!("rel={rel}"))
                .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
        })
    }

    /// Asserts the status is `status` (with the body in the message).
    pub fn expect(&self, status: u16) -> &Resp {
        assert_eq!(self.status, status, "unexpected HTTP status; body: {}", self.text());
        self
    }

    /// Asserts a problem document (RFC 7807) with this status and ACME error type (the name
    /// after the URN prefix, e.g. "badNonce"); returns the document.
    pub fn problem(&self, status: u16, kind: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "expected HTTP {status} {kind}, got HTTP {}: {}",
            self.status,
            self.text()
        );
        self.problem_doc(kind)
    }

    /// Asserts a problem document of type `kind`, whatever the status; returns it.
    pub fn problem_doc(&self, kind: &str) -> Value {
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "a problem document: {}",
            self.text()
        );
        let doc = self.json();
        assert_eq!(doc["type"], format!("{URN}{kind}"), "problem type: {doc}");
        assert!(
            doc["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "problem detail: {doc}"
        );
        doc
    }

    /// The problem type name (after the URN prefix), if this is a problem document.
    pub fn problem_type(&self) -> Option<String> {
        let doc: Value = serde_json::from_slice(&self.body).ok()?;
        doc["type"].as_str()?.strip_prefix(URN).map(str::to_string)
    }
}

/// An account: its key and URL (the `kid`).
pub struct Account {
    pub key: Key,
    pub url: String,
}

/// The client of one ACME endpoint (`/acme/NAME/directory`).
pub struct Acme {
    http: Client,
    pub dir_url: String,
    pub dir: Value,
}

/// A blocking HTTPS client trusting only `root` (PEM).
pub fn https_client(root: &Path) -> Client {
    let pem = std::fs::read_to_string(root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let mut roots = rustls::RootCertStore::empty();
    for der in pem_blocks(&pem, "CERTIFICATE") {
        roots.add(der.into()).expect("a usable root certificate");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Client::builder()
        .use_preconfigured_tls(config)
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTPS client")
}

fn read(r: reqwest::blocking::Response) -> Resp {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.bytes().expect("response body").to_vec();
    Resp { status, headers, body }
}

impl Acme {
    /// Connects to `server` (https://127.0.0.1:PORT) endpoint `endpoint`, trusting `root`,
    /// and reads the directory.
    pub fn new(server: &str, endpoint: &str, root: &Path) -> Acme {
        let http = https_client(root);
        let dir_url = format!("{server}/acme/{endpoint}/directory");
        let mut acme = Acme {
            http,
            dir_url: dir_url.clone(),
            dir: Value::Null,
        };
        acme.dir = acme.get(&dir_url).expect(200).json();
        acme
    }

    /// A directory URL (`newNonce`, `newAccount`, ...).
    pub fn url(&self, name: &str) -> String {
        self.dir[name]
            .as_str()
            .unwrap_or_else(|| panic!("directory has no {name}: {}", self.dir))
            .to_string()
    }

    pub fn get(&self, url: &str) -> Resp {
        read(self.http.get(url).send().expect("GET"))
    }

    pub fn head(&self, url: &str) -> Resp {
        read(self.http.head(url).send().expect("HEAD"))
    }

    /// POSTs `body` as is, with this Content-Type.
    pub fn post_raw(&self, url: &str, content_type: &str, body: Vec<u8>) -> Resp {
        read(
            self.http
                .post(url)
                .header("content-type", content_type)
                .body(body)
                .send()
                .expect("POST"),
        )
    }

    /// POSTs a JWS (application/jose+json).
    pub fn post_jws(&self, url: &str, jws: &Value) -> Resp {
        self.post_raw(url, "application/jose+json", jws.to_string().into_bytes())
    }

    /// A fresh nonce (HEAD newNonce).
    pub fn nonce(&self) -> String {
        let r = self.head(&self.url("newNonce"));
        r.expect(200);
        r.header("replay-nonce").expect("Replay-Nonce")
    }

    /// The protected header of a well-formed request: ES256, a fresh nonce, `url`, and the
    /// account URL as `kid` or (without one) the key as `jwk`.
    pub fn protected(&self, key: &Key, kid: Option<&str>, url: &str) -> Value {
        let mut p = json!({"alg": "ES256", "nonce": self.nonce(), "url": url});
        match kid {
            Some(kid) => p["kid"] = json!(kid),
            None => p["jwk"] = key.jwk(),
        }
        p
    }

    /// A correctly signed request; `payload` None is POST-as-GET (empty payload).
    pub fn post(&self, key: &Key, kid: Option<&str>, url: &str, payload: Option<&Value>) -> Resp {
        let protected = self.protected(key, kid, url);
        let text = payload.map(|v| v.to_string()).unwrap_or_default();
        self.post_jws(url, &jws(key, &protected, &text))
    }

    /// A request by an account.
    pub fn post_as(&self, acct: &Account, url: &str, payload: &Value) -> Resp {
        self.post(&acct.key, Some(&acct.url), url, Some(payload))
    }

    /// A POST-as-GET by an account.
    pub fn get_as(&self, acct: &Account, url: &str) -> Resp {
        self.post(&acct.key, Some(&acct.url), url, None)
    }

    /// newAccount with this key and payload.
    pub fn new_account(&self, key: &Key, payload: &Value) -> Resp {
        self.post(key, None, &self.url("newAccount"), Some(payload))
    }

    /// A new account with a fresh key (asserts 201).
    pub fn register(&self) -> Account {
        let key = Key::generate();
        let r = self.new_account(&key, &json!({"termsOfServiceAgreed": true}));
        r.expect(201);
        Account { key, url: r.location() }
    }

    /// newOrder for DNS names.
    pub fn new_order(&self, acct: &Account, names: &[&str]) -> Resp {
        let ids: Vec<Value> = names.iter().map(|n| json!({"type": "dns", "value": n})).collect();
        self.post_as(acct, &self.url("newOrder"), &json!({"identifiers": ids}))
    }

    /// Answers the first challenge of every authorization of an order (the endpoint must be
    /// `always-valid`, so this makes them valid at once).
    pub fn validate_all(&self, acct: &Account, order: &Value) {
        for authz in order["authorizations"].as_array().expect("authorizations") {
            let a = self.get_as(acct, authz.as_str().unwrap());
            a.expect(200);
            let chall = a.json()["challenges"][0]["url"]
                .as_str()
                .expect("challenge url")
                .to_string();
            let c = self.post_as(acct, &chall, &json!({}));
            c.expect(200);
        }
    }

    /// Polls an order until its status is not `from` (bounded); returns it.
    pub fn poll_order(&self, acct: &Account, order_url: &str, from: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let o = self.get_as(acct, order_url);
            o.expect(200);
            let v = o.json();
            if v["status"] != from {
                return v;
            }
            assert!(Instant::now() < deadline, "order {order_url} stayed {from}: {v}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The order URLs of an account (its `orders` list).
    pub fn orders_of(&self, acct: &Account) -> Vec<String> {
        let a = self.get_as(acct, &acct.url);
        a.expect(200);
        let list = self.get_as(acct, a.json()["orders"].as_str().expect("orders URL"));
        list.expect(200);
        list.json()["orders"]
            .as_array()
            .expect("orders array")
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }
}
