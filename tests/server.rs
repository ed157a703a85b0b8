//! Issue 3 end to end: the real ca-server on loopback, driven with ca-cli and curl, checked with
//! openssl. Pending -> approve -> retrieve, deny, tokens, two approvers, admin authentication,
//! renewal, audit-log tamper detection, bad input, graceful shutdown.
use std::path::Path;

use privca_tests::{curl, openssl, openssl_csr, Server, TestCa};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn root(ca: &TestCa) -> String {
    s(&ca.issuer_file("default", "root.crt"))
}

/// ca-cli client verb against the running server.
fn client(ca: &TestCa, srv: &Server, args: &[&str]) -> privca_tests::Run {
    let url = srv.url();
    let mut v = args.to_vec();
    v.extend(["--server", &url]);
    ca.cli(&v)
}

fn verify_chain(ca: &TestCa, chain: &Path) {
    let r = root(ca);
    let v = openssl(
        ca.dir(),
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            &r,
            "-untrusted",
            &s(chain),
            &s(chain),
        ],
    )
    .ok();
    assert!(v.contains(": OK"), "{v}");
}

fn write_profile(ca: &TestCa, name: &str, extra: &str) {
    std::fs::write(
        ca.home.join("profiles").join(format!("{name}.toml")),
        format!(
            "issuer = \"default\"\nkey_usage = [\"digitalSignature\"]\nextended_key_usage = [\"serverAuth\", \"clientAuth\"]\n{extra}\n\
             [validity]\ndefault_days = 30\nmax_days = 60\n[san]\nallow_ip = true\n"
        ),
    )
    .unwrap();
}

#[test]
fn pending_approve_retrieve_and_deny() {
    let ca = TestCa::init("ecdsa-p256");
    let srv = Server::start(&ca.home, &ca.pass);
    let csr = openssl_csr(
        ca.dir(),
        "web",
        "ec",
        "/CN=web.example.com",
        "DNS:www.example.com",
        false,
    );
    let r = client(&ca, &srv, &["submit", "--template", "WebServer", &s(&csr)]);
    assert_eq!(r.code, 3, "pending exits 3: {r:?}");
    assert!(
        r.stdout
            .contains("Certificate request is pending: Taken Under Submission"),
        "{}",
        r.stdout
    );
    let id: u64 = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("RequestId: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();

    let r = client(&ca, &srv, &["retrieve", &id.to_string(), "--out", "web.pem"]);
    assert_eq!(r.code, 3, "{r:?}");
    let list = client(&ca, &srv, &["requests", "list"]).ok();
    assert!(list.contains("web.example.com") && list.contains("pending"), "{list}");
    let show = client(&ca, &srv, &["requests", "show", &id.to_string()]).ok();
    assert!(
        show.contains("Verdict:    ok: would issue CN=web.example.com"),
        "{show}"
    );
    assert!(show.contains("Key:        ECDSA P-256"), "{show}");

    let out = client(&ca, &srv, &["requests", "approve", &id.to_string()]).ok();
    assert!(out.contains(&format!("Request {id} approved and issued")), "{out}");
    client(&ca, &srv, &["retrieve", &id.to_string(), "--out", "web.pem"]).ok();
    let chain = ca.dir().join("web.pem");
    verify_chain(&ca, &chain);
    let text = openssl(ca.dir(), &["x509", "-noout", "-text", "-in", &s(&chain)]).ok();
    assert!(text.contains("DNS:web.example.com, DNS:www.example.com"), "{text}");
    // Approving twice is a conflict.
    let err = client(&ca, &srv, &["requests", "approve", &id.to_string()]).fails();
    assert!(
        err.contains(&format!("request {id} is issued, not pending")) && err.contains("HTTP 409"),
        "{err}"
    );

    // Deny.
    let csr2 = openssl_csr(ca.dir(), "bad", "ec", "/CN=bad.example.com", "", false);
    let r = client(&ca, &srv, &["submit", "--template", "WebServer", &s(&csr2), "--json"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let id2 = v["request_id"].as_u64().unwrap();
    assert_eq!(id2, id + 1, "request ids are small increasing integers");
    client(
        &ca,
        &srv,
        &["requests", "deny", &id2.to_string(), "--reason", "not our host"],
    )
    .ok();
    let err = client(&ca, &srv, &["retrieve", &id2.to_string(), "--out", "bad.pem"]).fails();
    assert!(
        err.contains(&format!("request {id2} was denied: not our host")),
        "{err}"
    );
    let err = client(&ca, &srv, &["requests", "approve", &id2.to_string()]).fails();
    assert!(err.contains("HTTP 409"), "{err}");
    srv.stop();
}

#[test]
fn tokens_make_token_templates_issue_at_once() {
    let ca = TestCa::init("ecdsa-p256");
    ca.cli(&["issuer", "create", "db"]).ok();
    let srv = Server::start(&ca.home, &ca.pass);
    let csr = openssl_csr(
        ca.dir(),
        "db",
        "ec",
        "/CN=server.db.example.com",
        "DNS:server02.db.example.com",
        false,
    );
    let err = client(&ca, &srv, &["submit", "--template", "dbserver", &s(&csr)]).fails();
    assert!(err.contains("template dbserver needs an enrollment token"), "{err}");
    let token = client(
        &ca,
        &srv,
        &[
            "token",
            "create",
            "--template",
            "dbserver",
            "--cn",
            "server.db.example.com",
            "--san",
            "server02.db.example.com",
            "--ttl",
            "1h",
        ],
    )
    .ok();
    let token = token.trim().to_string();
    assert!(token.starts_with("pct_"), "{token}");
    // A token does not stretch to other names.
    let other = openssl_csr(
        ca.dir(),
        "other",
        "ec",
        "/CN=server.db.example.com",
        "DNS:evil.db.example.com",
        false,
    );
    let err = client(
        &ca,
        &srv,
        &["submit", "--template", "dbserver", "--token", &token, &s(&other)],
    )
    .fails();
    assert!(
        err.contains("SAN evil.db.example.com is not authorised by the enrollment token"),
        "{err}"
    );
    let out = client(
        &ca,
        &srv,
        &[
            "submit",
            "--template",
            "dbserver",
            "--token",
            &token,
            &s(&csr),
            "--out",
            "db.pem",
        ],
    )
    .ok();
    assert!(out.contains("Certificate issued"), "{out}");
    let chain = ca.dir().join("db.pem");
    let v = openssl(
        ca.dir(),
        &[
            "verify",
            "-CAfile",
            &s(&ca.issuer_file("db", "root.crt")),
            "-untrusted",
            &s(&chain),
            &s(&chain),
        ],
    )
    .ok();
    assert!(v.contains(": OK"), "{v}");
    let err = client(
        &ca,
        &srv,
        &["submit", "--template", "dbserver", "--token", &token, &s(&csr)],
    )
    .fails();
    assert!(err.contains("enrollment token was already used by request"), "{err}");
}

#[test]
fn two_approvers_and_admin_authentication() {
    let ca = TestCa::init("ecdsa-p256");
    write_profile(&ca, "TwoMan", "approval = \"manual\"\napprovals = 2");
    // A second administrator and a non-admin client certificate, issued before the daemon
    // takes the index.
    let a2 = openssl_csr(ca.dir(), "admin2", "ec", "/CN=Second Admin", "", false);
    ca.cli(&[
        "issue",
        "--profile",
        "admin",
        "--csr",
        &s(&a2),
        "--out",
        "admin2.crt",
        "--chain-out",
        "admin2-chain.crt",
    ])
    .ok();
    let user = openssl_csr(ca.dir(), "user", "ec", "/CN=user.example.com", "", false);
    ca.cli(&[
        "issue",
        "--profile",
        "Webclientandserver",
        "--csr",
        &s(&user),
        "--out",
        "user.crt",
    ])
    .ok();
    openssl(
        ca.dir(),
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "foreign.key",
            "-out",
            "foreign.crt",
            "-subj",
            "/CN=privca administrator",
            "-days",
            "1",
        ],
    )
    .ok();
    let srv = Server::start(&ca.home, &ca.pass);
    let url = srv.url();
    let r = root(&ca);
    let whoami = |cert: Option<(&str, &str)>| {
        let mut args = vec!["-sS", "--cacert", &r, "-w", "\n%{http_code}"];
        if let Some((c, k)) = cert {
            args.extend(["--cert", c, "--key", k]);
        }
        let u = format!("{url}/v1/admin/whoami");
        args.push(&u);
        let out = curl(ca.dir(), &args).ok();
        let (body, code) = out.rsplit_once('\n').unwrap();
        (code.to_string(), body.to_string())
    };
    let (code, body) = whoami(None);
    assert_eq!(code, "401", "{body}");
    assert!(body.contains("needs a client certificate"), "{body}");
    let (code, body) = whoami(Some(("user.crt", "user.key")));
    assert_eq!(code, "403", "{body}");
    assert!(
        body.contains("issued with template Webclientandserver, not admin"),
        "{body}"
    );
    let (code, body) = whoami(Some(("foreign.crt", "foreign.key")));
    assert_eq!(code, "403", "{body}");
    assert!(body.contains("not issued by this CA"), "{body}");
    let (code, body) = whoami(Some(("admin2-chain.crt", "admin2.key")));
    assert_eq!(code, "200", "{body}");
    assert!(body.contains("Second Admin"), "{body}");

    let csr = openssl_csr(ca.dir(), "two", "ec", "/CN=two.example.com", "", false);
    let r1 = client(&ca, &srv, &["submit", "--template", "TwoMan", &s(&csr)]);
    assert_eq!(r1.code, 3);
    let id = r1
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("RequestId: "))
        .unwrap()
        .trim()
        .to_string();
    let out = client(&ca, &srv, &["requests", "approve", &id]).ok();
    assert!(out.contains("1 of 2 approvals"), "{out}");
    let err = client(&ca, &srv, &["requests", "approve", &id]).fails();
    assert!(err.contains("already approved") && err.contains("HTTP 409"), "{err}");
    let out = client(
        &ca,
        &srv,
        &[
            "requests",
            "approve",
            &id,
            "--admin-cert",
            "admin2-chain.crt",
            "--admin-key",
            "admin2.key",
        ],
    )
    .ok();
    assert!(out.contains("approved and issued"), "{out}");

    // Revoking the second admin locks it out; a non-admin cannot revoke anything.
    let serial = openssl(ca.dir(), &["x509", "-noout", "-serial", "-in", "admin2.crt"]).ok();
    let serial = serial.trim().trim_start_matches("serial=").to_string();
    let err = client(
        &ca,
        &srv,
        &[
            "revoke",
            &serial,
            "--reason",
            "keyCompromise",
            "--admin-cert",
            "user.crt",
            "--admin-key",
            "user.key",
        ],
    )
    .fails();
    assert!(err.contains("HTTP 403"), "{err}");
    let out = client(&ca, &srv, &["revoke", &serial, "--reason", "keyCompromise"]).ok();
    assert!(out.contains("keyCompromise"), "{out}");
    let (code, body) = whoami(Some(("admin2-chain.crt", "admin2.key")));
    assert_eq!(code, "403", "{body}");
    assert!(body.contains("revoked"), "{body}");

    // The audit log recorded every action and verifies.
    let out = client(&ca, &srv, &["audit", "verify"]).ok();
    assert!(out.contains("Audit log intact"), "{out}");
    let list = client(&ca, &srv, &["audit", "list"]).ok();
    assert!(
        list.contains("request.approve") && list.contains("cert.revoke"),
        "{list}"
    );
    assert!(list.contains("CN=Second Admin"), "{list}");
}

#[test]
fn renewal_over_mtls() {
    let ca = TestCa::init("ecdsa-p256");
    write_profile(&ca, "Renewable", "approval = \"manual\"\nrenewal_window_days = 59");
    write_profile(&ca, "LongLived", "approval = \"manual\"\nrenewal_window_days = 1");
    let csr = openssl_csr(
        ca.dir(),
        "svc",
        "ec",
        "/CN=svc.example.com",
        "DNS:svc2.example.com",
        false,
    );
    ca.cli(&[
        "issue",
        "--profile",
        "Renewable",
        "--csr",
        &s(&csr),
        "--out",
        "svc.crt",
        "--chain-out",
        "svc-chain.crt",
    ])
    .ok();
    let csr_l = openssl_csr(ca.dir(), "long", "ec", "/CN=long.example.com", "", false);
    ca.cli(&[
        "issue",
        "--profile",
        "LongLived",
        "--csr",
        &s(&csr_l),
        "--out",
        "long.crt",
    ])
    .ok();
    let srv = Server::start(&ca.home, &ca.pass);
    let out = client(
        &ca,
        &srv,
        &[
            "renew",
            "--cert",
            "svc-chain.crt",
            "--key",
            "svc.key",
            "--out",
            "svc-new.pem",
        ],
    )
    .ok();
    assert!(out.contains("Renewed: serial"), "{out}");
    let new = ca.dir().join("svc-new.pem");
    verify_chain(&ca, &new);
    let subj = |f: &str| {
        openssl(
            ca.dir(),
            &[
                "x509",
                "-noout",
                "-subject",
                "-serial",
                "-ext",
                "subjectAltName",
                "-in",
                f,
            ],
        )
        .ok()
    };
    let (old, newer) = (subj("svc.crt"), subj("svc-new.pem"));
    assert_eq!(old.lines().next(), newer.lines().next(), "same subject");
    assert_eq!(old.lines().last(), newer.lines().last(), "same SANs");
    assert_ne!(old.lines().nth(1), newer.lines().nth(1), "new serial");
    // With a new key.
    let csr_new = openssl_csr(ca.dir(), "svcnew", "ec", "/CN=ignored", "", false);
    client(
        &ca,
        &srv,
        &[
            "renew",
            "--cert",
            "svc-chain.crt",
            "--key",
            "svc.key",
            "--csr",
            &s(&csr_new),
            "--out",
            "svc-rekey.pem",
        ],
    )
    .ok();
    let m = openssl(ca.dir(), &["x509", "-noout", "-pubkey", "-in", "svc-rekey.pem"]).ok();
    let k = openssl(ca.dir(), &["pkey", "-pubout", "-in", "svcnew.key"]).ok();
    assert_eq!(m, k, "renewed certificate carries the new key");
    // Outside the renewal window.
    let err = client(
        &ca,
        &srv,
        &["renew", "--cert", "long.crt", "--key", "long.key", "--out", "x.pem"],
    )
    .fails();
    assert!(err.contains("can be renewed from") && err.contains("HTTP 409"), "{err}");
    // No certificate at all.
    let r = curl(
        ca.dir(),
        &[
            "-sS",
            "--cacert",
            &root(&ca),
            "-X",
            "POST",
            "-w",
            "%{http_code}",
            &format!("{}/v1/renew", srv.url()),
        ],
    )
    .ok();
    assert!(r.ends_with("401"), "{r}");
}

#[test]
fn bad_input_gets_4xx_and_stores_nothing() {
    let ca = TestCa::init("ecdsa-p256");
    let srv = Server::start(&ca.home, &ca.pass);
    let url = format!("{}/v1/requests", srv.url());
    let r = root(&ca);
    let post = |ctype: &str, body: &str| {
        let out = curl(
            ca.dir(),
            &[
                "-sS",
                "--cacert",
                &r,
                "-H",
                &format!("content-type: {ctype}"),
                "--data-binary",
                body,
                "-w",
                "\n%{http_code}",
                &url,
            ],
        )
        .ok();
        let (b, c) = out.rsplit_once('\n').unwrap();
        (c.to_string(), b.to_string())
    };
    let big = ca.dir().join("big.json");
    std::fs::write(
        &big,
        format!(
            "{{\"csr\": \"{}\", \"template\": \"WebServer\"}}",
            "A".repeat(70 * 1024)
        ),
    )
    .unwrap();
    let (code, _) = post("application/json", &format!("@{}", s(&big)));
    assert_eq!(code, "413");
    let (code, body) = post("application/json", "{not json");
    assert_eq!(code, "400");
    assert!(body.contains("malformed JSON"), "{body}");
    let csr = openssl_csr(ca.dir(), "c", "ec", "/CN=www.example.com", "", false);
    let pem = std::fs::read_to_string(&csr).unwrap();
    let j = |t: &str| serde_json::json!({"csr": pem, "template": t}).to_string();
    let (code, body) = post("application/json", &j("Nope"));
    assert_eq!(code, "400");
    assert!(body.contains("unknown profile Nope"), "{body}");
    let (code, body) = post(
        "application/json",
        &serde_json::json!({"csr": "garbage", "template": "WebServer"}).to_string(),
    );
    assert_eq!(code, "400");
    assert!(body.contains("CSR is neither PEM nor DER"), "{body}");
    let weak = openssl_csr(ca.dir(), "w", "rsa1024", "/CN=www.example.com", "", false);
    let (code, body) = post(
        "application/json",
        &serde_json::json!({"csr": std::fs::read_to_string(&weak).unwrap(), "template": "WebServer"}).to_string(),
    );
    assert_eq!(code, "400");
    assert!(
        body.contains("RSA key of 1024 bits is below the 2048 minimum"),
        "{body}"
    );
    let ipcsr = openssl_csr(ca.dir(), "pg", "ec", "/CN=admin", "", false);
    let (code, body) = post(
        "application/json",
        &serde_json::json!({"csr": std::fs::read_to_string(&ipcsr).unwrap(), "template": "postgres-client"})
            .to_string(),
    );
    assert_eq!(code, "422", "{body}");
    // Nothing was queued by any of that.
    let list = client(&ca, &srv, &["requests", "list", "--status", "all", "--json"]).ok();
    assert_eq!(list.trim(), "[]", "{list}");
    // A PKCS#10 body (DER) is accepted too.
    let der = openssl_csr(ca.dir(), "d", "ec", "/CN=der.example.com", "", true);
    let out = curl(
        ca.dir(),
        &[
            "-sS",
            "--cacert",
            &r,
            "-H",
            "content-type: application/pkcs10",
            "--data-binary",
            &format!("@{}", s(&der)),
            "-w",
            "\n%{http_code}",
            &format!("{url}?template=WebServer"),
        ],
    )
    .ok();
    assert!(out.ends_with("202") && out.contains("Taken Under Submission"), "{out}");
}

#[test]
fn public_endpoints_and_graceful_shutdown() {
    let ca = TestCa::init("ecdsa-p256");
    let srv = Server::start(&ca.home, &ca.pass);
    let http = format!("http://{}", srv.http);
    let root_pem = curl(ca.dir(), &["-sSf", &format!("{http}/ca/default/root.pem")]).ok();
    assert_eq!(
        root_pem,
        std::fs::read_to_string(ca.issuer_file("default", "root.crt")).unwrap()
    );
    curl(
        ca.dir(),
        &["-sSf", "-o", "chain.pem", &format!("{http}/ca/default/chain.pem")],
    )
    .ok();
    assert_eq!(
        std::fs::read_to_string(ca.dir().join("chain.pem"))
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count(),
        2
    );
    curl(
        ca.dir(),
        &["-sSf", "-o", "int.der", &format!("{http}/ca/default/intermediate.der")],
    )
    .ok();
    openssl(ca.dir(), &["x509", "-inform", "DER", "-in", "int.der", "-noout"]).ok();
    let health = curl(ca.dir(), &["-sSf", &format!("{http}/health")]).ok();
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    // Prometheus metrics count requests by template and outcome.
    let csr = openssl_csr(ca.dir(), "m", "ec", "/CN=m.example.com", "", false);
    assert_eq!(
        client(&ca, &srv, &["submit", "--template", "WebServer", &s(&csr)]).code,
        3
    );
    let metrics = curl(ca.dir(), &["-sSf", &format!("{http}/metrics")]).ok();
    assert!(
        metrics.contains("privca_requests_total{template=\"WebServer\",outcome=\"pending\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("privca_pending_requests 1"), "{metrics}");
    // The enrollment API is not on the plain listener.
    let code = curl(
        ca.dir(),
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "POST",
            &format!("{http}/v1/requests"),
        ],
    )
    .ok();
    assert_eq!(code, "404");
    // HTTPS presents a certificate from our own CA for 127.0.0.1.
    let health = curl(
        ca.dir(),
        &["-sSf", "--cacert", &root(&ca), &format!("{}/health", srv.url())],
    )
    .ok();
    assert!(health.contains("ok"));
    let status = srv.stop();
    assert!(status.success(), "SIGTERM ends the daemon cleanly: {status}");
}

#[test]
fn an_edited_audit_entry_is_detected() {
    let ca = TestCa::init("ecdsa-p256");
    let srv = Server::start(&ca.home, &ca.pass);
    client(
        &ca,
        &srv,
        &["token", "create", "--template", "WebServer", "--cn", "a.example.com"],
    )
    .ok();
    let csr = openssl_csr(ca.dir(), "x", "ec", "/CN=x.example.com", "", false);
    let id = client(&ca, &srv, &["submit", "--template", "WebServer", &s(&csr)]).stdout;
    let id = id
        .lines()
        .find_map(|l| l.strip_prefix("RequestId: "))
        .unwrap()
        .trim()
        .to_string();
    client(&ca, &srv, &["requests", "deny", &id, "--reason", "test"]).ok();
    assert!(client(&ca, &srv, &["audit", "verify"]).ok().contains("2 entries"));
    srv.stop();
    // Someone with write access to the store rewrites what entry 1 says.
    {
        let index = ca_store::RedbIndex::open(&ca.home.join("index.redb")).unwrap();
        let forged = ca_store::AuditEvent {
            at: 0,
            actor: ca_store::Actor {
                subject: "CN=nobody".into(),
                fingerprint: "00".into(),
            },
            action: "token.create".into(),
            details: serde_json::json!({"template": "WebServer"}),
        };
        index.tamper_audit_entry_for_tests(1, forged).unwrap();
    }
    let srv = Server::start(&ca.home, &ca.pass);
    let err = client(&ca, &srv, &["audit", "verify"]).fails();
    assert!(err.contains("audit log is broken at entry 1"), "{err}");
}
