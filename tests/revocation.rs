//! Issue 5 end to end: CRLs and OCSP served by the running daemon, checked with openssl,
//! pkilint and Python `cryptography`: fetch, verify, revoke, hold and release, restart, ETag.
use std::path::Path;
use std::time::Duration;

use privca_tests::{bin, curl, openssl, openssl_csr, pkilint, run_in, Server, TestCa};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn client(ca: &TestCa, srv: &Server, args: &[&str]) -> privca_tests::Run {
    let url = srv.url();
    let mut v = args.to_vec();
    v.extend(["--server", &url]);
    ca.cli(&v)
}

/// Issues `name.pem` offline and returns its serial (hex, as openssl prints it).
fn issue_leaf(ca: &TestCa, name: &str) -> String {
    let csr = openssl_csr(
        ca.dir(),
        name,
        "ec",
        &format!("/CN={name}.example.com"),
        &format!("DNS:{name}.example.com"),
        false,
    );
    let out = format!("{name}.pem");
    ca.cli(&["issue", "--profile", "WebServer", "--csr", &s(&csr), "--out", &out])
        .ok();
    let serial = openssl(ca.dir(), &["x509", "-noout", "-serial", "-in", &out]).ok();
    serial.trim().trim_start_matches("serial=").to_string()
}

/// GETs `path` from the plain-HTTP listener into `file`; returns the response headers.
fn fetch(ca: &TestCa, srv: &Server, path: &str, file: &str) -> String {
    let url = format!("http://{}{path}", srv.http);
    curl(ca.dir(), &["-sf", "-D", "-", "-o", file, &url]).ok()
}

/// Fetches the full and delta CRLs (DER) and checks them with `openssl crl -verify`; returns
/// the `-text` output of (full, delta).
fn fetch_crls(ca: &TestCa, srv: &Server, tag: &str) -> (String, String) {
    let int = s(&ca.issuer_file("default", "intermediate.crt"));
    let mut texts = Vec::new();
    for (path, file) in [
        ("/crl/default.crl", format!("full-{tag}.crl")),
        ("/crl/default-delta.crl", format!("delta-{tag}.crl")),
    ] {
        let headers = fetch(ca, srv, path, &file);
        assert!(headers.contains("application/pkix-crl"), "{headers}");
        let out = openssl(
            ca.dir(),
            &[
                "crl", "-in", &file, "-inform", "DER", "-noout", "-text", "-verify", "-CAfile", &int,
            ],
        );
        assert!(
            out.stderr.contains("verify OK") || out.stdout.contains("verify OK"),
            "{out:?}"
        );
        let findings = pkilint(
            ca.dir(),
            "lint_crl",
            &["lint", "-t", "CRL", "-p", "PKIX", "-s", "WARNING", &file],
        );
        assert!(findings.is_empty(), "pkilint {file}:\n{findings}");
        python(ca, PY_CRL, &[&file]);
        texts.push(out.stdout.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    let delta = texts.pop().unwrap();
    (texts.pop().unwrap(), delta)
}

const PY_CRL: &str = r#"
import sys
from cryptography import x509
crl = x509.load_der_x509_crl(open(sys.argv[1], 'rb').read())
print(len(crl))
"#;

const PY_OCSP: &str = r#"
import sys
from cryptography.x509 import ocsp
r = ocsp.load_der_ocsp_response(open(sys.argv[1], 'rb').read())
print(r.response_status.name)
if r.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL:
    print(r.certificate_status.name)
"#;

fn python(ca: &TestCa, script: &str, args: &[&str]) -> String {
    let mut v = vec!["-c", script];
    v.extend_from_slice(args);
    run_in(ca.dir(), "python3", &v).ok()
}

/// `openssl ocsp` against the daemon for `leaf`; returns its output, and checks the response
/// with pkilint and cryptography.
fn ocsp(ca: &TestCa, srv: &Server, leaf: &str, extra: &[&str]) -> String {
    let int = s(&ca.issuer_file("default", "intermediate.crt"));
    let root = s(&ca.issuer_file("default", "root.crt"));
    let url = format!("http://{}/ocsp", srv.http);
    let resp = format!("{leaf}.ocsp");
    let mut args = vec![
        "ocsp",
        "-issuer",
        &int,
        "-cert",
        leaf,
        "-url",
        &url,
        "-CAfile",
        &root,
        "-verify_other",
        &int,
        "-resp_text",
        "-respout",
        &resp,
    ];
    args.extend_from_slice(extra);
    let out = openssl(ca.dir(), &args);
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(text.contains("Response verify OK"), "{text}");
    let findings = pkilint(ca.dir(), "lint_ocsp_response", &["lint", "-s", "WARNING", &resp]);
    assert!(findings.is_empty(), "pkilint {resp}:\n{findings}");
    assert!(python(ca, PY_OCSP, &[&resp]).starts_with("SUCCESSFUL"));
    text
}

fn crl_check(ca: &TestCa, leaf: &str, crl_der: &str) -> privca_tests::Run {
    let pem = format!("{crl_der}.pem");
    openssl(ca.dir(), &["crl", "-inform", "DER", "-in", crl_der, "-out", &pem]).ok();
    let chain = ca.dir().join("cas.pem");
    let mut both = std::fs::read(ca.issuer_file("default", "root.crt")).unwrap();
    both.extend(std::fs::read(ca.issuer_file("default", "intermediate.crt")).unwrap());
    std::fs::write(&chain, both).unwrap();
    openssl(
        ca.dir(),
        &["verify", "-crl_check", "-CAfile", &s(&chain), "-CRLfile", &pem, leaf],
    )
}

fn int_path(ca: &TestCa) -> String {
    s(&ca.issuer_file("default", "intermediate.crt"))
}

/// Waits out the daemon's debounce so CRLs reflect the last change.
fn settle() {
    std::thread::sleep(Duration::from_millis(1500));
}

#[test]
fn crls_and_ocsp_follow_revocations_across_restarts() {
    let ca = TestCa::init("ecdsa-p256");
    let s1 = issue_leaf(&ca, "leaf1");
    let s2 = issue_leaf(&ca, "leaf2");
    issue_leaf(&ca, "leaf3");
    let srv = Server::start(&ca.home, &ca.pass);

    // Fresh daemon: valid, empty CRLs; OCSP good; health OK.
    let (full, delta) = fetch_crls(&ca, &srv, "a");
    assert!(full.contains("No Revoked Certificates"), "{full}");
    assert!(full.contains("X509v3 Freshest CRL"), "{full}");
    assert!(delta.contains("Delta CRL Indicator"), "{delta}");
    let out = ocsp(&ca, &srv, "leaf1.pem", &[]);
    assert!(out.contains("leaf1.pem: good"), "{out}");
    assert!(
        out.contains("privca OCSP responder default"),
        "delegated responder: {out}"
    );
    let health = curl(
        ca.dir(),
        &["-s", "-w", "%{http_code}", &format!("http://{}/health", srv.http)],
    )
    .ok();
    assert!(health.ends_with("200"), "{health}");
    assert!(crl_check(&ca, "leaf1.pem", "full-a.crl").ok().contains("OK"));

    // Revoke leaf1 (keyCompromise), hold leaf2.
    client(&ca, &srv, &["revoke", &s1, "--reason", "keyCompromise"]).ok();
    client(&ca, &srv, &["revoke", &s2, "--reason", "certificateHold"]).ok();
    settle();
    let out = ocsp(&ca, &srv, "leaf1.pem", &["-no_nonce"]);
    assert!(out.contains("leaf1.pem: revoked"), "{out}");
    assert!(out.contains("Reason: keyCompromise"), "{out}");
    let out = ocsp(&ca, &srv, "leaf2.pem", &[]);
    assert!(out.contains("leaf2.pem: revoked"), "{out}");
    let (full, delta) = fetch_crls(&ca, &srv, "b");
    assert!(
        full.contains("Key Compromise") && full.contains("Certificate Hold"),
        "{full}"
    );
    assert!(delta.contains("Key Compromise"), "{delta}");
    let err = crl_check(&ca, "leaf1.pem", "full-b.crl");
    assert_ne!(err.code, 0);
    assert!(
        format!("{}{}", err.stdout, err.stderr).contains("certificate revoked"),
        "{err:?}"
    );
    assert!(crl_check(&ca, "leaf3.pem", "full-b.crl").ok().contains("OK"));

    // ca-cli verify as a relying party: CRL by URL and file, OCSP, and the fallback policy.
    let crl_url = format!("http://{}/crl/default.crl", srv.http);
    let ocsp_url = format!("http://{}/ocsp", srv.http);
    let verify = |args: &[&str]| {
        let mut v = vec!["verify"];
        v.extend_from_slice(args);
        run_in(ca.dir(), bin("ca-cli"), &v)
    };
    let err = verify(&["leaf1.pem", "--chain", "cas.pem", "--crl-url", &crl_url]).fails();
    assert!(err.contains("revoked") && err.contains("keyCompromise"), "{err}");
    let err = verify(&["leaf1.pem", "--chain", "cas.pem", "--ocsp-url", &ocsp_url]).fails();
    assert!(err.contains("revoked") && err.contains("keyCompromise"), "{err}");
    let out = verify(&[
        "leaf3.pem",
        "--chain",
        "cas.pem",
        "--crl",
        "full-b.crl",
        "--ocsp-url",
        &ocsp_url,
    ])
    .ok();
    assert!(out.contains("not revoked") && out.contains("OK"), "{out}");
    // An unreachable CRL (the discard port) leaves the status undecided: the fallback decides.
    let dead = "http://127.0.0.1:9/crl/default.crl";
    let err = verify(&["leaf3.pem", "--chain", "cas.pem", "--crl-url", dead]).fails();
    assert!(err.contains("treated as revoked"), "{err}");
    let out = verify(&[
        "leaf3.pem",
        "--chain",
        "cas.pem",
        "--crl-url",
        dead,
        "--fallback",
        "treat-as-not-revoked",
    ])
    .ok();
    assert!(out.contains("treated as not revoked"), "{out}");

    // Malformed and unknown-issuer requests get the RFC's answers.
    std::fs::write(ca.dir().join("garbage.der"), b"\x30\x03\x02\x01\x05garbage").unwrap();
    let url = format!("http://{}/ocsp", srv.http);
    curl(
        ca.dir(),
        &[
            "-sf",
            "-H",
            "Content-Type: application/ocsp-request",
            "--data-binary",
            "@garbage.der",
            "-o",
            "bad.ocsp",
            &url,
        ],
    )
    .ok();
    assert_eq!(python(&ca, PY_OCSP, &["bad.ocsp"]).trim(), "MALFORMED_REQUEST");
    curl(ca.dir(), &["-sf", "-o", "bad-get.ocsp", &format!("{url}/%%%")]).ok();
    assert_eq!(python(&ca, PY_OCSP, &["bad-get.ocsp"]).trim(), "MALFORMED_REQUEST");

    // A serial this issuer never issued is unknown; a CA this responder does not serve is
    // unauthorized.
    let root = s(&ca.issuer_file("default", "root.crt"));
    let out = openssl(
        ca.dir(),
        &[
            "ocsp",
            "-issuer",
            &int_path(&ca),
            "-serial",
            "0x123456",
            "-url",
            &url,
            "-CAfile",
            &root,
            "-verify_other",
            &int_path(&ca),
        ],
    );
    assert!(out.stdout.contains("unknown"), "{out:?}");
    let out = openssl(ca.dir(), &["ocsp", "-issuer", &root, "-serial", "0x1", "-url", &url]);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("unauthorized"),
        "{out:?}"
    );

    // The GET form (RFC 6960 A.1) answers like POST: base64 of the request, URL-encoded.
    let int = s(&ca.issuer_file("default", "intermediate.crt"));
    openssl(
        ca.dir(),
        &[
            "ocsp",
            "-issuer",
            &int,
            "-cert",
            "leaf1.pem",
            "-no_nonce",
            "-reqout",
            "get-req.der",
        ],
    )
    .ok();
    let b64 = run_in(ca.dir(), "base64", &["-w0", "get-req.der"]).ok();
    let escaped = b64.trim().replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    curl(ca.dir(), &["-sf", "-o", "get.ocsp", &format!("{url}/{escaped}")]).ok();
    assert_eq!(python(&ca, PY_OCSP, &["get.ocsp"]).trim(), "SUCCESSFUL\nREVOKED");

    // ETag: a conditional GET of the same CRL is 304.
    let headers = fetch(&ca, &srv, "/crl/default.crl", "etag.crl");
    let etag = headers
        .lines()
        .find_map(|l| l.strip_prefix("etag: ").or_else(|| l.strip_prefix("ETag: ")))
        .expect("ETag header")
        .trim()
        .to_string();
    assert!(headers.to_ascii_lowercase().contains("last-modified: "), "{headers}");
    let code = curl(
        ca.dir(),
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            &format!("If-None-Match: {etag}"),
            &format!("http://{}/crl/default.crl", srv.http),
        ],
    )
    .ok();
    assert_eq!(code, "304");
    // PEM form, also on the HTTPS listener.
    let pem = curl(ca.dir(), &["-sfk", &format!("{}/crl/default.pem", srv.url())]).ok();
    assert!(pem.starts_with("-----BEGIN X509 CRL-----"), "{pem}");

    // A restarted daemon serves the same revocation state at once.
    assert!(srv.stop().success());
    let srv = Server::start(&ca.home, &ca.pass);
    let (full, _) = fetch_crls(&ca, &srv, "c");
    assert!(
        full.contains("Key Compromise") && full.contains("Certificate Hold"),
        "{full}"
    );
    let out = ocsp(&ca, &srv, "leaf1.pem", &[]);
    assert!(
        out.contains("leaf1.pem: revoked") && out.contains("keyCompromise"),
        "{out}"
    );

    // Releasing the hold: removeFromCRL in the next delta (the hold is in its base), good in OCSP.
    client(&ca, &srv, &["unrevoke", &s2]).ok();
    settle();
    let (full, delta) = fetch_crls(&ca, &srv, "d");
    assert!(!full.contains("Certificate Hold"), "{full}");
    assert!(delta.contains("Remove From CRL"), "{delta}");
    let out = ocsp(&ca, &srv, "leaf2.pem", &["-no_nonce"]);
    assert!(out.contains("leaf2.pem: good"), "{out}");

    // The root's CRL, signed offline while the daemon runs, is served from the home.
    let pass = s(&ca.pass);
    // The daemon holds the index: without --server the command says so and writes nothing.
    let err = ca
        .cli(&["crl", "root", "--passphrase-file", &pass, "--days", "30"])
        .fails();
    assert!(err.contains("--server"), "{err}");
    let out = client(&ca, &srv, &["crl", "root", "--passphrase-file", &pass, "--days", "30"]).ok();
    assert!(out.contains("root.crl") && out.contains("(0 revoked)"), "{out}");
    let headers = fetch(&ca, &srv, "/crl/default-root.crl", "root.crl");
    assert!(headers.contains("application/pkix-crl"), "{headers}");
    let root = s(&ca.issuer_file("default", "root.crt"));
    let out = openssl(
        ca.dir(),
        &[
            "crl", "-in", "root.crl", "-inform", "DER", "-noout", "-verify", "-CAfile", &root,
        ],
    );
    assert!(format!("{}{}", out.stdout, out.stderr).contains("verify OK"), "{out:?}");
    let findings = pkilint(
        ca.dir(),
        "lint_crl",
        &["lint", "-t", "CRL", "-p", "PKIX", "-s", "WARNING", "root.crl"],
    );
    assert!(findings.is_empty(), "pkilint root.crl:\n{findings}");
    assert_eq!(python(&ca, PY_CRL, &["root.crl"]).trim(), "0");

    // Metrics expose the CRL freshness gauge.
    let metrics = curl(ca.dir(), &["-sf", &format!("http://{}/metrics", srv.http)]).ok();
    assert!(metrics.contains("privca_crl_seconds_to_next_update"), "{metrics}");
    assert!(srv.stop().success());
}

/// A subordinate CA is signed by the root (template `subordinate-ca`): revoked, it goes on the
/// root's CRL, which its CRL Distribution Point names, and not on the intermediate's.
#[test]
fn revoked_subordinate_ca_is_on_the_root_crl_only() {
    let ca = TestCa::init("ecdsa-p256");
    let csr = openssl_csr(ca.dir(), "sub", "ec", "/CN=Example Sub CA/O=Example", "", false);
    ca.cli(&[
        "issue",
        "--profile",
        "subordinate-ca",
        "--csr",
        &s(&csr),
        "--out",
        "sub.pem",
    ])
    .ok();
    let sub = openssl(ca.dir(), &["x509", "-noout", "-serial", "-in", "sub.pem"]).ok();
    let sub = sub.trim().trim_start_matches("serial=").to_string();
    let leaf = issue_leaf(&ca, "leaf");
    let root = s(&ca.issuer_file("default", "root.crt"));
    let pass = s(&ca.pass);
    let root_crl_text = |file: &str| {
        let out = openssl(
            ca.dir(),
            &[
                "crl", "-in", file, "-inform", "DER", "-noout", "-text", "-verify", "-CAfile", &root,
            ],
        );
        assert!(format!("{}{}", out.stdout, out.stderr).contains("verify OK"), "{out:?}");
        out.stdout
    };

    // The issuer's own intermediate is in the index too (the root signed it).
    let list = ca.cli(&["list", "--json"]).ok();
    let int = openssl(ca.dir(), &["x509", "-noout", "-serial", "-in", &int_path(&ca)]).ok();
    let int = int.trim().trim_start_matches("serial=").to_string();
    assert!(list.contains("intermediate-ca") && list.contains(&int), "{list}");

    // Offline: revoke the subordinate CA and the leaf, sign the root CRL from the index.
    ca.cli(&["revoke", &sub, "--reason", "cACompromise"]).ok();
    ca.cli(&["revoke", &leaf, "--reason", "keyCompromise"]).ok();
    let out = ca.cli(&["crl", "root", "--passphrase-file", &pass]).ok();
    assert!(out.contains("(1 revoked)"), "{out}");
    std::fs::copy(ca.issuer_file("default", "root.crl"), ca.dir().join("root-offline.crl")).unwrap();
    let text = root_crl_text("root-offline.crl");
    assert!(text.contains(&sub) && text.contains("CA Compromise"), "{text}");
    assert!(!text.contains(&leaf) && !text.contains(&int), "{text}");

    // The daemon's intermediate CRL has the leaf and not the subordinate CA.
    let srv = Server::start(&ca.home, &ca.pass);
    let (full, _) = fetch_crls(&ca, &srv, "sub");
    assert!(full.contains(&leaf) && !full.contains(&sub), "{full}");
    // Nor does the intermediate's OCSP responder vouch for what the root signed: asked with
    // the intermediate's CertID and the subordinate's serial, it answers unknown.
    let url = format!("http://{}/ocsp", srv.http);
    let int_crt = int_path(&ca);
    let serial = format!("0x{sub}");
    for extra in [&["-no_nonce"][..], &[]] {
        let mut args = vec![
            "ocsp",
            "-issuer",
            &int_crt,
            "-serial",
            &serial,
            "-url",
            &url,
            "-CAfile",
            &root,
            "-verify_other",
            &int_crt,
        ];
        args.extend_from_slice(extra);
        let out = openssl(ca.dir(), &args);
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(
            text.contains("Response verify OK") && text.contains(": unknown"),
            "{text}"
        );
    }

    // While the daemon runs, the root CRL reads the revocations from it.
    let out = client(&ca, &srv, &["crl", "root", "--passphrase-file", &pass]).ok();
    assert!(out.contains("(1 revoked)"), "{out}");
    fetch(&ca, &srv, "/crl/default-root.crl", "root.crl");
    let text = root_crl_text("root.crl");
    assert!(text.contains(&sub) && !text.contains(&leaf), "{text}");
    openssl(
        ca.dir(),
        &["crl", "-inform", "DER", "-in", "root.crl", "-out", "root.crl.pem"],
    )
    .ok();
    let err = openssl(
        ca.dir(),
        &[
            "verify",
            "-crl_check",
            "-CAfile",
            &root,
            "-CRLfile",
            "root.crl.pem",
            "sub.pem",
        ],
    );
    assert!(
        format!("{}{}", err.stdout, err.stderr).contains("certificate revoked"),
        "{err:?}"
    );
    let findings = pkilint(
        ca.dir(),
        "lint_crl",
        &["lint", "-t", "CRL", "-p", "PKIX", "-s", "WARNING", "root.crl"],
    );
    assert!(findings.is_empty(), "pkilint root.crl:\n{findings}");

    // Retiring the intermediate (key compromise) puts it on the root's CRL as well.
    client(&ca, &srv, &["revoke", &int, "--reason", "cACompromise"]).ok();
    let out = client(&ca, &srv, &["crl", "root", "--passphrase-file", &pass]).ok();
    assert!(out.contains("(2 revoked)"), "{out}");
    fetch(&ca, &srv, "/crl/default-root.crl", "root2.crl");
    let text = root_crl_text("root2.crl");
    assert!(
        text.contains(&sub) && text.contains(&int) && !text.contains(&leaf),
        "{text}"
    );
    assert!(srv.stop().success());
}
