//! The demoCA export, checked with the real `openssl ca` and `openssl ocsp`.
//!
//! openssl is required: a missing binary fails these tests rather than skipping them,
//! because an unchecked export is exactly what this test exists to prevent.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use ca_store::democa::export_openssl;
use ca_store::{CertRecord, Revocation};
use x509_parser::pem::parse_x509_pem;

const DAY: i64 = 86_400;

/// Runs openssl in `dir`; panics if it cannot be started.
fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command line tool must be installed to run this test")
}

/// Runs openssl and requires success.
fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let out = openssl(dir, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl {args:?} failed:\n{text}");
    text
}

/// Issues `name.pem` from the test CA with a P-256 key.
fn issue(dir: &Path, name: &str, subject: &str, serial: &str, days: &str) -> CertRecord {
    let (key, csr, pem) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"));
    openssl_ok(
        dir,
        &["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
            .into_iter()
            .chain(["-nodes", "-utf8", "-subj", subject, "-keyout", &key, "-out", &csr])
            .collect::<Vec<_>>(),
    );
    openssl_ok(
        dir,
        &["x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key"]
            .into_iter()
            .chain(["-set_serial", serial, "-days", days, "-out", &pem])
            .collect::<Vec<_>>(),
    );
    record_from_pem(&std::fs::read(dir.join(&pem)).unwrap())
}

/// A CertRecord as the issuance path would store it, taken from the certificate itself.
fn record_from_pem(pem: &[u8]) -> CertRecord {
    let (_, pem) = parse_x509_pem(pem).unwrap();
    let cert = pem.parse_x509().unwrap();
    let validity = cert.validity();
    CertRecord {
        issuer: "default".to_owned(),
        serial: cert.tbs_certificate.raw_serial().to_vec(),
        der: pem.contents.clone(),
        subject: cert.subject().to_string(),
        sans: vec![],
        profile: "server".to_owned(),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        issued_at: validity.not_before.timestamp(),
        request_id: None,
        revocation: None,
    }
}

/// `openssl ca -status` (which prints to stderr and exits 1 even when it found the serial).
fn ca_status(dir: &Path, serial: &str) -> String {
    let out = openssl(dir, &["ca", "-config", "ca.cnf", "-status", serial]);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asks `openssl ocsp` acting as responder over the exported index about `cert`.
fn ocsp_status(dir: &Path, cert: &str) -> String {
    let req = format!("{cert}.req");
    let resp = format!("{cert}.resp");
    openssl_ok(
        dir,
        &["ocsp", "-issuer", "ca.pem", "-cert", cert, "-no_nonce", "-reqout", &req],
    );
    openssl_ok(
        dir,
        &["ocsp", "-index", "export/index.txt", "-CA", "ca.pem"]
            .into_iter()
            .chain([
                "-rsigner", "ca.pem", "-rkey", "ca.key", "-reqin", &req, "-respout", &resp,
            ])
            .collect::<Vec<_>>(),
    );
    openssl_ok(
        dir,
        &["ocsp", "-respin", &resp, "-issuer", "ca.pem", "-cert", cert]
            .into_iter()
            .chain(["-CAfile", "ca.pem", "-no_nonce", "-resp_text"])
            .collect::<Vec<_>>(),
    )
}

#[test]
fn openssl_reads_the_exported_democa() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    openssl_ok(
        dir,
        &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
            .into_iter()
            .chain(["-nodes", "-subj", "/CN=Test CA", "-days", "30", "-keyout", "ca.key"])
            .chain(["-out", "ca.pem"])
            .collect::<Vec<_>>(),
    );

    let valid = issue(dir, "valid", "/C=GB/O=Example/CN=www.example.com", "1", "30");
    let mut revoked = issue(dir, "revoked", "/DC=com/DC=example/CN=Jos\\/é", "0x8F0102", "30");
    revoked.revocation = Some(Revocation {
        time: now - DAY,
        reason: 1,
        invalidity_date: None,
    });
    let mut compromised = issue(dir, "compromised", "/CN=old.example.com", "0x0B", "30");
    compromised.revocation = Some(Revocation {
        time: now - DAY,
        reason: 1,
        invalidity_date: Some(now - 3 * DAY),
    });
    let long = issue(dir, "long", "/CN=long.example.com", "0x0A", "20000");
    let short = issue(dir, "short", "/CN=short.example.com", "0x0C", "1");
    assert_eq!(
        revoked.serial,
        vec![0x00, 0x8F, 0x01, 0x02],
        "high-bit serial keeps its sign byte"
    );

    // Two days on, the one-day certificate has expired.
    let records = [valid, revoked, compromised, long, short];
    let export = dir.join("export");
    export_openssl(&records, now + 2 * DAY, None, &export).unwrap();

    let index = std::fs::read_to_string(export.join("index.txt")).unwrap();
    let rows: Vec<Vec<&str>> = index.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 5, "{index}");
    assert!(rows.iter().all(|r| r.len() == 6 && r[4] == "unknown"), "{index}");
    assert_eq!(rows[0][0], "V");
    assert_eq!(rows[0][5], "/C=GB/O=Example/CN=www.example.com");
    assert_eq!(rows[1][0], "R");
    assert_eq!(rows[1][3], "8F0102");
    assert_eq!(rows[1][5], "/DC=com/DC=example/CN=Jos\\/\\xC3\\xA9");
    assert!(rows[1][2].ends_with("Z,keyCompromise"), "{}", rows[1][2]);
    assert!(rows[2][2].contains("Z,keyTime,20"), "{}", rows[2][2]);
    assert_eq!(
        rows[3][1].len(),
        15,
        "a post-2050 expiry is GeneralizedTime: {}",
        rows[3][1]
    );
    assert_eq!(rows[0][1].len(), 13, "UTCTime before 2050: {}", rows[0][1]);
    assert_eq!(rows[4][0], "E");
    assert_eq!(std::fs::read_to_string(export.join("serial")).unwrap(), "8F0103\n");
    assert_eq!(
        std::fs::read_to_string(export.join("index.txt.attr")).unwrap(),
        "unique_subject = no\n"
    );
    // newcerts/ holds the certificates exactly as openssl wrote them.
    let original = std::fs::read(dir.join("revoked.pem")).unwrap();
    assert_eq!(std::fs::read(export.join("newcerts/8F0102.pem")).unwrap(), original);

    let config = format!(
        "[ca]\ndefault_ca = CA_default\n[CA_default]\ndir = {}\ndatabase = $dir/index.txt\n\
         new_certs_dir = $dir/newcerts\nserial = $dir/serial\ncertificate = {}\n\
         private_key = {}\n",
        export.display(),
        dir.join("ca.pem").display(),
        dir.join("ca.key").display()
    );
    std::fs::write(dir.join("ca.cnf"), config).unwrap();
    for (serial, expected) in [
        ("01", "01=Valid"),
        ("8F0102", "8F0102=Revoked"),
        ("0B", "0B=Revoked"),
        ("0A", "0A=Valid"),
        ("0C", "0C=Expired"),
    ] {
        let status = ca_status(dir, serial);
        assert!(status.contains(expected), "-status {serial}: {status}");
    }

    let good = ocsp_status(dir, "valid.pem");
    assert!(good.contains("valid.pem: good"), "{good}");
    let bad = ocsp_status(dir, "revoked.pem");
    assert!(bad.contains("revoked.pem: revoked"), "{bad}");
    assert!(bad.contains("Reason: keyCompromise"), "{bad}");
    let key_time = ocsp_status(dir, "compromised.pem");
    assert!(key_time.contains("compromised.pem: revoked"), "{key_time}");
    assert!(key_time.contains("Invalidity Date"), "{key_time}");
    assert!(key_time.contains("Reason: keyCompromise"), "{key_time}");
}

#[test]
fn repeated_serial_is_refused_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = CertRecord {
        issuer: "default".to_owned(),
        serial: vec![0x01],
        der: vec![],
        subject: String::new(),
        sans: vec![],
        profile: String::new(),
        not_before: 0,
        not_after: 0,
        issued_at: 0,
        request_id: None,
        revocation: None,
    };
    let other = CertRecord {
        issuer: "other".to_owned(),
        serial: vec![0x00, 0x01],
        ..rec.clone()
    };
    let out = tmp.path().join("export");
    let result = export_openssl(&[rec, other], 0, None, &out);
    assert!(
        matches!(result, Err(ca_store::StoreError::DuplicateSerial { .. })),
        "{result:?}"
    );
    assert!(!out.exists());
}
