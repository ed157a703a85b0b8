//! The ACME server (RFC 8555) at the protocol level, driven by a raw client (`acme_raw.rs`)
//! that signs its own JWS, so both correct and deliberately broken requests can be sent:
//! directory and nonces, the whole order flow, bad input (each refused with the right problem
//! and nothing stored), isolation between accounts, account update, deactivation and key
//! change, External Account Binding, manual approval through the request queue, revocation
//! and renewal information (RFC 9773).
//!
//! Every test has its own CA home and daemon; endpoints that do not test challenges use
//! `validation = "always-valid"`, so no network validation happens.
#[path = "acme_raw.rs"]
mod acme_raw;

use std::path::{Path, PathBuf};

use acme_raw::{b64_decode, b64u, eab, jws, pem_blocks, random_b64u, Account, Acme, Key, Resp};
use privca_tests::{openssl, openssl_csr, Run, Server, TestCa};
use serde_json::{json, Value};

/// An always-valid endpoint on WebServer with automatic approval: challenges are answered
/// without a network check and finalize issues at once.
const TEST_ENDPOINT: &str = r#"
[acme.test]
template = "WebServer"
validation = "always-valid"
"#;

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A fresh CA home with `sections` appended to its ca.toml, and its daemon.
fn start(sections: &str) -> (TestCa, Server) {
    start_with(sections, |_| {})
}

/// Like [`start`], with a hook to add files (templates) to the home before the daemon starts.
fn start_with(sections: &str, prepare: impl FnOnce(&TestCa)) -> (TestCa, Server) {
    let ca = TestCa::init("ecdsa-p256");
    let toml = ca.home.join("ca.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(sections);
    std::fs::write(&toml, text).unwrap();
    prepare(&ca);
    let srv = Server::start(&ca.home, &ca.pass);
    (ca, srv)
}

fn root(ca: &TestCa) -> PathBuf {
    ca.issuer_file("default", "root.crt")
}

fn client_for(ca: &TestCa, srv: &Server, endpoint: &str) -> Acme {
    Acme::new(&srv.url(), endpoint, &root(ca))
}

/// ca-cli client verb against the running server (admin credential from the home).
fn cli(ca: &TestCa, srv: &Server, args: &[&str]) -> Run {
    let url = srv.url();
    let mut v = args.to_vec();
    v.extend(["--server", &url]);
    ca.cli(&v)
}

/// Every request in the queue, whatever its status.
fn all_requests(ca: &TestCa, srv: &Server) -> Vec<Value> {
    let out = cli(ca, srv, &["requests", "list", "--status", "all", "--json"]).ok();
    let v: Value = serde_json::from_str(out.trim()).expect("requests list --json is JSON");
    v.as_array().expect("array").clone()
}

/// An openssl-made P-256 CSR (DER) in the work dir: (base64url of the DER, key path).
fn csr(ca: &TestCa, name: &str, cn: &str, sans: &str) -> (String, PathBuf) {
    let path = openssl_csr(ca.dir(), name, "ec", &format!("/CN={cn}"), sans, true);
    let der = std::fs::read(&path).unwrap();
    (b64u(der), ca.dir().join(format!("{name}.key")))
}

fn dns_sans(names: &[&str]) -> String {
    names.iter().map(|n| format!("DNS:{n}")).collect::<Vec<_>>().join(",")
}

/// A certificate issued through the whole ACME flow.
struct Issued {
    order_url: String,
    order: Value,
    /// The PEM chain as downloaded (leaf first).
    chain: String,
    /// The leaf, DER.
    leaf: Vec<u8>,
    /// The certificate's private key (PKCS#8 PEM file, from openssl).
    key: PathBuf,
}

/// newOrder, answer every challenge, finalize with an openssl CSR, download: each step's
/// status checked. `tag` names the CSR and key files.
fn issue(ca: &TestCa, acme: &Acme, acct: &Account, names: &[&str], tag: &str) -> Issued {
    let r = acme.new_order(acct, names);
    r.expect(201);
    let order_url = r.location();
    acme.validate_all(acct, &r.json());
    let order = acme.poll_order(acct, &order_url, "pending");
    assert_eq!(order["status"], "ready", "{order}");
    let (csr_b64, key) = csr(ca, tag, names[0], &dns_sans(names));
    let f = acme.post_as(acct, order["finalize"].as_str().unwrap(), &json!({"csr": csr_b64}));
    f.expect(200);
    let order = acme.poll_order(acct, &order_url, "processing");
    assert_eq!(order["status"], "valid", "{order}");
    let cert = acme.get_as(acct, order["certificate"].as_str().expect("certificate URL"));
    cert.expect(200);
    let chain = cert.text();
    let leaf = pem_blocks(&chain, "CERTIFICATE").remove(0);
    Issued {
        order_url,
        order,
        chain,
        leaf,
        key,
    }
}

/// `openssl verify` of a downloaded chain against the home's root.
fn verify_chain(ca: &TestCa, chain: &str, file: &str) {
    let path = ca.dir().join(file);
    std::fs::write(&path, chain).unwrap();
    let out = openssl(
        ca.dir(),
        &["verify", "-CAfile", &s(&root(ca)), "-untrusted", &s(&path), &s(&path)],
    )
    .ok();
    assert!(out.contains(": OK"), "{out}");
}

/// A newOrder payload for one DNS name.
fn order_payload(name: &str) -> String {
    json!({"identifiers": [{"type": "dns", "value": name}]}).to_string()
}

/// Every ACME response but the directory carries a fresh nonce and is not cached.
fn assert_acme_headers(r: &Resp) {
    assert!(
        r.header("replay-nonce").is_some_and(|n| !n.is_empty()),
        "Replay-Nonce on HTTP {}: {:?}",
        r.status,
        r.headers
    );
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("no-store"),
        "{:?}",
        r.headers
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Directory and nonces

#[test]
fn directory_and_nonces() {
    let (ca, srv) = start(&format!(
        "{TEST_ENDPOINT}\n[acme.eab]\ntemplate = \"WebServer\"\neab_required = true\nvalidation = \"always-valid\"\n"
    ));
    let acme = client_for(&ca, &srv, "test");
    let base = format!("{}/acme/test/", srv.url());
    let dir = &acme.dir;
    for (name, path) in [
        ("newNonce", "new-nonce"),
        ("newAccount", "new-account"),
        ("newOrder", "new-order"),
        ("revokeCert", "revoke-cert"),
        ("keyChange", "key-change"),
        ("renewalInfo", "renewal-info"),
    ] {
        assert_eq!(dir[name], format!("{base}{path}"), "{name} in {dir}");
    }
    assert_eq!(dir["meta"]["externalAccountRequired"], false, "{dir}");
    let profiles = dir["meta"]["profiles"].as_object().expect("meta.profiles");
    assert!(profiles.contains_key("WebServer"), "{dir}");
    assert!(profiles["WebServer"].as_str().is_some_and(|d| !d.is_empty()), "{dir}");
    let eab_dir = client_for(&ca, &srv, "eab").dir;
    assert_eq!(eab_dir["meta"]["externalAccountRequired"], true, "{eab_dir}");
    // The fresh home's own endpoint is there too.
    let default_dir = client_for(&ca, &srv, "default").dir;
    assert_eq!(default_dir["newOrder"], format!("{}/acme/default/new-order", srv.url()));

    // newNonce: HEAD 200, GET 204, each with a fresh nonce, never cached.
    let head = acme.head(&acme.url("newNonce"));
    head.expect(200);
    assert_acme_headers(&head);
    let get = acme.get(&acme.url("newNonce"));
    get.expect(204);
    assert_acme_headers(&get);
    assert!(get.body.is_empty());
    assert_ne!(head.header("replay-nonce"), get.header("replay-nonce"));
    assert_eq!(
        head.link("index").as_deref(),
        Some(acme.dir_url.as_str()),
        "{:?}",
        head.headers
    );

    // Unknown endpoints and resources are 404 problem documents.
    let r = acme.get(&format!("{}/acme/nosuch/directory", srv.url()));
    r.problem(404, "malformed");
    let r = acme.head(&format!("{}/acme/nosuch/new-nonce", srv.url()));
    assert_eq!(r.status, 404);
    let key = Key::generate();
    let url = format!("{base}no-such-resource");
    let p = acme.protected(&key, None, &url);
    let r = acme.post_jws(&url, &jws(&key, &p, "{}"));
    r.problem(404, "malformed");
    assert_acme_headers(&r);
    srv.stop();
}

// ---------------------------------------------------------------------------------------------
// 2 + 9. The whole flow, and renewal information

#[test]
fn happy_path_issue_download_and_renewal_info() {
    let (ca, srv) = start(TEST_ENDPOINT);
    let acme = client_for(&ca, &srv, "test");

    // newAccount: 201 + Location; again with the same key: 200, the same Location.
    let key = Key::generate();
    let payload = json!({"termsOfServiceAgreed": true, "contact": ["mailto:ops@example.com"]});
    let r = acme.new_account(&key, &payload);
    r.expect(201);
    assert_acme_headers(&r);
    let acct_url = r.location();
    assert!(
        acct_url.starts_with(&format!("{}/acme/test/acct/", srv.url())),
        "{acct_url}"
    );
    let a = r.json();
    assert_eq!(a["status"], "valid", "{a}");
    assert_eq!(a["contact"], json!(["mailto:ops@example.com"]), "{a}");
    let r = acme.new_account(&key, &payload);
    r.expect(200);
    assert_eq!(r.location(), acct_url);
    let r = acme.new_account(&key, &json!({"onlyReturnExisting": true}));
    r.expect(200);
    assert_eq!(r.location(), acct_url);
    // onlyReturnExisting with an unknown key: accountDoesNotExist, and no account appears.
    let stranger = Key::generate();
    acme.new_account(&stranger, &json!({"onlyReturnExisting": true}))
        .problem(400, "accountDoesNotExist");
    acme.new_account(&stranger, &json!({"onlyReturnExisting": true}))
        .problem(400, "accountDoesNotExist");
    let acct = Account { key, url: acct_url };

    // newOrder: 201, Location, pending, one authorization per name.
    let names = ["a.example.com", "b.example.com"];
    let r = acme.new_order(&acct, &names);
    r.expect(201);
    assert_acme_headers(&r);
    let order_url = r.location();
    let order = r.json();
    assert_eq!(order["status"], "pending", "{order}");
    assert_eq!(
        order["identifiers"],
        json!([{"type": "dns", "value": "a.example.com"}, {"type": "dns", "value": "b.example.com"}]),
        "{order}"
    );
    let authzs = order["authorizations"].as_array().expect("authorizations");
    assert_eq!(authzs.len(), 2, "{order}");
    assert!(
        order["finalize"].as_str().is_some_and(|f| f.starts_with(&order_url)),
        "{order}"
    );
    assert_eq!(acme.orders_of(&acct), vec![order_url.clone()]);

    // The authorizations (POST-as-GET), and their challenges answered: valid at once.
    for authz_url in authzs {
        let a = acme.get_as(&acct, authz_url.as_str().unwrap());
        a.expect(200);
        let a = a.json();
        assert_eq!(a["status"], "pending", "{a}");
        let value = a["identifier"]["value"].as_str().unwrap();
        assert!(names.contains(&value), "{a}");
        let challenges = a["challenges"].as_array().expect("challenges");
        assert!(
            challenges.iter().any(|c| c["type"] == "http-01")
                && challenges
                    .iter()
                    .all(|c| c["status"] == "pending" && c["token"].is_string()),
            "{a}"
        );
        let c = acme.post_as(&acct, challenges[0]["url"].as_str().unwrap(), &json!({}));
        c.expect(200);
        assert_eq!(c.json()["status"], "valid", "{}", c.text());
        assert_eq!(c.link("up").as_deref(), authz_url.as_str());
        let a = acme.get_as(&acct, authz_url.as_str().unwrap());
        assert_eq!(a.json()["status"], "valid", "{}", a.text());
    }
    let order = acme.get_as(&acct, &order_url);
    order.expect(200);
    let order = order.json();
    assert_eq!(order["status"], "ready", "{order}");

    // finalize with an openssl CSR: valid at once (approval "auto").
    let (csr_b64, _) = csr(&ca, "happy", "a.example.com", &dns_sans(&names));
    let f = acme.post_as(&acct, order["finalize"].as_str().unwrap(), &json!({"csr": csr_b64}));
    f.expect(200);
    assert_eq!(f.location(), order_url);
    let order = acme.poll_order(&acct, &order_url, "processing");
    assert_eq!(order["status"], "valid", "{order}");
    let cert_url = order["certificate"].as_str().expect("certificate URL").to_string();

    // Download: the PEM chain with the alternate (root included) and the index linked.
    let cert = acme.get_as(&acct, &cert_url);
    cert.expect(200);
    assert_eq!(
        cert.header("content-type").as_deref(),
        Some("application/pem-certificate-chain")
    );
    assert_eq!(
        cert.link("index").as_deref(),
        Some(acme.dir_url.as_str()),
        "{:?}",
        cert.headers
    );
    let alternate = cert.link("alternate").expect("Link rel=alternate");
    assert_eq!(alternate, format!("{cert_url}/1"));
    let chain = cert.text();
    assert_eq!(
        pem_blocks(&chain, "CERTIFICATE").len(),
        2,
        "leaf + intermediate: {chain}"
    );
    verify_chain(&ca, &chain, "happy-chain.pem");
    let text = openssl(ca.dir(), &["x509", "-noout", "-text", "-in", "happy-chain.pem"]).ok();
    assert!(text.contains("DNS:a.example.com, DNS:b.example.com"), "{text}");
    let alt = acme.get_as(&acct, &alternate);
    alt.expect(200);
    let alt_chain = pem_blocks(&alt.text(), "CERTIFICATE");
    assert_eq!(alt_chain.len(), 3, "leaf + intermediate + root");
    assert_eq!(
        alt_chain[2],
        pem_blocks(&std::fs::read_to_string(root(&ca)).unwrap(), "CERTIFICATE")[0]
    );
    assert_eq!(alt.link("alternate").as_deref(), Some(cert_url.as_str()));
    verify_chain(&ca, &alt.text(), "happy-alt.pem");
    // The certificate went through the request queue and the index like any other.
    let requests = all_requests(&ca, &srv);
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["status"], "issued", "{requests:?}");

    // 9. ARI: GET renewalInfo/{base64url(AKI keyid).base64url(serial)}.
    let leaf = pem_blocks(&chain, "CERTIFICATE").remove(0);
    let (cert_id, not_before, not_after) = ari_cert_id(&leaf);
    let info_url = format!("{}/{cert_id}", acme.url("renewalInfo"));
    let r = acme.get(&info_url);
    r.expect(200);
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    let w = r.json();
    let start = w["suggestedWindow"]["start"].as_str().expect("start").to_string();
    let end = w["suggestedWindow"]["end"].as_str().expect("end").to_string();
    // Both are RFC 3339 UTC times of the same shape, so they compare as text.
    assert!(
        start.ends_with('Z') && end.ends_with('Z') && start.len() == end.len(),
        "{w}"
    );
    assert!(start < end, "{w}");
    assert!(
        not_before < start && end < not_after,
        "window {w} inside {not_before}..{not_after}"
    );
    // A serial this CA never issued: 404.
    let bogus = format!("{}.{}", cert_id.split('.').next().unwrap(), b64u([0x01, 0x02, 0x03]));
    assert_eq!(acme.get(&format!("{}/{bogus}", acme.url("renewalInfo"))).status, 404);
    srv.stop();
}

/// The RFC 9773 certID of a certificate, with its validity as RFC 3339 UTC text.
fn ari_cert_id(der: &[u8]) -> (String, String, String) {
    use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).expect("certificate parses");
    let aki = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref().map(|k| k.0.to_vec()),
            _ => None,
        })
        .expect("AKI keyIdentifier");
    let serial = cert.tbs_certificate.raw_serial();
    let fmt = |t: x509_parser::time::ASN1Time| {
        let d = t.to_datetime();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    };
    (
        format!("{}.{}", b64u(aki), b64u(serial)),
        fmt(cert.validity().not_before),
        fmt(cert.validity().not_after),
    )
}

// ---------------------------------------------------------------------------------------------
// 3. Bad input: the right problem, and nothing stored

/// A template like WebServer that only allows names under example.com.
fn restricted_template(ca: &TestCa) {
    let web = std::fs::read_to_string(ca.home.join("profiles").join("WebServer.toml")).unwrap();
    let restricted = web.replace("dns_suffixes = []", "dns_suffixes = [\"example.com\"]");
    assert_ne!(web, restricted, "WebServer.toml has a dns_suffixes line");
    std::fs::write(ca.home.join("profiles").join("Restricted.toml"), restricted).unwrap();
}

#[test]
fn bad_requests_are_refused_and_store_nothing() {
    let sections = format!(
        "{TEST_ENDPOINT}\n[acme.restricted]\ntemplate = \"Restricted\"\nvalidation = \"always-valid\"\n\
         \n[acme.eab]\ntemplate = \"WebServer\"\neab_required = true\nvalidation = \"always-valid\"\n"
    );
    let (ca, srv) = start_with(&sections, restricted_template);
    let acme = client_for(&ca, &srv, "test");
    let a = acme.register();
    let b = acme.register();
    let new_order = acme.url("newOrder");
    let protected_a = |nonce: &str, url: &str| json!({"alg": "ES256", "nonce": nonce, "url": url, "kid": a.url});

    // A used nonce is refused (badNonce, with a fresh nonce to retry with), whether the body is
    // replayed as is or re-signed with another payload.
    let nonce = acme.nonce();
    let first = jws(
        &a.key,
        &protected_a(&nonce, &new_order),
        &order_payload("n1.example.com"),
    );
    acme.post_jws(&new_order, &first).expect(201);
    let r = acme.post_jws(&new_order, &first);
    r.problem(400, "badNonce");
    assert_acme_headers(&r);
    let other = jws(
        &a.key,
        &protected_a(&nonce, &new_order),
        &order_payload("n2.example.com"),
    );
    acme.post_jws(&new_order, &other).problem(400, "badNonce");
    // A made-up nonce, and none at all.
    let forged = jws(
        &a.key,
        &protected_a(&random_b64u(32), &new_order),
        &order_payload("n3.example.com"),
    );
    acme.post_jws(&new_order, &forged).problem(400, "badNonce");
    let mut no_nonce = protected_a("", &new_order);
    no_nonce.as_object_mut().unwrap().remove("nonce");
    let r = acme.post_jws(&new_order, &jws(&a.key, &no_nonce, &order_payload("n4.example.com")));
    r.problem(400, "badNonce");
    assert_eq!(acme.orders_of(&a).len(), 1, "only the first order exists");

    // kid of account A, signature by key B: refused (the signature does not verify with A's
    // key), and no order for A or B.
    let p = protected_a(&acme.nonce(), &new_order);
    let r = acme.post_jws(&new_order, &jws(&b.key, &p, &order_payload("forged.example.com")));
    assert!(
        r.status == 400 || r.status == 403,
        "kid A signed by B: HTTP {} {}",
        r.status,
        r.text()
    );
    let kind = r.problem_type().unwrap_or_default();
    assert!(kind == "malformed" || kind == "unauthorized", "{}", r.text());
    assert_eq!(acme.orders_of(&a).len(), 1);
    assert!(acme.orders_of(&b).is_empty());

    // The JWS url is not the URL posted to: unauthorized. The nonce is not used up by a
    // refused request: the same nonce then works in a correct one.
    let nonce = acme.nonce();
    let wrong_url = jws(
        &a.key,
        &protected_a(&nonce, &acme.url("newAccount")),
        &order_payload("u.example.com"),
    );
    acme.post_jws(&new_order, &wrong_url).problem(403, "unauthorized");
    assert_eq!(acme.orders_of(&a).len(), 1);
    let right = jws(
        &a.key,
        &protected_a(&nonce, &new_order),
        &order_payload("u.example.com"),
    );
    acme.post_jws(&new_order, &right).expect(201);
    assert_eq!(acme.orders_of(&a).len(), 2);

    // Unsupported algorithms: badSignatureAlgorithm listing the supported ones.
    for alg in ["HS256", "none", "RS512"] {
        let mut p = protected_a(&acme.nonce(), &new_order);
        p["alg"] = json!(alg);
        let body = if alg == "none" {
            let mut j = jws(&a.key, &p, &order_payload("alg.example.com"));
            j["signature"] = json!("");
            j
        } else {
            jws(&a.key, &p, &order_payload("alg.example.com"))
        };
        let doc = acme.post_jws(&new_order, &body).problem(400, "badSignatureAlgorithm");
        let algs: Vec<&str> = doc["algorithms"]
            .as_array()
            .unwrap_or_else(|| panic!("algorithms listed: {doc}"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(algs.contains(&"ES256") && !algs.contains(&alg), "{doc}");
    }
    // Both jwk and kid: malformed.
    let mut p = protected_a(&acme.nonce(), &new_order);
    p["jwk"] = a.key.jwk();
    acme.post_jws(&new_order, &jws(&a.key, &p, &order_payload("both.example.com")))
        .problem(400, "malformed");
    // Not application/jose+json: 415.
    let p = protected_a(&acme.nonce(), &new_order);
    let body = jws(&a.key, &p, &order_payload("ctype.example.com"))
        .to_string()
        .into_bytes();
    let r = acme.post_raw(&new_order, "application/json", body);
    r.problem_doc("malformed");
    assert_eq!(r.status, 415, "{}", r.text());
    assert_eq!(acme.orders_of(&a).len(), 2, "none of that made an order");

    // finalize with a CSR naming a name outside the order: badCSR, the order stays ready and
    // nothing reaches the request queue.
    let r = acme.new_order(&a, &["f.example.com"]);
    r.expect(201);
    let order_url = r.location();
    let finalize = r.json()["finalize"].as_str().unwrap().to_string();
    // Finalizing before the challenges are answered: orderNotReady.
    let (early, _) = csr(&ca, "early", "f.example.com", "DNS:f.example.com");
    acme.post_as(&a, &finalize, &json!({"csr": early}))
        .problem(403, "orderNotReady");
    assert_eq!(acme.get_as(&a, &order_url).json()["status"], "pending");
    acme.validate_all(&a, &r.json());
    let order = acme.get_as(&a, &order_url).json();
    assert_eq!(order["status"], "ready", "{order}");
    let (extra, _) = csr(
        &ca,
        "extra",
        "f.example.com",
        "DNS:f.example.com,DNS:not-ordered.example.com",
    );
    let doc = acme
        .post_as(&a, &finalize, &json!({"csr": extra}))
        .problem(400, "badCSR");
    assert!(
        doc["detail"].as_str().unwrap().contains("not-ordered.example.com"),
        "{doc}"
    );
    assert_eq!(acme.get_as(&a, &order_url).json()["status"], "ready");
    // A CSR whose signature does not verify: badCSR.
    let (good, _) = csr(&ca, "fgood", "f.example.com", "DNS:f.example.com");
    let mut der = b64_decode(&good);
    *der.last_mut().unwrap() ^= 0x01;
    acme.post_as(&a, &finalize, &json!({"csr": b64u(&der)}))
        .problem(400, "badCSR");
    // Not a CSR at all.
    acme.post_as(&a, &finalize, &json!({"csr": b64u(b"not a CSR")}))
        .problem(400, "badCSR");
    assert_eq!(acme.get_as(&a, &order_url).json()["status"], "ready");
    assert!(all_requests(&ca, &srv).is_empty(), "no request was queued");
    // The order is still usable with a correct CSR.
    acme.post_as(&a, &finalize, &json!({"csr": good})).expect(200);
    assert_eq!(acme.poll_order(&a, &order_url, "processing")["status"], "valid");
    assert_eq!(all_requests(&ca, &srv).len(), 1);

    // A name the endpoint's template forbids: rejectedIdentifier, no order.
    let restricted = client_for(&ca, &srv, "restricted");
    let r_acct = restricted.register();
    let doc = restricted
        .new_order(&r_acct, &["www.example.org"])
        .problem(400, "rejectedIdentifier");
    assert!(doc.to_string().contains("www.example.org"), "{doc}");
    assert!(restricted.orders_of(&r_acct).is_empty());
    restricted.new_order(&r_acct, &["www.example.com"]).expect(201);

    // newAccount without External Account Binding where it is required: no account.
    let eab_ep = client_for(&ca, &srv, "eab");
    let key = Key::generate();
    eab_ep
        .new_account(&key, &json!({"termsOfServiceAgreed": true}))
        .problem(400, "externalAccountRequired");
    eab_ep
        .new_account(&key, &json!({"onlyReturnExisting": true}))
        .problem(400, "accountDoesNotExist");

    // A body over 64 KiB: refused before anything else. Checked last, so a failure here does
    // not hide the checks above.
    let orders_before = acme.orders_of(&a).len();
    let p = protected_a(&acme.nonce(), &new_order);
    let huge = json!({"identifiers": [{"type": "dns", "value": "big.example.com"}], "x": "a".repeat(70 * 1024)});
    let r = acme.post_jws(&new_order, &jws(&a.key, &p, &huge.to_string()));
    assert!(
        (400..500).contains(&r.status),
        "oversized body: HTTP {} {}",
        r.status,
        r.text()
    );
    // Like every ACME error: a problem document (RFC 8555 6.7) with a fresh nonce (6.5).
    assert!(
        r.problem_type().is_some(),
        "oversized body: HTTP {} {:?} is not a problem document: {}",
        r.status,
        r.header("content-type"),
        r.text()
    );
    assert_acme_headers(&r);
    assert_eq!(
        acme.orders_of(&a).len(),
        orders_before,
        "the oversized request made no order"
    );
    srv.stop();
}

// ---------------------------------------------------------------------------------------------
// 4. Isolation between accounts

#[test]
fn accounts_cannot_touch_each_others_objects() {
    let (ca, srv) = start(TEST_ENDPOINT);
    let acme = client_for(&ca, &srv, "test");
    let a = acme.register();
    let b = acme.register();
    let issued = issue(&ca, &acme, &a, &["secret.example.com"], "iso");
    let authz_url = issued.order["authorizations"][0].as_str().unwrap().to_string();
    let cert_url = issued.order["certificate"].as_str().unwrap().to_string();
    let chall_url = acme.get_as(&a, &authz_url).json()["challenges"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();

    // B reads nothing of A's: 404 (or unauthorized), never the content.
    let refused = |r: Resp, what: &str| {
        assert!(
            r.status == 404 || r.status == 403,
            "B reading A's {what}: HTTP {} {}",
            r.status,
            r.text()
        );
        assert!(r.problem_type().is_some(), "a problem document: {}", r.text());
        assert!(!r.text().contains("secret.example.com"), "{what} leaked: {}", r.text());
        assert!(!r.text().contains("BEGIN CERTIFICATE"), "{what} leaked: {}", r.text());
    };
    refused(acme.get_as(&b, &issued.order_url), "order");
    refused(acme.get_as(&b, &authz_url), "authorization");
    refused(acme.get_as(&b, &chall_url), "challenge");
    refused(acme.get_as(&b, &cert_url), "certificate");
    refused(acme.get_as(&b, &format!("{cert_url}/1")), "alternate chain");
    refused(acme.get_as(&b, &a.url), "account");
    refused(acme.get_as(&b, &format!("{}/orders", a.url)), "orders list");

    // B cannot finalize A's ready order, nor answer its challenges.
    let r = acme.new_order(&a, &["ready.example.com"]);
    r.expect(201);
    let order_url = r.location();
    let order = r.json();
    let authz = acme.get_as(&a, order["authorizations"][0].as_str().unwrap()).json();
    let chall = authz["challenges"][0]["url"].as_str().unwrap().to_string();
    refused(acme.post_as(&b, &chall, &json!({})), "challenge answer");
    assert_eq!(acme.get_as(&a, &order_url).json()["status"], "pending");
    acme.post_as(&a, &chall, &json!({})).expect(200);
    assert_eq!(acme.get_as(&a, &order_url).json()["status"], "ready");
    let (csr_b64, _) = csr(&ca, "iso-b", "ready.example.com", "DNS:ready.example.com");
    let finalize = order["finalize"].as_str().unwrap();
    refused(acme.post_as(&b, finalize, &json!({"csr": csr_b64})), "finalize");
    assert_eq!(acme.get_as(&a, &order_url).json()["status"], "ready");
    assert_eq!(
        all_requests(&ca, &srv).len(),
        1,
        "only A's first certificate was requested"
    );

    // B cannot deactivate A's account (or change its contacts).
    let r = acme.post_as(&b, &a.url, &json!({"status": "deactivated"}));
    assert!(r.status == 403 || r.status == 404, "{}", r.text());
    assert!(r.problem_type().is_some(), "{}", r.text());
    let r = acme.post_as(&b, &a.url, &json!({"contact": ["mailto:evil@example.com"]}));
    assert!(r.status == 403 || r.status == 404, "{}", r.text());
    let a_now = acme.get_as(&a, &a.url);
    a_now.expect(200);
    assert_eq!(a_now.json()["status"], "valid");
    assert!(!a_now.text().contains("evil@example.com"));

    // A still finalizes its own order; B's own list is empty.
    acme.post_as(&a, finalize, &json!({"csr": csr_b64})).expect(200);
    assert_eq!(acme.poll_order(&a, &order_url, "processing")["status"], "valid");
    assert!(acme.orders_of(&b).is_empty());
    assert_eq!(acme.orders_of(&a).len(), 2);
    srv.stop();
}

// ---------------------------------------------------------------------------------------------
// 5. Account update, deactivation, key change

#[test]
fn account_update_deactivation_and_key_change() {
    let (ca, srv) = start(TEST_ENDPOINT);
    let acme = client_for(&ca, &srv, "test");

    // Contact update.
    let a = acme.register();
    let r = acme.post_as(&a, &a.url, &json!({"contact": ["mailto:new@example.com"]}));
    r.expect(200);
    assert_eq!(r.json()["contact"], json!(["mailto:new@example.com"]), "{}", r.text());
    assert_eq!(
        acme.get_as(&a, &a.url).json()["contact"],
        json!(["mailto:new@example.com"])
    );
    acme.post_as(&a, &a.url, &json!({"contact": ["tel:+15550100"]}))
        .problem(400, "unsupportedContact");
    acme.post_as(&a, &a.url, &json!({"contact": ["mailto:not an address"]}))
        .problem(400, "invalidContact");
    assert_eq!(
        acme.get_as(&a, &a.url).json()["contact"],
        json!(["mailto:new@example.com"])
    );

    // keyChange: the inner JWS by the new key names the account and its old key.
    let key_change = acme.url("keyChange");
    let old = a.key;
    let new_key = Key::generate();
    let inner = |new: &Key, account: &str, old_jwk: Value| {
        jws(
            new,
            &json!({"alg": "ES256", "jwk": new.jwk(), "url": key_change}),
            &json!({"account": account, "oldKey": old_jwk}).to_string(),
        )
    };
    let r = acme.post(
        &old,
        Some(&a.url),
        &key_change,
        Some(&inner(&new_key, &a.url, old.jwk())),
    );
    r.expect(200);
    assert_eq!(r.location(), a.url);
    let a = Account {
        key: new_key,
        url: a.url,
    };
    // The new key works, the old one no longer does.
    acme.get_as(&a, &a.url).expect(200);
    let r = acme.post(&old, Some(&a.url), &a.url, None);
    assert!(
        r.status == 400 || r.status == 403,
        "old key after keyChange: {} {}",
        r.status,
        r.text()
    );
    let kind = r.problem_type().unwrap_or_default();
    assert!(kind == "malformed" || kind == "unauthorized", "{}", r.text());
    acme.new_account(&old, &json!({"onlyReturnExisting": true}))
        .problem(400, "accountDoesNotExist");
    let r = acme.new_account(&a.key, &json!({"onlyReturnExisting": true}));
    r.expect(200);
    assert_eq!(r.location(), a.url);
    acme.new_order(&a, &["rotated.example.com"]).expect(201);

    // keyChange to a key another account already has: 409 with that account's Location,
    // and nothing changes.
    let b = acme.register();
    let r = acme.post(
        &a.key,
        Some(&a.url),
        &key_change,
        Some(&inner(&b.key, &a.url, a.key.jwk())),
    );
    r.problem_doc("malformed");
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.location(), b.url);
    acme.get_as(&a, &a.url).expect(200);
    acme.get_as(&b, &b.url).expect(200);
    // An inner JWS naming another account, or a wrong oldKey: refused, nothing changes.
    let c_key = Key::generate();
    let r = acme.post(
        &a.key,
        Some(&a.url),
        &key_change,
        Some(&inner(&c_key, &b.url, a.key.jwk())),
    );
    assert!(r.status == 400 || r.status == 403, "{}", r.text());
    let r = acme.post(
        &a.key,
        Some(&a.url),
        &key_change,
        Some(&inner(&c_key, &a.url, c_key.jwk())),
    );
    assert!(r.status == 400 || r.status == 403, "{}", r.text());
    acme.get_as(&a, &a.url).expect(200);
    acme.new_account(&c_key, &json!({"onlyReturnExisting": true}))
        .problem(400, "accountDoesNotExist");

    // Deactivation: 200 with the deactivated account; then every request is unauthorized.
    let d = acme.register();
    let order = acme.new_order(&d, &["d.example.com"]);
    order.expect(201);
    let d_order = order.location();
    let r = acme.post_as(&d, &d.url, &json!({"status": "deactivated"}));
    r.expect(200);
    assert_eq!(r.json()["status"], "deactivated", "{}", r.text());
    acme.get_as(&d, &d.url).problem(403, "unauthorized");
    acme.get_as(&d, &d_order).problem(403, "unauthorized");
    acme.new_order(&d, &["d2.example.com"]).problem(403, "unauthorized");
    acme.post_as(&d, &d.url, &json!({"contact": ["mailto:back@example.com"]}))
        .problem(403, "unauthorized");
    let fresh = Key::generate();
    acme.post(
        &d.key,
        Some(&d.url),
        &key_change,
        Some(&inner(&fresh, &d.url, d.key.jwk())),
    )
    .problem(403, "unauthorized");
    // RFC 8555 7.3.6: no further request authorized by that key is accepted, newAccount
    // included (Boulder and Pebble answer unauthorized, "exists but is deactivated").
    acme.new_account(&d.key, &json!({"termsOfServiceAgreed": true}))
        .problem(403, "unauthorized");
    srv.stop();
}

// ---------------------------------------------------------------------------------------------
// 6. External Account Binding

#[test]
fn external_account_binding() {
    let (ca, srv) =
        start("\n[acme.eab]\ntemplate = \"WebServer\"\neab_required = true\nvalidation = \"always-valid\"\n");
    let create = || -> (String, Vec<u8>) {
        let out = cli(&ca, &srv, &["acme", "eab", "create", "--endpoint", "eab", "--json"]).ok();
        let v: Value = serde_json::from_str(out.trim()).expect("eab create --json is JSON");
        assert_eq!(v["endpoint"], "eab", "{v}");
        (
            v["key_id"].as_str().expect("key_id").to_string(),
            b64_decode(v["hmac_key"].as_str().expect("hmac_key")),
        )
    };
    let (kid, hmac) = create();
    assert!(hmac.len() >= 32, "an HS256 key of at least 256 bits");
    let acme = client_for(&ca, &srv, "eab");
    let new_account = acme.url("newAccount");
    let with_binding = |key: &Key, binding: Value| {
        acme.new_account(
            key,
            &json!({"termsOfServiceAgreed": true, "externalAccountBinding": binding}),
        )
    };

    // A valid binding: 201, the account shows its EAB key id.
    let k1 = Key::generate();
    let r = with_binding(&k1, eab(&kid, &hmac, &new_account, &k1.jwk()));
    r.expect(201);
    let acct = Account {
        key: k1,
        url: r.location(),
    };
    assert_eq!(r.json()["externalAccountBinding"]["kid"], kid.as_str(), "{}", r.text());
    acme.new_order(&acct, &["eab.example.com"]).expect(201);
    // The same key again (for the same account key it is just the existing account).
    let again = with_binding(&acct.key, eab(&kid, &hmac, &new_account, &acct.key.jwk()));
    again.expect(200);
    assert_eq!(again.location(), acct.url);

    // The same EAB key for another account key: single use, unauthorized.
    let k2 = Key::generate();
    with_binding(&k2, eab(&kid, &hmac, &new_account, &k2.jwk())).problem(403, "unauthorized");
    acme.new_account(&k2, &json!({"onlyReturnExisting": true}))
        .problem(400, "accountDoesNotExist");

    // A second EAB key: a wrong MAC, a binding of another account key, a wrong URL, an
    // unknown key id: all unauthorized, and the EAB key stays unused.
    let (kid2, hmac2) = create();
    assert_ne!(kid2, kid);
    let k3 = Key::generate();
    with_binding(&k3, eab(&kid2, &hmac, &new_account, &k3.jwk())).problem(403, "unauthorized");
    with_binding(&k3, eab(&kid2, &hmac2, &new_account, &k2.jwk())).problem(403, "unauthorized");
    with_binding(&k3, eab(&kid2, &hmac2, &acme.url("newOrder"), &k3.jwk())).problem(403, "unauthorized");
    with_binding(&k3, eab(&random_b64u(12), &hmac2, &new_account, &k3.jwk())).problem(403, "unauthorized");
    acme.new_account(&k3, &json!({"onlyReturnExisting": true}))
        .problem(400, "accountDoesNotExist");
    let r = with_binding(&k3, eab(&kid2, &hmac2, &new_account, &k3.jwk()));
    r.expect(201);
    assert_ne!(r.location(), acct.url);

    // No binding at all: externalAccountRequired.
    acme.new_account(&Key::generate(), &json!({"termsOfServiceAgreed": true}))
        .problem(400, "externalAccountRequired");

    // The audit log recorded both EAB keys, by the administrator, and still verifies.
    let out = cli(&ca, &srv, &["audit", "list", "--json"]).ok();
    let log: Value = serde_json::from_str(out.trim()).expect("audit list --json is JSON");
    let created: Vec<&Value> = log
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["event"]["action"] == "acme.eab.create")
        .collect();
    assert_eq!(created.len(), 2, "{log}");
    assert!(
        created.iter().any(|e| e["event"]["details"]["key_id"] == kid.as_str())
            && created.iter().any(|e| e["event"]["details"]["key_id"] == kid2.as_str()),
        "{log}"
    );
    assert_eq!(created[0]["event"]["details"]["endpoint"], "eab", "{log}");
    assert!(
        created[0]["event"]["actor"]["subject"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{log}"
    );
    assert!(!out.contains(&b64u(&hmac)), "the HMAC key is not in the audit log");
    let out = cli(&ca, &srv, &["audit", "verify"]).ok();
    assert!(out.contains("Audit log intact"), "{out}");
    srv.stop();
}

// ---------------------------------------------------------------------------------------------
// 7. Manual approval through ACME

#[test]
fn manual_approval_keeps_the_order_processing_until_decided() {
    let (ca, srv) =
        start("\n[acme.manual]\ntemplate = \"WebServer\"\napproval = \"template\"\nvalidation = \"always-valid\"\n");
    let acme = client_for(&ca, &srv, "manual");
    let acct = acme.register();

    // Ready, finalize: processing with Retry-After, and a pending request from ACME.
    let to_processing = |name: &str, tag: &str| -> (String, Value) {
        let r = acme.new_order(&acct, &[name]);
        r.expect(201);
        let order_url = r.location();
        acme.validate_all(&acct, &r.json());
        let order = acme.get_as(&acct, &order_url).json();
        assert_eq!(order["status"], "ready", "{order}");
        let (csr_b64, _) = csr(&ca, tag, name, &format!("DNS:{name}"));
        let f = acme.post_as(&acct, order["finalize"].as_str().unwrap(), &json!({"csr": csr_b64}));
        f.expect(200);
        let order = f.json();
        assert_eq!(order["status"], "processing", "{order}");
        assert!(order.get("certificate").is_none(), "{order}");
        let retry: u64 = f
            .header("retry-after")
            .expect("Retry-After on a processing order")
            .parse()
            .expect("Retry-After in seconds");
        assert!(retry > 0);
        // Reading it again: still processing, still Retry-After.
        let again = acme.get_as(&acct, &order_url);
        assert_eq!(again.json()["status"], "processing");
        assert!(again.header("retry-after").is_some());
        // The certificate is not there yet.
        let pending = all_requests(&ca, &srv)
            .into_iter()
            .find(|r| r["status"] == "pending" && r["sans"].to_string().contains(name))
            .unwrap_or_else(|| panic!("a pending request for {name}"));
        (order_url, pending)
    };
    let (order_url, request) = to_processing("manual.example.com", "man1");
    let id = request["request_id"].as_u64().expect("request_id").to_string();
    assert_eq!(request["template"], "WebServer");
    let list = cli(&ca, &srv, &["requests", "list"]).ok();
    assert!(
        list.contains("manual.example.com") && list.contains("pending"),
        "{list}"
    );
    let show: Value = serde_json::from_str(cli(&ca, &srv, &["requests", "show", &id, "--json"]).ok().trim()).unwrap();
    assert_eq!(show["record"]["request"]["source"], "acme:manual", "{show}");
    assert!(
        show["record"]["request"]["submitter"]
            .as_str()
            .is_some_and(|s| s.starts_with("acme-account:")),
        "{show}"
    );

    // Approve: the order becomes valid and the certificate downloads.
    let out = cli(&ca, &srv, &["requests", "approve", &id]).ok();
    assert!(out.contains("approved and issued"), "{out}");
    let order = acme.poll_order(&acct, &order_url, "processing");
    assert_eq!(order["status"], "valid", "{order}");
    let cert = acme.get_as(&acct, order["certificate"].as_str().expect("certificate URL"));
    cert.expect(200);
    verify_chain(&ca, &cert.text(), "manual-chain.pem");

    // Deny a second one: the order becomes invalid with the administrator's reason.
    let (order_url, request) = to_processing("denied.example.com", "man2");
    let id = request["request_id"].as_u64().unwrap().to_string();
    cli(&ca, &srv, &["requests", "deny", &id, "--reason", "not one of ours"]).ok();
    let order = acme.poll_order(&acct, &order_url, "processing");
    assert_eq!(order["status"], "invalid", "{order}");
    assert!(order.get("certificate").is_none(), "{order}");
    assert_eq!(
        order["error"]["type"],
        format!("{}unauthorized", acme_raw::URN),
        "{order}"
    );
    assert!(
        order["error"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not one of ours")),
        "{order}"
    );
    let statuses: Vec<String> = all_requests(&ca, &srv)
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["issued", "denied"]);
    srv.stop();
}

// ---------------------------------------------------------------------------------------------
// 8. Revocation

#[test]
fn revocation_by_account_and_by_certificate_key() {
    let (ca, srv) = start(TEST_ENDPOINT);
    let acme = client_for(&ca, &srv, "test");
    let revoke = acme.url("revokeCert");
    let a = acme.register();
    let stranger = acme.register();

    // By the account that ordered it: 200, then alreadyRevoked. An unrelated account first:
    // unauthorized.
    let one = issue(&ca, &acme, &a, &["r1.example.com"], "rev1");
    verify_chain(&ca, &one.chain, "rev1-chain.pem");
    let payload = json!({"certificate": b64u(&one.leaf)});
    acme.post_as(&stranger, &revoke, &payload).problem(403, "unauthorized");
    let r = acme.post_as(&a, &revoke, &payload);
    r.expect(200);
    assert_acme_headers(&r);
    acme.post_as(&a, &revoke, &payload).problem(400, "alreadyRevoked");
    // An unknown revocation reason is refused before anything.
    let two = issue(&ca, &acme, &a, &["r2.example.com"], "rev2");
    let payload = json!({"certificate": b64u(&two.leaf)});
    acme.post_as(&a, &revoke, &json!({"certificate": b64u(&two.leaf), "reason": 7}))
        .problem(400, "badRevocationReason");

    // By the certificate's own key (jwk): 200. A key that is not the certificate's: refused.
    let unrelated = Key::generate();
    acme.post(&unrelated, None, &revoke, Some(&payload))
        .problem(403, "unauthorized");
    let cert_key = Key::from_pkcs8_pem(&two.key);
    let r = acme.post(
        &cert_key,
        None,
        &revoke,
        Some(&json!({"certificate": b64u(&two.leaf), "reason": 1})),
    );
    r.expect(200);
    acme.post(&cert_key, None, &revoke, Some(&payload))
        .problem(400, "alreadyRevoked");
    acme.post_as(&a, &revoke, &payload).problem(400, "alreadyRevoked");

    // The index agrees: both certificates are revoked.
    let out = cli(&ca, &srv, &["certs", "--status", "revoked", "--json"]).ok();
    let revoked: Value = serde_json::from_str(out.trim()).expect("certs --json is JSON");
    assert_eq!(revoked.as_array().map(|a| a.len()), Some(2), "{revoked}");
    assert!(
        out.contains("r1.example.com") && out.contains("r2.example.com"),
        "{out}"
    );
    srv.stop();
}

// ---------------------------------------------------------------------------------------------
// 7b. "First issuance manual, renewals of the same names by the same account automatic"

#[test]
fn renewal_of_the_same_names_skips_approval_when_the_template_says_so() {
    let (ca, srv) = start_with(
        "\n[acme.renew]\ntemplate = \"WebRenew\"\napproval = \"template\"\nvalidation = \"always-valid\"\n",
        |ca| {
            let web = std::fs::read_to_string(ca.home.join("profiles").join("WebServer.toml")).unwrap();
            let renew = web.replace(
                "renewal_window_days = 30",
                "renewal_window_days = 30\nacme_renewal = \"auto\"",
            );
            assert_ne!(web, renew, "WebServer.toml has a renewal_window_days line");
            std::fs::write(ca.home.join("profiles").join("WebRenew.toml"), renew).unwrap();
        },
    );
    let acme = client_for(&ca, &srv, "renew");
    let acct = acme.register();
    let other = acme.register();

    // Order -> finalize; returns the order after finalize.
    let finalize = |acct: &Account, names: &[&str], tag: &str| -> (String, Value) {
        let r = acme.new_order(acct, names);
        r.expect(201);
        let order_url = r.location();
        acme.validate_all(acct, &r.json());
        let order = acme.get_as(acct, &order_url).json();
        assert_eq!(order["status"], "ready", "{order}");
        let (csr_b64, _) = csr(&ca, tag, names[0], &dns_sans(names));
        let f = acme.post_as(acct, order["finalize"].as_str().unwrap(), &json!({"csr": csr_b64}));
        f.expect(200);
        (order_url, f.json())
    };

    // First issuance waits for an administrator.
    let (order_url, order) = finalize(&acct, &["renew.example.com", "www.renew.example.com"], "rn1");
    assert_eq!(order["status"], "processing", "{order}");
    let pending = all_requests(&ca, &srv)
        .into_iter()
        .find(|r| r["status"] == "pending")
        .expect("a pending request");
    let id = pending["request_id"].as_u64().unwrap().to_string();
    cli(&ca, &srv, &["requests", "approve", &id]).ok();
    assert_eq!(acme.poll_order(&acct, &order_url, "processing")["status"], "valid");

    // The same account renewing the same names (in another order): issued at once.
    let (_, order) = finalize(&acct, &["www.renew.example.com", "renew.example.com"], "rn2");
    assert_eq!(order["status"], "valid", "{order}");
    verify_chain(
        &ca,
        &acme.get_as(&acct, order["certificate"].as_str().unwrap()).text(),
        "renew-chain.pem",
    );

    // Another account, or other names: the template's manual rule again.
    let (_, order) = finalize(&other, &["renew.example.com", "www.renew.example.com"], "rn3");
    assert_eq!(order["status"], "processing", "{order}");
    let (_, order) = finalize(&acct, &["renew.example.com"], "rn4");
    assert_eq!(order["status"], "processing", "{order}");
}

// ---------------------------------------------------------------------------------------------
// 10. ACME profiles (meta.profiles -> templates) and ARI `replaces`

#[test]
fn profiles_select_templates_and_replaces_is_checked() {
    let (ca, srv) = start(
        "\n[acme.prof]\ntemplate = \"WebServer\"\nvalidation = \"always-valid\"\n\
         profiles = { both = \"Webclientandserver\" }\n",
    );
    let acme = client_for(&ca, &srv, "prof");
    let dir = acme.get(&format!("{}/acme/prof/directory", srv.url())).json();
    let profiles = dir["meta"]["profiles"].as_object().expect("meta.profiles");
    assert!(
        profiles.contains_key("both") && profiles.contains_key("WebServer"),
        "{dir}"
    );
    let acct = acme.register();
    let new_order = acme.url("newOrder");

    // An unknown profile: invalidProfile, no order.
    let before = acme.orders_of(&acct).len();
    let payload = json!({"identifiers": [{"type": "dns", "value": "p.example.com"}], "profile": "nope"});
    acme.post_as(&acct, &new_order, &payload).problem(400, "invalidProfile");
    assert_eq!(acme.orders_of(&acct).len(), before);

    // Profile "both": the order says so and the certificate has both EKUs.
    let payload = json!({"identifiers": [{"type": "dns", "value": "p.example.com"}], "profile": "both"});
    let r = acme.post_as(&acct, &new_order, &payload);
    r.expect(201);
    let order_url = r.location();
    assert_eq!(r.json()["profile"], "both");
    acme.validate_all(&acct, &r.json());
    let order = acme.poll_order(&acct, &order_url, "pending");
    let (csr_b64, _) = csr(&ca, "prof1", "p.example.com", "DNS:p.example.com");
    acme.post_as(&acct, order["finalize"].as_str().unwrap(), &json!({"csr": csr_b64}))
        .expect(200);
    let order = acme.poll_order(&acct, &order_url, "processing");
    let chain = acme.get_as(&acct, order["certificate"].as_str().unwrap()).text();
    let leaf_path = ca.dir().join("both.pem");
    std::fs::write(&leaf_path, &chain).unwrap();
    let text = openssl(
        ca.dir(),
        &["x509", "-noout", "-ext", "extendedKeyUsage", "-in", &s(&leaf_path)],
    )
    .ok();
    assert!(
        text.contains("TLS Web Server Authentication") && text.contains("TLS Web Client Authentication"),
        "{text}"
    );

    // ARI replaces: this account's certificate may be replaced once; another account's not.
    let issued = issue(&ca, &acme, &acct, &["r.example.com"], "rep1");
    let (cert_id, _, _) = ari_cert_id(&issued.leaf);
    let replacing = json!({"identifiers": [{"type": "dns", "value": "r.example.com"}], "replaces": cert_id});
    let first = acme.post_as(&acct, &new_order, &replacing);
    first.expect(201);
    assert_eq!(first.json()["replaces"], cert_id.as_str());
    acme.post_as(&acct, &new_order, &replacing)
        .problem(409, "alreadyReplaced");
    let other = acme.register();
    acme.post_as(&other, &new_order, &replacing)
        .problem(403, "unauthorized");
}

// ---------------------------------------------------------------------------------------------
// 11. IP identifiers (RFC 8738) and CSRs without a subject (what certbot sends)

#[test]
fn ip_identifiers_and_subjectless_csrs() {
    let (ca, srv) = start("\n[acme.ip]\ntemplate = \"WebServer\"\nvalidation = \"always-valid\"\n");
    let acme = client_for(&ca, &srv, "ip");
    let acct = acme.register();
    let new_order = acme.url("newOrder");
    let payload = json!({"identifiers": [{"type": "ip", "value": "10.0.0.7"}]});
    let r = acme.post_as(&acct, &new_order, &payload);
    r.expect(201);
    let order_url = r.location();
    // No dns-01 for an address (RFC 8738 7).
    let authz = acme
        .get_as(&acct, r.json()["authorizations"][0].as_str().unwrap())
        .json();
    assert_eq!(authz["identifier"]["type"], "ip", "{authz}");
    let types: Vec<&str> = authz["challenges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"http-01") && !types.contains(&"dns-01"), "{types:?}");
    acme.validate_all(&acct, &r.json());
    let order = acme.poll_order(&acct, &order_url, "pending");
    assert_eq!(order["status"], "ready", "{order}");
    // A CSR with an empty subject and only the IP address: the address becomes the CN.
    let path = openssl_csr(ca.dir(), "ipcsr", "ec", "/", "IP:10.0.0.7", true);
    let csr_b64 = b64u(std::fs::read(&path).unwrap());
    acme.post_as(&acct, order["finalize"].as_str().unwrap(), &json!({"csr": csr_b64}))
        .expect(200);
    let order = acme.poll_order(&acct, &order_url, "processing");
    assert_eq!(order["status"], "valid", "{order}");
    let chain = acme.get_as(&acct, order["certificate"].as_str().unwrap()).text();
    verify_chain(&ca, &chain, "ip-chain.pem");
    let leaf = ca.dir().join("ip-chain.pem");
    let text = openssl(
        ca.dir(),
        &["x509", "-noout", "-subject", "-ext", "subjectAltName", "-in", &s(&leaf)],
    )
    .ok();
    assert!(
        text.contains("IP Address:10.0.0.7") && text.contains("CN = 10.0.0.7"),
        "{text}"
    );
    // An address written as a DNS name is refused with a pointer to the ip type.
    let payload = json!({"identifiers": [{"type": "dns", "value": "10.0.0.8"}]});
    let r = acme.post_as(&acct, &new_order, &payload);
    assert!(r.text().contains("type ip"), "{}", r.text());
    // The ACME traffic is in /metrics: requests by resource and status, the issuance.
    let metrics = acme.get(&format!("{}/metrics", srv.url())).text();
    for needle in [
        "privca_acme_requests_total{endpoint=\"ip\",resource=\"finalize\",status=\"200\"}",
        "privca_acme_requests_total{endpoint=\"ip\",resource=\"new-order\",status=\"400\"}",
        "privca_requests_total{template=\"WebServer\",outcome=\"issued\"}",
    ] {
        assert!(metrics.contains(needle), "{needle} not in:\n{metrics}");
    }
}
