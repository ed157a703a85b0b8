//! Issue 6 with the ACME clients administrators already run: certbot (standalone http-01)
//! and lego (http-01, tls-alpn-01, EAB, renew, revoke, waiting on manual approval) against
//! the real daemon on loopback. Each ACME front door validates on loopback ports chosen by
//! the test and maps the test names to 127.0.0.1 with its static host map. Every issued
//! certificate is checked with `openssl verify` against the root and linted with pkilint.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use privca_tests::{openssl, pkilint, require_tool, Server, TestCa};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A free loopback port (bound and released; the client binds it moments later).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A CA home with one ACME front door `it` whose extra settings are `extra` (TOML lines).
struct AcmeCa {
    ca: TestCa,
    http01: u16,
    tls01: u16,
}

impl AcmeCa {
    fn new(extra: &str) -> AcmeCa {
        let ca = TestCa::init("ecdsa-p256");
        let (http01, tls01) = (free_port(), free_port());
        let section = format!(
            "\n[acme.it]\ntemplate = \"WebServer\"\nhttp01_port = {http01}\ntls_alpn01_port = {tls01}\n\
             hosts = {{ \"www.privca.test\" = \"127.0.0.1\", \"api.privca.test\" = \"127.0.0.1\" }}\n{extra}\n"
        );
        let toml = ca.home.join("ca.toml");
        let mut text = std::fs::read_to_string(&toml).unwrap();
        text.push_str(&section);
        std::fs::write(&toml, text).unwrap();
        AcmeCa { ca, http01, tls01 }
    }

    fn root(&self) -> PathBuf {
        self.ca.issuer_file("default", "root.crt")
    }

    fn directory(&self, srv: &Server) -> String {
        format!("{}/acme/it/directory", srv.url())
    }

    /// lego with this CA's root trusted, its state under the test directory.
    fn lego(&self, srv: &Server, args: &[&str]) -> Command {
        let mut c = Command::new("lego");
        c.env("LEGO_CA_CERTIFICATES", self.root())
            .arg("--path")
            .arg(self.ca.dir().join("lego"))
            .args(["--server", &self.directory(srv)])
            .args(["--email", "admin@example.com", "--accept-tos"])
            .args(args);
        c
    }

    /// `openssl verify` of a PEM chain file (leaf first) against the root, then pkilint on
    /// the leaf and on the intermediate -> leaf pair.
    fn check_chain(&self, chain: &Path) {
        let leaf = self.ca.dir().join("leaf.pem");
        openssl(self.ca.dir(), &["x509", "-in", &s(chain), "-out", &s(&leaf)]).ok();
        let out = openssl(
            self.ca.dir(),
            &[
                "verify",
                "-x509_strict",
                "-purpose",
                "sslserver",
                "-CAfile",
                &s(&self.root()),
                "-untrusted",
                &s(chain),
                &s(&leaf),
            ],
        )
        .ok();
        assert!(out.trim().ends_with(": OK"), "{out}");
        let findings = pkilint(self.ca.dir(), "lint_pkix_cert", &["lint", "-s", "WARNING", &s(&leaf)]);
        assert!(findings.is_empty(), "pkilint findings:\n{findings}");
        let inter = self.ca.issuer_file("default", "intermediate.crt");
        let findings = pkilint(
            self.ca.dir(),
            "lint_pkix_signer_signee_cert_chain",
            &["lint", &s(&inter), &s(&leaf)],
        );
        assert!(findings.is_empty(), "pkilint chain findings:\n{findings}");
    }

    fn text(&self, cert: &Path) -> String {
        openssl(self.ca.dir(), &["x509", "-noout", "-text", "-in", &s(cert)]).ok()
    }

    /// ca-cli against the running server (admin credential from the home).
    fn client(&self, srv: &Server, args: &[&str]) -> privca_tests::Run {
        let url = srv.url();
        let mut v = args.to_vec();
        v.extend(["--server", &url]);
        self.ca.cli(&v)
    }
}

fn run(mut c: Command, what: &str) -> String {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed ({}):\n{text}", out.status);
    text
}

/// Waits for a child (bounded), returning its output.
fn wait(child: Child, what: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    let mut child = child;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{what} did not finish:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed ({}):\n{text}", out.status);
    text
}

/// `certbot certonly --standalone` for `domains` with this CA's root trusted and all state
/// under the test directory.
fn certbot(a: &AcmeCa, srv: &Server, domains: &[&str]) -> Command {
    let cb = a.ca.dir().join("certbot");
    let mut c = Command::new("certbot");
    c.env("REQUESTS_CA_BUNDLE", a.root())
        .args(["certonly", "--standalone", "--non-interactive", "--agree-tos"])
        .args(["-m", "admin@example.com", "--no-eff-email"])
        .args([
            "--http-01-address",
            "127.0.0.1",
            "--http-01-port",
            &a.http01.to_string(),
        ])
        .args(["--server", &a.directory(srv)])
        .args(["--config-dir", &s(&cb.join("conf"))])
        .args(["--work-dir", &s(&cb.join("work"))])
        .args(["--logs-dir", &s(&cb.join("logs"))]);
    for d in domains {
        c.args(["-d", d]);
    }
    c
}

#[test]
fn certbot_standalone_http01() {
    require_tool("certbot");
    let a = AcmeCa::new("approval = \"auto\"");
    let srv = Server::start(&a.ca.home, &a.ca.pass);
    let cb = a.ca.dir().join("certbot");
    let out = run(
        certbot(&a, &srv, &["www.privca.test", "api.privca.test"]),
        "certbot certonly",
    );
    assert!(out.contains("Successfully received certificate"), "{out}");
    let live = cb.join("conf/live/www.privca.test");
    a.check_chain(&live.join("fullchain.pem"));
    let text = a.text(&live.join("cert.pem"));
    assert!(
        text.contains("DNS:www.privca.test") && text.contains("DNS:api.privca.test"),
        "{text}"
    );
    assert!(text.contains("TLS Web Server Authentication"), "{text}");
    // The same pipeline as every front door: the certificate is in the index.
    srv.stop();
    let list = a.ca.cli(&["list", "--json"]).ok();
    assert!(list.contains("WebServer") && list.contains("www.privca.test"), "{list}");
}

#[test]
fn lego_http01_then_renew_and_revoke() {
    require_tool("lego");
    let a = AcmeCa::new("");
    let srv = Server::start(&a.ca.home, &a.ca.pass);
    let port = format!("127.0.0.1:{}", a.http01);
    run(
        a.lego(
            &srv,
            &["--domains", "www.privca.test", "--http", "--http.port", &port, "run"],
        ),
        "lego run --http",
    );
    let certs = a.ca.dir().join("lego/certificates");
    let first = std::fs::read_to_string(certs.join("www.privca.test.crt")).unwrap();
    a.check_chain(&certs.join("www.privca.test.crt"));

    // Renewal: --days beyond the lifetime forces it; a new certificate from a new order.
    run(
        a.lego(
            &srv,
            &[
                "--domains",
                "www.privca.test",
                "--http",
                "--http.port",
                &port,
                "renew",
                "--days",
                "400",
                "--no-random-sleep",
            ],
        ),
        "lego renew",
    );
    let second = std::fs::read_to_string(certs.join("www.privca.test.crt")).unwrap();
    assert_ne!(first, second, "lego renew must fetch a new certificate");
    a.check_chain(&certs.join("www.privca.test.crt"));

    // Revocation by the account key; the index says revoked.
    let serial = openssl(
        a.ca.dir(),
        &[
            "x509",
            "-noout",
            "-serial",
            "-in",
            &s(&certs.join("www.privca.test.crt")),
        ],
    )
    .ok();
    let serial = serial.trim().trim_start_matches("serial=").to_string();
    let out = run(a.lego(&srv, &["--domains", "www.privca.test", "revoke"]), "lego revoke");
    assert!(out.contains("revoked"), "{out}");
    let shown = a.client(&srv, &["certs", "--json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let rec = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["serial"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(&serial)))
        .unwrap_or_else(|| panic!("serial {serial} not in {shown}"));
    assert_eq!(rec["status"], "revoked", "{rec}");
}

#[test]
fn lego_tls_alpn01() {
    require_tool("lego");
    let a = AcmeCa::new("");
    let srv = Server::start(&a.ca.home, &a.ca.pass);
    let port = format!("127.0.0.1:{}", a.tls01);
    run(
        a.lego(
            &srv,
            &["--domains", "api.privca.test", "--tls", "--tls.port", &port, "run"],
        ),
        "lego run --tls",
    );
    a.check_chain(&a.ca.dir().join("lego/certificates/api.privca.test.crt"));
}

#[test]
fn lego_with_external_account_binding() {
    require_tool("lego");
    let a = AcmeCa::new("eab_required = true");
    let srv = Server::start(&a.ca.home, &a.ca.pass);
    let port = format!("127.0.0.1:{}", a.http01);
    // Without a binding the account is refused.
    let out = a
        .lego(
            &srv,
            &["--domains", "www.privca.test", "--http", "--http.port", &port, "run"],
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{text}");
    // lego reads meta.externalAccountRequired and refuses before it asks.
    assert!(text.contains("External Account Binding"), "{text}");

    let created = a
        .client(&srv, &["acme", "eab", "create", "--endpoint", "it", "--json"])
        .ok();
    let v: serde_json::Value = serde_json::from_str(&created).unwrap();
    let (kid, hmac) = (v["key_id"].as_str().unwrap(), v["hmac_key"].as_str().unwrap());
    run(
        a.lego(
            &srv,
            &[
                "--eab",
                "--kid",
                kid,
                "--hmac",
                hmac,
                "--domains",
                "www.privca.test",
                "--http",
                "--http.port",
                &port,
                "run",
            ],
        ),
        "lego run --eab",
    );
    a.check_chain(&a.ca.dir().join("lego/certificates/www.privca.test.crt"));
    // The key is listed as used by the new account, and its HMAC key is never shown again.
    let listed = a.client(&srv, &["acme", "eab", "list", "--json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let row = v
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == kid)
        .expect("key listed");
    assert!(row["used_by_account"].as_str().is_some(), "{row}");
    assert!(!listed.contains(hmac), "{listed}");
    // The key creation is in the audit log.
    let audit = a.client(&srv, &["audit", "list", "--json"]).ok();
    assert!(audit.contains("acme.eab.create"), "{audit}");
}

/// Polls the approval queue (bounded) until a pending ACME request appears; its RequestId.
fn pending_acme_request(a: &AcmeCa, srv: &Server) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = a.client(srv, &["requests", "list", "--json"]).ok();
        let v: serde_json::Value = serde_json::from_str(&list).unwrap();
        if let Some(r) = v.as_array().and_then(|a| a.first()) {
            assert_eq!(r["source"], "acme:it", "{r}");
            return r["request_id"].as_u64().unwrap();
        }
        assert!(Instant::now() < deadline, "no pending ACME request appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn certbot_waits_for_manual_approval() {
    require_tool("certbot");
    // certbot 2.1 polls a processing order once a second until its deadline (90 s).
    let a = AcmeCa::new("approval = \"template\"");
    let srv = Server::start(&a.ca.home, &a.ca.pass);
    let child = certbot(&a, &srv, &["www.privca.test"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = pending_acme_request(&a, &srv);
    a.client(&srv, &["requests", "approve", &id.to_string()]).ok();
    let out = wait(child, "certbot (manual approval)", Duration::from_secs(90));
    assert!(out.contains("Successfully received certificate"), "{out}");
    a.check_chain(&a.ca.dir().join("certbot/conf/live/www.privca.test/fullchain.pem"));
}

#[test]
fn lego_waits_for_manual_approval() {
    require_tool("lego");
    // approval = "template": WebServer is a manual template, so finalize leaves the order
    // processing until an administrator approves the request in the common queue.
    let a = AcmeCa::new("approval = \"template\"");
    let srv = Server::start(&a.ca.home, &a.ca.pass);
    let port = format!("127.0.0.1:{}", a.http01);
    let child = a
        .lego(
            &srv,
            &["--domains", "www.privca.test", "--http", "--http.port", &port, "run"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = pending_acme_request(&a, &srv);
    a.client(&srv, &["requests", "approve", &id.to_string()]).ok();
    wait(child, "lego run (manual approval)", Duration::from_secs(90));
    a.check_chain(&a.ca.dir().join("lego/certificates/www.privca.test.crt"));
}
