//! The store conformance suite, plus persistence and audit tamper checks, against RedbIndex.

use std::sync::atomic::{AtomicUsize, Ordering};

use ca_store::audit::GENESIS_HASH;
use ca_store::conformance::Backend;
use ca_store::{conformance, Actor, AuditEvent, AuditLog, CertFilter, CertIndex, CertRecord, ChainReport};
use ca_store::{CommitMode, RedbIndex, Revocation, StoreError};

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
    let make = || -> Box<dyn Backend> {
        let path = dir.path().join(format!("{}.redb", n.fetch_add(1, Ordering::Relaxed)));
        Box::new(RedbIndex::open(&path).unwrap())
    };
    conformance::run_all(&make);
}

#[test]
fn redb_passes_reopen_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.redb");
    conformance::run_reopen(&|| -> Box<dyn Backend> { Box::new(RedbIndex::open(&path).unwrap()) });
}

/// `[store] commit = "checksum"` is the same store with one fsync per commit: same contract.
#[test]
fn redb_checksum_commits_pass_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    let make = || -> Box<dyn Backend> {
        let path = dir.path().join(format!("{}.redb", n.fetch_add(1, Ordering::Relaxed)));
        Box::new(RedbIndex::open_with(&path, CommitMode::Checksum).unwrap())
    };
    conformance::run_all(&make);
    let path = dir.path().join("reopen.redb");
    conformance::run_reopen(&|| -> Box<dyn Backend> {
        Box::new(RedbIndex::open_with(&path, CommitMode::Checksum).unwrap())
    });
    // A file written in one mode opens in the other: the mode is per commit, not per file.
    drop(RedbIndex::open(&path).unwrap());
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

/// A database written before the storage format marker (JSON records keyed by issuer and
/// serial), or by a privca of another format, is refused by name instead of misread.
#[test]
fn other_storage_formats_are_refused() {
    const OLD_CERTS: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("certs");
    const META: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.redb");
    {
        let db = redb::Database::create(&old).unwrap();
        let txn = db.begin_write().unwrap();
        let json = serde_json::to_vec(&record("default", &[0x01], 1)).unwrap();
        txn.open_table(OLD_CERTS)
            .unwrap()
            .insert(b"default\0\x01".as_slice(), json.as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let refused = RedbIndex::open(&old).unwrap_err();
    assert!(
        matches!(&refused, StoreError::Database(msg) if msg.contains("format 0") && msg.contains("old.redb")),
        "{refused}"
    );

    let newer = dir.path().join("newer.redb");
    drop(RedbIndex::open(&newer).unwrap());
    {
        let db = redb::Database::create(&newer).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META).unwrap().insert("format", 99).unwrap();
        txn.commit().unwrap();
    }
    let refused = RedbIndex::open(&newer).unwrap_err();
    assert!(
        matches!(&refused, StoreError::Database(msg) if msg.contains("format 99")),
        "{refused}"
    );
    // Refusing wrote nothing: the file is still refused the same way.
    assert!(RedbIndex::open(&old).is_err());
}

/// A database written before the ACME tables existed opens without complaint, gets them,
/// and keeps what it held.
#[test]
fn database_without_acme_tables_gets_them() {
    use ca_store::AcmeStore;
    use redb::TableHandle;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.redb");
    {
        let index = RedbIndex::open(&path).unwrap();
        index.insert_issued(record("default", &[0x01], 10)).unwrap();
    }
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let acme: Vec<_> = txn
            .list_tables()
            .unwrap()
            .filter(|t| t.name().starts_with("acme_"))
            .collect();
        assert_eq!(acme.len(), 11, "the tables this test removes");
        for table in acme {
            assert!(txn.delete_table(table).unwrap());
        }
        txn.commit().unwrap();
    }
    let index = RedbIndex::open(&path).unwrap();
    assert_eq!(index.count().unwrap(), 1);
    assert_eq!(index.get_account("acct-1").unwrap(), None);
    assert!(index.orders_of_account("acct-1", 10).unwrap().is_empty());
    index.consume_nonce("nonce-1", 100).unwrap();
    assert_eq!(index.purge_expired(200).unwrap().nonces, 1);
}

#[test]
fn issuer_with_nul_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let index = RedbIndex::open(&dir.path().join("index.redb")).unwrap();
    let result = index.insert_issued(record("a\0b", &[0x01], 1));
    assert!(matches!(result, Err(StoreError::InvalidIssuer { .. })), "{result:?}");
    assert_eq!(index.count().unwrap(), 0);
}

fn event(n: u64) -> AuditEvent {
    AuditEvent {
        at: 1_700_000_000 + n as i64,
        actor: Actor {
            subject: "CN=alice".to_owned(),
            fingerprint: "ab".repeat(32),
        },
        action: "cert.revoke".to_owned(),
        details: serde_json::json!({ "serial": format!("{n:02X}"), "reason": 1 }),
    }
}

/// An index holding audit entries 1..=n.
fn audit_log(dir: &std::path::Path, n: u64) -> RedbIndex {
    let index = RedbIndex::open(&dir.join("index.redb")).unwrap();
    for i in 1..=n {
        index.append(event(i)).unwrap();
    }
    assert!(index.verify_chain().unwrap().is_intact());
    index
}

fn broken_at(index: &RedbIndex) -> (u64, String) {
    let report = index.verify_chain().unwrap();
    match report.broken {
        Some(broken) => broken,
        None => panic!("tampering not detected: {report:?}"),
    }
}

#[test]
fn edited_audit_entry_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let index = audit_log(dir.path(), 5);
    let mut edited = event(3);
    edited.details["reason"] = serde_json::json!(0);
    index.tamper_audit_entry_for_tests(3, edited.clone()).unwrap();
    assert_eq!(
        index.entries(3, Some(1)).unwrap()[0].event,
        edited,
        "the edit is stored"
    );
    let (seq, why) = broken_at(&index);
    assert_eq!(seq, 3, "{why}");
    assert!(why.contains("changed"), "{why}");
    assert_eq!(index.verify_chain().unwrap().entries, 5);
    // Appending still works (it chains from the recorded head), and the break stays reported.
    assert_eq!(index.append(event(6)).unwrap().seq, 6);
    assert_eq!(broken_at(&index).0, 3);
}

#[test]
fn removed_audit_entries_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let index = audit_log(dir.path(), 5);
    index.remove_audit_entry_for_tests(2).unwrap();
    assert_eq!(broken_at(&index), (2, "entry 2 is missing".to_owned()));
    drop(index);

    let dir = tempfile::tempdir().unwrap();
    let index = audit_log(dir.path(), 5);
    index.remove_audit_entry_for_tests(5).unwrap();
    index.remove_audit_entry_for_tests(4).unwrap();
    let (seq, why) = broken_at(&index);
    assert_eq!(seq, 4, "truncating the end is noticed: {why}");
    assert_eq!(index.verify_chain().unwrap().entries, 3);

    let missing = index.remove_audit_entry_for_tests(9);
    assert!(missing.is_err());
}

/// The same as an intruder with only the database file and the redb crate: rewrite one
/// entry's JSON, recomputing its own hash so that entry looks consistent by itself.
#[test]
fn audit_edit_through_the_raw_file_is_detected() {
    const AUDIT: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("audit");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.redb");
    let entries = {
        let index = audit_log(dir.path(), 4);
        index.entries(1, None).unwrap()
    };
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(AUDIT).unwrap();
            let mut forged = entries[1].clone();
            forged.event.actor.subject = "CN=mallory".to_owned();
            forged.hash = forged.expected_hash().unwrap();
            table
                .insert(2, serde_json::to_vec(&forged).unwrap().as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let index = RedbIndex::open(&path).unwrap();
    let (seq, why) = broken_at(&index);
    assert_eq!(seq, 3, "entry 3 no longer links to the forged entry 2: {why}");
    assert!(why.contains("does not link"), "{why}");
}

#[test]
fn first_entry_links_to_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let index = audit_log(dir.path(), 1);
    let first = &index.entries(1, None).unwrap()[0];
    assert_eq!(first.prev_hash, GENESIS_HASH);
    assert_eq!(
        index.verify_chain().unwrap(),
        ChainReport {
            entries: 1,
            broken: None
        }
    );
}
