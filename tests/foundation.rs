//! Issue 2 end to end: `ca-cli init`, offline issuance with every shipped template, refusals,
//! listing and the demoCA export, checked with openssl and pkilint.
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use privca_tests::{openssl, openssl_csr, pkilint, TestCa};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `openssl verify -x509_strict` of `cert` against the issuer's root and intermediate.
fn verify(ca: &TestCa, issuer: &str, cert: &Path, purpose: Option<&str>) {
    let root = s(&ca.issuer_file(issuer, "root.crt"));
    let int = s(&ca.issuer_file(issuer, "intermediate.crt"));
    let cert = s(cert);
    let mut args = vec!["verify", "-x509_strict", "-CAfile", &root, "-untrusted", &int];
    if let Some(p) = purpose {
        args.extend(["-purpose", p]);
    }
    args.push(&cert);
    let out = openssl(ca.dir(), &args).ok();
    assert!(out.trim().ends_with(": OK"), "{out}");
}

fn lint_clean(ca: &TestCa, cert: &Path) {
    let findings = pkilint(ca.dir(), "lint_pkix_cert", &["lint", "-s", "WARNING", &s(cert)]);
    assert!(
        findings.is_empty(),
        "pkilint findings for {}:\n{findings}",
        cert.display()
    );
}

fn lint_chain_clean(ca: &TestCa, issuer: &Path, cert: &Path) {
    let findings = pkilint(
        ca.dir(),
        "lint_pkix_signer_signee_cert_chain",
        &["lint", &s(issuer), &s(cert)],
    );
    assert!(
        findings.is_empty(),
        "pkilint chain findings {} -> {}:\n{findings}",
        issuer.display(),
        cert.display()
    );
}

fn text(ca: &TestCa, cert: &Path) -> String {
    openssl(ca.dir(), &["x509", "-noout", "-text", "-in", &s(cert)]).ok()
}

fn issue(ca: &TestCa, profile: &str, csr: &Path, out: &str) -> privca_tests::Run {
    ca.cli(&["issue", "--profile", profile, "--csr", &s(csr), "--out", out])
}

fn init_checks(key_type: &str) {
    let ca = TestCa::init(key_type);
    let root = ca.issuer_file("default", "root.crt");
    let int = ca.issuer_file("default", "intermediate.crt");
    for key in ["root.key", "intermediate.key"] {
        let path = ca.issuer_file("default", key);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{key} mode"
        );
        let asn1 = openssl(ca.dir(), &["asn1parse", "-in", &s(&path)]).ok();
        for alg in ["PBES2", "PBKDF2", "hmacWithSHA256", "aes-256-cbc"] {
            assert!(asn1.contains(alg), "{key} is not encrypted with {alg}:\n{asn1}");
        }
        // openssl decrypts what we encrypted.
        let pass = format!("file:{}", s(&ca.pass));
        openssl(ca.dir(), &["pkey", "-in", &s(&path), "-passin", &pass, "-noout"]).ok();
    }
    let root_text = text(&ca, &root);
    assert!(
        root_text.contains("CA:TRUE") && root_text.contains("Certificate Sign, CRL Sign"),
        "{root_text}"
    );
    assert!(
        root_text.contains("Subject: O = privca tests, CN = Test Root CA"),
        "{root_text}"
    );
    let int_text = text(&ca, &int);
    assert!(int_text.contains("CA:TRUE, pathlen:0"), "{int_text}");
    assert!(int_text.contains("X509v3 Authority Key Identifier"), "{int_text}");
    let v = openssl(ca.dir(), &["verify", "-x509_strict", "-CAfile", &s(&root), &s(&int)]).ok();
    assert!(v.contains(": OK"));
    lint_clean(&ca, &root);
    lint_clean(&ca, &int);
    lint_chain_clean(&ca, &root, &int);
    // A leaf from this issuer verifies and lints too.
    let csr = openssl_csr(ca.dir(), "leaf", "ec", "/CN=www.example.com", "", false);
    issue(&ca, "WebServer", &csr, "leaf.pem").ok();
    let leaf = ca.dir().join("leaf.pem");
    verify(&ca, "default", &leaf, Some("sslserver"));
    lint_clean(&ca, &leaf);
    lint_chain_clean(&ca, &int, &leaf);
    // A second init over the same home is refused and changes nothing.
    let before = std::fs::read(&root).unwrap();
    let err = ca.cli(&["init"]).fails();
    assert!(
        err.contains("already holds a CA home; refusing to overwrite it"),
        "{err}"
    );
    assert_eq!(std::fs::read(&root).unwrap(), before);
}

#[test]
fn init_ecdsa_p256() {
    init_checks("ecdsa-p256");
}
#[test]
fn init_ecdsa_p384() {
    init_checks("ecdsa-p384");
}
#[test]
fn init_rsa_2048() {
    init_checks("rsa-2048");
}
#[test]
fn init_rsa_3072() {
    init_checks("rsa-3072");
}
#[test]
fn init_rsa_4096() {
    init_checks("rsa-4096");
}
#[test]
fn init_ed25519() {
    init_checks("ed25519");
}

#[test]
fn openssl_csrs_in_every_form() {
    let ca = TestCa::init("ecdsa-p256");
    let before = ca.index_count();
    let mut n = 0;
    for alg in ["rsa", "ec"] {
        for der in [false, true] {
            for sans in ["", "DNS:alt.example.com,IP:192.168.1.25"] {
                n += 1;
                let name = format!("c{n}");
                let csr = openssl_csr(ca.dir(), &name, alg, "/C=GB/O=Example/CN=www.example.com", sans, der);
                let out = format!("{name}.pem");
                issue(&ca, "WebServer", &csr, &out).ok();
                let cert = ca.dir().join(&out);
                verify(&ca, "default", &cert, Some("sslserver"));
                let t = text(&ca, &cert);
                let want_san = if sans.is_empty() {
                    "DNS:www.example.com".to_string()
                } else {
                    "DNS:www.example.com, DNS:alt.example.com, IP Address:192.168.1.25".to_string()
                };
                assert!(t.contains(&want_san), "CN must be in the SAN list: {t}");
                let ku = if alg == "rsa" {
                    "Digital Signature, Key Encipherment"
                } else {
                    "Digital Signature\n"
                };
                assert!(t.contains(ku), "{alg} KU: {t}");
                lint_clean(&ca, &cert);
            }
        }
    }
    assert_eq!(ca.index_count(), before + n);
}

/// template, openssl subject, SANs, openssl purpose, issuer, signed by root
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    bool,
);

const PROFILES: &[Case] = &[
    (
        "WebServer",
        "/O=Example/CN=web.example.com",
        "DNS:www.example.com",
        Some("sslserver"),
        "default",
        false,
    ),
    (
        "Webclientandserver",
        "/CN=vcs.example.com",
        "DNS:vcs2.example.com",
        Some("sslclient"),
        "default",
        false,
    ),
    (
        "Computer",
        "/CN=host1.example.com",
        "",
        Some("sslserver"),
        "default",
        false,
    ),
    (
        "callbridge",
        "/O=Example Inc./CN=callbridge.example.com",
        "DNS:join.example.com,IP:192.168.1.25",
        Some("sslclient"),
        "default",
        false,
    ),
    (
        "dbserver",
        "/CN=server.db.example.com",
        "DNS:server02.db.example.com",
        Some("sslserver"),
        "db",
        false,
    ),
    ("postgres-client", "/CN=postgres", "", Some("sslclient"), "db", false),
    (
        "subordinate-ca",
        "/O=Example/CN=Example Sub CA",
        "",
        None,
        "default",
        true,
    ),
    ("ocsp-signer", "/CN=privca OCSP Responder", "", None, "default", false),
    (
        "admin",
        "/O=Example/CN=Alice Admin",
        "email:alice@example.com",
        Some("sslclient"),
        "default",
        false,
    ),
];

#[test]
fn every_shipped_template_issues_what_it_promises() {
    let ca = TestCa::init("ecdsa-p256");
    // The database-cluster templates sign with a dedicated issuer (guide 004 3.1.4 CAUTION).
    let csr = openssl_csr(ca.dir(), "db0", "ec", "/CN=server.db.example.com", "", false);
    let err = issue(&ca, "dbserver", &csr, "db0.pem").fails();
    assert!(
        err.contains("this CA home has no issuer db") && err.contains("ca-cli issuer create db"),
        "{err}"
    );
    ca.cli(&[
        "issuer",
        "create",
        "db",
        "--subject",
        "CN=Database Cluster Root CA,O=Example",
    ])
    .ok();
    let listing = ca.cli(&["issuer", "list"]).ok();
    assert!(listing.contains("db\t") && listing.contains("default\t"), "{listing}");

    let bless = std::env::var_os("PRIVCA_BLESS").is_some();
    for (template, subj, sans, purpose, issuer, by_root) in PROFILES {
        let csr = openssl_csr(ca.dir(), template, "ec", subj, sans, false);
        let out = format!("{template}.pem");
        issue(&ca, template, &csr, &out).ok();
        let cert = ca.dir().join(&out);
        let root = ca.issuer_file(issuer, "root.crt");
        if *by_root {
            let v = openssl(ca.dir(), &["verify", "-x509_strict", "-CAfile", &s(&root), &s(&cert)]).ok();
            assert!(v.contains(": OK"), "{v}");
            lint_chain_clean(&ca, &root, &cert);
        } else {
            verify(&ca, issuer, &cert, *purpose);
            lint_chain_clean(&ca, &ca.issuer_file(issuer, "intermediate.crt"), &cert);
        }
        lint_clean(&ca, &cert);
        // Golden output: the extensions a template promises.
        let ext = openssl(
            ca.dir(),
            &[
                "x509",
                "-noout",
                "-ext",
                "basicConstraints,keyUsage,extendedKeyUsage,subjectAltName",
                "-in",
                &s(&cert),
            ],
        )
        .ok();
        let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("golden")
            .join(format!("{template}.txt"));
        if bless {
            std::fs::write(&golden, &ext).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| panic!("missing {}", golden.display()));
        assert_eq!(
            ext,
            want,
            "template {template} extensions differ from {}",
            golden.display()
        );
    }
    // The ocsp-signer carries id-pkix-ocsp-nocheck.
    let t = text(&ca, &ca.dir().join("ocsp-signer.pem"));
    assert!(t.contains("OCSP No Check"), "{t}");
}

#[test]
fn refusals_name_the_problem_and_store_nothing() {
    let ca = TestCa::init("ecdsa-p256");
    std::fs::write(
        ca.home.join("profiles/Restricted.toml"),
        "issuer = \"default\"\nkey_usage = [\"digitalSignature\"]\nextended_key_usage = [\"serverAuth\"]\n\
         validity = { default_days = 30, max_days = 90 }\n[san]\ndns_suffixes = [\"example.com\"]\n",
    )
    .unwrap();
    let good = openssl_csr(ca.dir(), "good", "ec", "/CN=www.example.com", "", false);
    issue(&ca, "WebServer", &good, "good.pem").ok();
    let count = ca.index_count();

    let evil = openssl_csr(
        ca.dir(),
        "evil",
        "ec",
        "/CN=www.example.com",
        "DNS:evil.example.org",
        false,
    );
    let err = issue(&ca, "Restricted", &evil, "x.pem").fails();
    assert!(
        err.contains("SAN evil.example.org is not under allowed suffixes [example.com] of profile Restricted"),
        "{err}"
    );

    let weak = openssl_csr(ca.dir(), "weak", "rsa1024", "/CN=www.example.com", "", false);
    let err = issue(&ca, "WebServer", &weak, "x.pem").fails();
    assert!(err.contains("RSA key of 1024 bits is below the 2048 minimum"), "{err}");

    let pg = openssl_csr(ca.dir(), "pg", "ec", "/CN=admin", "", false);
    assert_eq!(ca.index_count(), count, "refused requests must store nothing");
    ca.cli(&["issuer", "create", "db"]).ok();
    // The new issuer's intermediate is indexed (its root signed it), and nothing else.
    let count = count + 1;
    assert_eq!(ca.index_count(), count);
    let err = issue(&ca, "postgres-client", &pg, "x.pem").fails();
    assert!(err.contains("profile postgres-client requires CN=postgres"), "{err}");

    // A CSR whose signature no longer matches its contents.
    let der = openssl_csr(ca.dir(), "tamper", "ec", "/CN=www.example.com", "", true);
    let mut bytes = std::fs::read(&der).unwrap();
    let pos = bytes.windows(3).position(|w| w == b"www").unwrap();
    bytes[pos] = b'v';
    std::fs::write(&der, bytes).unwrap();
    let err = issue(&ca, "WebServer", &der, "x.pem").fails();
    assert!(err.contains("CSR signature does not verify"), "{err}");

    std::fs::write(
        ca.dir().join("junk.csr"),
        "-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----\n",
    )
    .unwrap();
    let err = issue(&ca, "WebServer", &ca.dir().join("junk.csr"), "x.pem").fails();
    assert!(
        err.contains("CSR is neither PEM nor DER") || err.contains("damaged"),
        "{err}"
    );

    let err = issue(&ca, "NoSuchTemplate", &good, "x.pem").fails();
    assert!(err.contains("unknown profile NoSuchTemplate"), "{err}");

    assert_eq!(ca.index_count(), count, "refused requests must store nothing");
    assert!(!ca.dir().join("x.pem").exists());
}

#[test]
fn a_csr_asking_for_a_ca_gets_a_leaf() {
    let ca = TestCa::init("ecdsa-p256");
    let csr = ca.dir().join("ca.csr");
    openssl(
        ca.dir(),
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-subj",
            "/CN=www.example.com",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            &s(&csr),
        ],
    )
    .ok();
    issue(&ca, "WebServer", &csr, "leaf.pem").ok();
    let t = text(&ca, &ca.dir().join("leaf.pem"));
    assert!(t.contains("CA:FALSE") && !t.contains("Certificate Sign"), "{t}");
}

#[test]
fn bad_template_files_are_refused_naming_file_and_field() {
    let ca = TestCa::init("ecdsa-p256");
    let bad = ca.home.join("profiles/Bad.toml");
    std::fs::write(&bad, "issuer = \"default\"\nkey_usage = [\"digitalSignature\"]\ncolour = \"red\"\nvalidity = { default_days = 1, max_days = 2 }\n").unwrap();
    let err = ca.cli(&["profiles"]).fails();
    assert!(err.contains("Bad.toml: unknown field `colour`"), "{err}");
    std::fs::write(&bad, "issuer = \"default\"\nkey_usage = [\"digitalSignature\", \"keyCertSign\"]\nvalidity = { default_days = 1, max_days = 2 }\n").unwrap();
    let err = ca.cli(&["profiles"]).fails();
    assert!(
        err.contains("Bad.toml: field key_usage: keyCertSign and cRLSign are for CA profiles only"),
        "{err}"
    );
    std::fs::remove_file(&bad).unwrap();
    let out = ca.cli(&["profiles"]).ok();
    assert!(out.contains("WebServer") && out.contains("postgres-client"), "{out}");
}

#[test]
fn repeated_attributes_in_issuer_names_stay_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, privca_tests::PASSPHRASE).unwrap();
    let home = tmp.path().join("home");
    let cli = privca_tests::bin("ca-cli");
    let r = privca_tests::run_in(
        tmp.path(),
        &cli,
        &[
            "init",
            "--home",
            &s(&home),
            "--passphrase-file",
            &s(&pass),
            "--subject",
            "CN=Corp Root,DC=example,DC=com",
            "--intermediate-subject",
            "CN=Corp Issuing,DC=example,DC=com",
        ],
    );
    r.ok();
    let csr = openssl_csr(tmp.path(), "leaf", "ec", "/CN=www.example.com", "", false);
    privca_tests::run_in(
        tmp.path(),
        &cli,
        &[
            "issue",
            "--home",
            &s(&home),
            "--passphrase-file",
            &s(&pass),
            "--profile",
            "WebServer",
            "--csr",
            &s(&csr),
            "--out",
            "leaf.pem",
        ],
    )
    .ok();
    let int = home.join("issuers/default/intermediate.crt");
    let subject = openssl(tmp.path(), &["x509", "-noout", "-subject", "-in", &s(&int)]).ok();
    assert_eq!(subject.trim(), "subject=DC = com, DC = example, CN = Corp Issuing");
    let issuer = openssl(tmp.path(), &["x509", "-noout", "-issuer", "-in", "leaf.pem"]).ok();
    assert_eq!(issuer.trim(), "issuer=DC = com, DC = example, CN = Corp Issuing");
    let v = openssl(
        tmp.path(),
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            &s(&home.join("issuers/default/root.crt")),
            "-untrusted",
            &s(&int),
            "leaf.pem",
        ],
    )
    .ok();
    assert!(v.contains("leaf.pem: OK"), "{v}");
}

#[test]
fn chain_list_show_and_democa_export() {
    let ca = TestCa::init("ecdsa-p256");
    let csr = openssl_csr(ca.dir(), "a", "ec", "/CN=a.example.com", "", false);
    let out = ca
        .cli(&[
            "issue",
            "--profile",
            "WebServer",
            "--csr",
            &s(&csr),
            "--out",
            "a.pem",
            "--chain-out",
            "a-chain.pem",
        ])
        .ok();
    let serial = out.split_whitespace().nth(2).expect("serial in output").to_string();
    // Chain: leaf first, root last, no blank lines, one trailing newline (guide 004 1.2.4).
    let chain = std::fs::read_to_string(ca.dir().join("a-chain.pem")).unwrap();
    assert_eq!(chain.matches("-----BEGIN CERTIFICATE-----").count(), 3);
    assert!(!chain.contains("\n\n") && chain.ends_with("-----END CERTIFICATE-----\n"));
    let leaf = std::fs::read_to_string(ca.dir().join("a.pem")).unwrap();
    let root = std::fs::read_to_string(ca.issuer_file("default", "root.crt")).unwrap();
    assert!(chain.starts_with(&leaf) && chain.ends_with(&root));

    let list = ca.cli(&["list"]).ok();
    assert!(
        list.contains(&serial) && list.contains("valid") && list.contains("CN=a.example.com"),
        "{list}"
    );
    assert!(ca.cli(&["list", "--expiring-within", "400d"]).ok().contains(&serial));
    assert!(!ca.cli(&["list", "--expiring-within", "30d"]).ok().contains(&serial));
    assert!(!ca.cli(&["list", "--status", "revoked"]).ok().contains(&serial));
    let show = ca.cli(&["show", &serial]).ok();
    assert!(
        show.contains("Subject:     CN=a.example.com") && show.contains("Profile:     WebServer"),
        "{show}"
    );
    let err = ca.cli(&["show", "ABCDEF"]).fails();
    assert!(err.contains("no certificate with serial ABCDEF"), "{err}");

    // demoCA export read by `openssl ca -status`.
    let export = ca.dir().join("demoCA");
    ca.cli(&["index", "export", "--openssl", &s(&export)]).ok();
    let conf = ca.dir().join("openssl.cnf");
    std::fs::write(
        &conf,
        format!(
            "[ca]\ndefault_ca = CA_default\n[CA_default]\ndir = {d}\ndatabase = $dir/index.txt\nserial = $dir/serial\n\
             new_certs_dir = $dir/newcerts\ncertificate = $dir/cacert.pem\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
            d = s(&export)
        ),
    )
    .unwrap();
    let r = openssl(ca.dir(), &["ca", "-config", &s(&conf), "-status", &serial]);
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains(&format!("{serial}=Valid (V)")),
        "{r:?}"
    );
    let idx = std::fs::read_to_string(export.join("index.txt")).unwrap();
    assert!(idx.starts_with("V\t") && idx.contains("/CN=a.example.com"), "{idx}");
    assert!(export.join("newcerts").join(format!("{serial}.pem")).exists());
}

#[test]
fn sequential_serials_start_at_the_configured_value() {
    let ca = TestCa::init("ecdsa-p256");
    let cfg_path = ca.home.join("ca.toml");
    let cfg = std::fs::read_to_string(&cfg_path).unwrap();
    std::fs::write(
        &cfg_path,
        cfg.replace("serial = \"random\"", "serial = \"sequential\"")
            .replace("serial_start = \"1000\"", "serial_start = \"0A00\""),
    )
    .unwrap();
    for (i, want) in ["0A00", "0A01", "0A02"].iter().enumerate() {
        let csr = openssl_csr(
            ca.dir(),
            &format!("s{i}"),
            "ec",
            &format!("/CN=s{i}.example.com"),
            "",
            false,
        );
        issue(&ca, "WebServer", &csr, &format!("s{i}.pem")).ok();
        let serial = openssl(ca.dir(), &["x509", "-noout", "-serial", "-in", &format!("s{i}.pem")]).ok();
        assert_eq!(serial.trim(), format!("serial={want}"));
    }
}

#[test]
fn offline_revoke_hold_and_release() {
    let ca = TestCa::init("ecdsa-p256");
    let csr = openssl_csr(ca.dir(), "r", "ec", "/CN=r.example.com", "", false);
    let out = issue(&ca, "WebServer", &csr, "r.pem").ok();
    let serial = out.split_whitespace().nth(2).unwrap().to_string();
    let err = ca.cli(&["revoke", "ABCDEF01", "--reason", "keyCompromise"]).fails();
    assert!(err.contains("no certificate with serial ABCDEF01"), "{err}");
    let err = ca.cli(&["revoke", &serial, "--reason", "bogus"]).fails();
    assert!(err.contains("unknown revocation reason \"bogus\""), "{err}");
    ca.cli(&["issuer", "create", "db"]).ok();
    let err = ca
        .cli(&["revoke", &serial, "--issuer", "db", "--reason", "keyCompromise"])
        .fails();
    assert!(err.contains("was not issued by issuer db"), "{err}");
    let err = ca.cli(&["unrevoke", &serial]).fails();
    assert!(err.contains("is not revoked"), "{err}");

    ca.cli(&[
        "revoke",
        &serial,
        "--reason",
        "certificateHold",
        "--time",
        "2026-01-02T03:04:05Z",
    ])
    .ok();
    let v: serde_json::Value = serde_json::from_str(&ca.cli(&["show", &serial, "--json"]).ok()).unwrap();
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["revocation"]["time"], "2026-01-02 03:04:05Z");
    assert_eq!(v["revocation"]["reason"], 6);
    ca.cli(&["unrevoke", &serial]).ok();
    assert!(ca.cli(&["list", "--status", "valid"]).ok().contains(&serial));
    ca.cli(&["revoke", &serial, "--reason", "keyCompromise"]).ok();
    let err = ca.cli(&["revoke", &serial, "--reason", "superseded"]).fails();
    assert!(err.contains("is already revoked"), "{err}");
    let err = ca.cli(&["unrevoke", &serial]).fails();
    assert!(err.contains("only a certificateHold can be released"), "{err}");
    assert!(ca.cli(&["list", "--status", "revoked"]).ok().contains(&serial));
}
