//! Issue 6 fault test: `kill -9` of the daemon while 8 ACME clients run whole orders. ACME
//! orders, authorizations and used nonces are committed without an fsync of their own; after
//! a restart every certificate a client downloaded must still be in the index with identical
//! bytes, no serial appears twice, and the accounts made before the crash (committed durably)
//! still place orders that end in a certificate. Three rounds on the same CA home.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "acme_raw.rs"]
mod acme_raw;

use acme_raw::{b64u, pem_blocks, Account, Acme};
use privca_tests::{openssl, openssl_csr, Server, TestCa};
use serde_json::json;

const CLIENTS: usize = 8;
/// Certificates to wait for before pulling the plug, per round.
const KILL_AFTER: usize = 24;

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// One whole order for `name` with a prepared CSR (base64url DER); the leaf, DER.
fn order(acme: &Acme, acct: &Account, name: &str, csr: &str) -> Vec<u8> {
    let r = acme.new_order(acct, &[name]);
    r.expect(201);
    let order_url = r.location();
    acme.validate_all(acct, &r.json());
    let order = acme.poll_order(acct, &order_url, "pending");
    acme.post_as(acct, order["finalize"].as_str().unwrap(), &json!({"csr": csr}))
        .expect(200);
    let order = acme.poll_order(acct, &order_url, "processing");
    assert_eq!(order["status"], "valid", "{order}");
    let chain = acme.get_as(acct, order["certificate"].as_str().unwrap()).text();
    pem_blocks(&chain, "CERTIFICATE").remove(0)
}

#[test]
fn kill_9_during_acme_orders_loses_no_certificate_or_account() {
    let ca = TestCa::init("ecdsa-p256");
    let toml = ca.home.join("ca.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str("\n[acme.crash]\ntemplate = \"WebServer\"\nvalidation = \"always-valid\"\n");
    std::fs::write(&toml, text).unwrap();
    let root = ca.issuer_file("default", "root.crt");
    let csrs: Vec<String> = (0..CLIENTS)
        .map(|i| {
            let name = format!("c{i}.crash.example.com");
            let p = openssl_csr(
                ca.dir(),
                &format!("c{i}"),
                "ec",
                &format!("/CN={name}"),
                &format!("DNS:{name}"),
                true,
            );
            b64u(std::fs::read(p).unwrap())
        })
        .collect();

    let mut accounts: Vec<Option<Arc<Account>>> = (0..CLIENTS).map(|_| None).collect();
    let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    for round in 0..3 {
        let srv = Server::start(&ca.home, &ca.pass);
        let acme = Acme::new(&srv.url(), "crash", &root);
        // Accounts from earlier rounds survived the crash: they work without re-registering.
        for slot in accounts.iter_mut() {
            if slot.is_none() {
                *slot = Some(Arc::new(acme.register()));
            }
        }
        let done = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = accounts
            .iter()
            .enumerate()
            .map(|(i, acct)| {
                let acct = acct.clone().unwrap();
                let (url, root, csr) = (srv.url(), root.clone(), csrs[i].clone());
                let (done, stop, seen) = (done.clone(), stop.clone(), seen.clone());
                std::thread::spawn(move || {
                    let acme = Acme::new(&url, "crash", &root);
                    let name = format!("c{i}.crash.example.com");
                    while !stop.load(Ordering::SeqCst) {
                        // The daemon dies mid-request: the client's panic ends this client.
                        match catch_unwind(AssertUnwindSafe(|| order(&acme, &acct, &name, &csr))) {
                            Ok(leaf) => {
                                seen.lock().unwrap().push(leaf);
                                done.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(120);
        while done.load(Ordering::SeqCst) < KILL_AFTER {
            assert!(
                Instant::now() < deadline,
                "round {round}: no progress:\n{}",
                srv.log_text()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        srv.kill9();
        stop.store(true, Ordering::SeqCst);
        for t in threads {
            let _ = t.join();
        }

        // Restart: every downloaded certificate is in the index, byte for byte, once.
        let srv = Server::start(&ca.home, &ca.pass);
        let url = srv.url();
        let cli = |args: &[&str]| {
            let mut v = args.to_vec();
            v.extend(["--server", &url]);
            ca.cli(&v)
        };
        let certs: serde_json::Value = serde_json::from_str(cli(&["certs", "--json"]).ok().trim()).unwrap();
        let serials: Vec<String> = certs
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["serial"].as_str().unwrap().to_string())
            .collect();
        let mut uniq = serials.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), serials.len(), "a serial appears twice");
        for der in seen.lock().unwrap().iter() {
            let f = ca.dir().join("probe.der");
            std::fs::write(&f, der).unwrap();
            let serial = openssl(
                ca.dir(),
                &["x509", "-inform", "DER", "-noout", "-serial", "-in", &s(&f)],
            )
            .ok();
            let serial = serial.trim().trim_start_matches("serial=").to_string();
            assert!(
                serials.contains(&serial),
                "downloaded certificate {serial} is not in the index"
            );
            let shown: serde_json::Value =
                serde_json::from_str(cli(&["certs", "--serial", &serial, "--json"]).ok().trim()).unwrap();
            let stored = pem_blocks(shown[0]["certificate"].as_str().unwrap(), "CERTIFICATE").remove(0);
            assert_eq!(&stored, der, "bytes differ for {serial}");
        }
        // The accounts (durable) still order and get certificates after the crash.
        let acme = Acme::new(&url, "crash", &root);
        let acct = accounts[round].as_ref().unwrap();
        let leaf = order(&acme, acct, &format!("c{round}.crash.example.com"), &csrs[round]);
        seen.lock().unwrap().push(leaf);
        srv.stop();
    }
    assert!(seen.lock().unwrap().len() >= 3 * KILL_AFTER);
}
