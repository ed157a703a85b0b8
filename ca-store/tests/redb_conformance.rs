//! The certificate index conformance suite, plus persistence checks, against RedbIndex.

use std::sync::atomic::{AtomicUsize, Ordering};

use ca_store::{conformance, CertFilter, CertIndex, CertRecord, RedbIndex, Revocation, StoreError};

fn record(issuer: &str, serial: &[u8], issued_at: i64) -> CertRecord {
    CertRecord {
        issuer: issuer.to_owned(),
        serial: serial.to_vec(),
        der: vec![0x30, 0x00],
        subject: "CN=persist.example.com".to_owned(),
        sans: vec!["DNS:persist.example.com".to_owned()],
        profile: "server".to_owned(),
        not_before: issued_at,
        not_after: issued_at + 86_400,
        issued_at,
        request_id: None,
        revocation: None,
    }
}

#[test]
fn redb_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    let make = || -> Box<dyn CertIndex> {
        let path = dir.path().join(format!("{}.redb", n.fetch_add(1, Ordering::Relaxed)));
        Box::new(RedbIndex::open(&path).unwrap())
    };
    conformance::run_all(&make);
}

#[test]
fn reopen_keeps_records_and_counters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.redb");
    let revoked = Revocation {
        time: 50,
        reason: 1,
        invalidity_date: Some(40),
    };
    {
        let index = RedbIndex::open(&path).unwrap();
        index.insert_issued(record("default", &[0x01], 10)).unwrap();
        index.insert_issued(record("other", &[0x01], 20)).unwrap();
        index.set_revocation("default", &[0x01], Some(revoked.clone())).unwrap();
        assert_eq!(index.next_sequential_serial("default", 100).unwrap(), 100);
        assert_eq!(index.next_sequential_serial("default", 100).unwrap(), 101);
    }
    let index = RedbIndex::open(&path).unwrap();
    assert_eq!(index.count().unwrap(), 2);
    let rec = index.get("default", &[0x01]).unwrap().unwrap();
    assert_eq!(rec.revocation, Some(revoked));
    assert_eq!(index.find_serial(&[0x01]).unwrap().len(), 2);
    assert_eq!(index.list(&CertFilter::default()).unwrap().len(), 2);
    // The counter continues; 100 and 101 are never handed out again.
    assert_eq!(index.next_sequential_serial("default", 100).unwrap(), 102);
    let dup = index.insert_issued(record("other", &[0x00, 0x01], 30));
    assert!(matches!(dup, Err(StoreError::DuplicateSerial { .. })), "{dup:?}");
}

#[test]
fn second_open_of_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.redb");
    let _first = RedbIndex::open(&path).unwrap();
    let second = RedbIndex::open(&path);
    assert!(matches!(second, Err(StoreError::Database(_))), "{second:?}");
}

#[test]
fn issuer_with_nul_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let index = RedbIndex::open(&dir.path().join("index.redb")).unwrap();
    let result = index.insert_issued(record("a\0b", &[0x01], 1));
    assert!(matches!(result, Err(StoreError::InvalidIssuer { .. })), "{result:?}");
    assert_eq!(index.count().unwrap(), 0);
}
