//! Issue 3 fault test: `kill -9` of the daemon while 16 clients submit. After a restart every
//! certificate a client received is in the index with identical bytes, no serial appears
//! twice, and every RequestId a client was given still exists (pending requests are neither
//! lost nor duplicated). Repeated five times on the same CA home.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use privca_tests::{bin, openssl_csr, run_in, Server, TestCa};

const CLIENTS: usize = 16;
/// Successful submissions to wait for before pulling the plug.
const KILL_AFTER: usize = 48;

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[derive(Default)]
struct Seen {
    /// (leaf PEM) of every certificate a client received.
    certs: Vec<String>,
    /// Pending request ids a client was given.
    pending: Vec<u64>,
}

fn leaf_of(chain: &str) -> String {
    let end = "-----END CERTIFICATE-----\n";
    let i = chain.find(end).expect("a certificate") + end.len();
    chain[..i].to_string()
}

#[test]
fn kill_9_under_load_loses_nothing() {
    let ca = TestCa::init("ecdsa-p256");
    for (name, approval) in [("AutoIssue", "auto"), ("Manual", "manual")] {
        std::fs::write(
            ca.home.join("profiles").join(format!("{name}.toml")),
            format!(
                "issuer = \"default\"\nkey_usage = [\"digitalSignature\"]\nextended_key_usage = [\"serverAuth\"]\n\
                 approval = \"{approval}\"\nvalidity = {{ default_days = 30, max_days = 30 }}\n"
            ),
        )
        .unwrap();
    }
    let csrs: Vec<(PathBuf, PathBuf)> = (0..CLIENTS)
        .map(|i| {
            let a = openssl_csr(
                ca.dir(),
                &format!("a{i}"),
                "ec",
                &format!("/CN=a{i}.example.com"),
                "",
                false,
            );
            let m = openssl_csr(
                ca.dir(),
                &format!("m{i}"),
                "ec",
                &format!("/CN=m{i}.example.com"),
                "",
                false,
            );
            (a, m)
        })
        .collect();
    let seen = Arc::new(Mutex::new(Seen::default()));
    // What earlier rounds already verified; each round checks what its clients were given.
    let mut checked = (0, 0);
    for round in 0..5 {
        let srv = Server::start(&ca.home, &ca.pass);
        let url = srv.url();
        let ok = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = csrs
            .iter()
            .enumerate()
            .map(|(i, (a, m))| {
                let (a, m, url, ok, seen) = (a.clone(), m.clone(), url.clone(), ok.clone(), seen.clone());
                let dir = ca.dir().to_path_buf();
                let root = s(&ca.issuer_file("default", "root.crt"));
                std::thread::spawn(move || {
                    for n in 0.. {
                        let (template, csr) = if n % 3 == 2 { ("Manual", &m) } else { ("AutoIssue", &a) };
                        let out = format!("r{round}-c{i}-{n}.pem");
                        let r = run_in(
                            &dir,
                            bin("ca-cli"),
                            &[
                                "submit",
                                "--server",
                                &url,
                                "--ca-cert",
                                &root,
                                "--template",
                                template,
                                &s(csr),
                                "--out",
                                &out,
                                "--json",
                            ],
                        );
                        match r.code {
                            0 => {
                                let chain = std::fs::read_to_string(dir.join(&out)).expect("issued chain written");
                                seen.lock().unwrap().certs.push(leaf_of(&chain));
                            }
                            3 => {
                                let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("json");
                                seen.lock().unwrap().pending.push(v["request_id"].as_u64().expect("id"));
                            }
                            _ => return, // the server is gone
                        }
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while ok.load(Ordering::SeqCst) < KILL_AFTER {
            assert!(
                std::time::Instant::now() < deadline,
                "clients made no progress:\n{}",
                srv.log_text()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        srv.kill9();
        for t in threads {
            t.join().unwrap();
        }
        // Restart on the same home: it must come up and agree with what clients were told.
        let srv = Server::start(&ca.home, &ca.pass);
        let (from_cert, from_pending) = checked;
        check(&ca, &srv, &seen.lock().unwrap(), from_cert, from_pending);
        checked = {
            let s = seen.lock().unwrap();
            (s.certs.len(), s.pending.len())
        };
        srv.stop();
    }
    let seen = seen.lock().unwrap();
    assert!(
        seen.certs.len() >= 5 * KILL_AFTER / 2,
        "too few certificates issued: {}",
        seen.certs.len()
    );
}

fn check(ca: &TestCa, srv: &Server, seen: &Seen, from_cert: usize, from_pending: usize) {
    let url = srv.url();
    let cli = |args: &[&str]| {
        let mut v = args.to_vec();
        v.extend(["--server", &url]);
        ca.cli(&v)
    };
    let certs: serde_json::Value = serde_json::from_str(cli(&["certs", "--json"]).ok().trim()).expect("certs --json");
    let serials: Vec<&str> = certs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["serial"].as_str().unwrap())
        .collect();
    let mut uniq = serials.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), serials.len(), "a serial appears twice");
    for pem in &seen.certs[from_cert..] {
        let serial = serial_of(ca, pem);
        assert!(
            serials.contains(&serial.as_str()),
            "certificate {serial} handed to a client is not in the index"
        );
        // Identical bytes: the index's copy is the one the client got.
        let shown: serde_json::Value =
            serde_json::from_str(cli(&["certs", "--serial", &serial, "--json"]).ok().trim()).expect("json");
        assert_eq!(
            shown[0]["certificate"].as_str(),
            Some(pem.as_str()),
            "index bytes differ for {serial}"
        );
    }
    let requests: serde_json::Value =
        serde_json::from_str(cli(&["requests", "list", "--status", "all", "--json"]).ok().trim()).expect("requests");
    let ids: Vec<u64> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request_id"].as_u64().unwrap())
        .collect();
    let mut uniq_ids = ids.clone();
    uniq_ids.sort();
    uniq_ids.dedup();
    assert_eq!(uniq_ids.len(), ids.len(), "a request id appears twice");
    for id in &seen.pending[from_pending..] {
        let r = requests
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["request_id"].as_u64() == Some(*id));
        let r = r.unwrap_or_else(|| panic!("pending request {id} was lost"));
        assert_eq!(r["status"], "pending", "request {id}");
    }
}

fn serial_of(ca: &TestCa, pem: &str) -> String {
    let f = ca.dir().join("probe.pem");
    std::fs::write(&f, pem).unwrap();
    let out = privca_tests::openssl(ca.dir(), &["x509", "-noout", "-serial", "-in", &s(&f)]).ok();
    out.trim().trim_start_matches("serial=").to_string()
}
