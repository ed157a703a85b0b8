//! Conformance cases of the certificate index ([`crate::CertIndex`]).

use std::collections::BTreeSet;
use std::sync::Barrier;

use super::{record, Backend};
use crate::error::StoreError;
use crate::index::{list_order, CertFilter};
use crate::record::{CertRecord, CertStatus, Revocation};

fn is_duplicate(result: &Result<(), StoreError>) -> bool {
    matches!(result, Err(StoreError::DuplicateSerial { .. }))
}

pub(super) fn insert_get_roundtrip(index: &dyn Backend) {
    let mut rec = record("default", &[0x00, 0x8F, 0x01], 1_000);
    rec.revocation = Some(Revocation {
        time: 1_100,
        reason: 6,
        invalidity_date: Some(1_050),
    });
    index.insert_issued(rec.clone()).unwrap();
    assert_eq!(index.get("default", &rec.serial).unwrap(), Some(rec.clone()));
    // Serials compare as numbers: the DER sign byte does not change which one it is.
    assert_eq!(index.get("default", &[0x8F, 0x01]).unwrap(), Some(rec.clone()));
    assert_eq!(index.get("default", &[0x8F, 0x02]).unwrap(), None);
    assert_eq!(index.get("other", &rec.serial).unwrap(), None);
    assert_eq!(index.count().unwrap(), 1);
}

pub(super) fn duplicate_rejected(index: &dyn Backend) {
    let original = record("default", &[0x42], 1_000);
    index.insert_issued(original.clone()).unwrap();
    let mut second = record("default", &[0x42], 2_000);
    second.subject = "CN=impostor".to_owned();
    assert!(is_duplicate(&index.insert_issued(second.clone())));
    second.serial = vec![0x00, 0x42];
    assert!(is_duplicate(&index.insert_issued(second)));
    assert_eq!(index.get("default", &[0x42]).unwrap(), Some(original.clone()));
    assert_eq!(index.count().unwrap(), 1);
    let all = index.list(&CertFilter::default()).unwrap();
    assert_eq!(all, vec![original]);
}

pub(super) fn same_serial_two_issuers(index: &dyn Backend) {
    let a = record("alpha", &[0x01, 0x02], 1_000);
    let b = record("beta", &[0x01, 0x02], 1_001);
    index.insert_issued(a.clone()).unwrap();
    index.insert_issued(b.clone()).unwrap();
    index.insert_issued(record("alpha", &[0x01, 0x03], 1_002)).unwrap();
    assert_eq!(index.count().unwrap(), 3);
    let mut found = index.find_serial(&[0x01, 0x02]).unwrap();
    found.sort_by(|x, y| x.issuer.cmp(&y.issuer));
    assert_eq!(found, vec![a, b]);
    assert_eq!(index.find_serial(&[0x01, 0x03]).unwrap().len(), 1);
    assert!(index.find_serial(&[0x01]).unwrap().is_empty());
}

/// Serials of `records` in order, to compare listings compactly.
fn serials(records: &[CertRecord]) -> Vec<Vec<u8>> {
    records.iter().map(|r| r.serial.clone()).collect()
}

pub(super) fn list_filters_and_order(index: &dyn Backend) {
    let now = 1_000_000;
    let day = 86_400;
    // Inserted out of order; same issued_at for 0x7F and 0x00 0x80 checks the serial
    // tie-break is numeric.
    let mut valid = record("default", &[0x00, 0x80], 5_000);
    valid.sans.push("IP:192.0.2.1".to_owned());
    let mut soon = record("default", &[0x7F], 5_000);
    soon.not_after = now + 3 * day;
    soon.subject = "CN=Mail.Example.org".to_owned();
    let mut expired = record("default", &[0x03], 4_000);
    expired.not_after = now - 1;
    let mut revoked = record("default", &[0x04], 6_000);
    revoked.revocation = Some(Revocation {
        time: 6_500,
        reason: 1,
        invalidity_date: None,
    });
    revoked.not_after = now + day;
    let mut client = record("other", &[0x05], 3_000);
    client.profile = "client".to_owned();
    client.sans = vec!["email:a@example.com".to_owned()];
    for rec in [&valid, &soon, &expired, &revoked, &client] {
        index.insert_issued(rec.clone()).unwrap();
    }
    let list = |filter: CertFilter| serials(&index.list(&CertFilter { now, ..filter }).unwrap());
    let all = vec![vec![5], vec![3], vec![0x7F], vec![0x00, 0x80], vec![4]];
    assert_eq!(list(CertFilter::default()), all);
    let status = |s| CertFilter {
        status: Some(s),
        ..CertFilter::default()
    };
    assert_eq!(list(status(CertStatus::Revoked)), vec![vec![4]]);
    assert_eq!(list(status(CertStatus::Expired)), vec![vec![3]]);
    assert_eq!(
        list(status(CertStatus::Valid)),
        vec![vec![5], vec![0x7F], vec![0x00, 0x80]]
    );
    let issuer = CertFilter {
        issuer: Some("other".into()),
        ..CertFilter::default()
    };
    assert_eq!(list(issuer), vec![vec![5]]);
    let profile = CertFilter {
        profile: Some("server".into()),
        ..CertFilter::default()
    };
    assert_eq!(list(profile), all[1..].to_vec());
    let text = |t: &str| CertFilter {
        text: Some(t.into()),
        ..CertFilter::default()
    };
    assert_eq!(list(text("mail.EXAMPLE")), vec![vec![0x7F]]);
    assert_eq!(list(text("192.0.2")), vec![vec![0x00, 0x80]]);
    assert_eq!(list(text("A@EXAMPLE.COM")), vec![vec![5]]);
    assert!(list(text("nowhere")).is_empty());
    // Revoked and expired ones are not "expiring", however close their notAfter.
    let expiring = CertFilter {
        expiring_within: Some(7 * day),
        ..CertFilter::default()
    };
    assert_eq!(list(expiring), vec![vec![0x7F]]);
    let limit = |n| CertFilter {
        limit: Some(n),
        ..CertFilter::default()
    };
    assert_eq!(list(limit(2)), all[..2].to_vec());
    assert!(list(limit(0)).is_empty());
    let combined = CertFilter {
        issuer: Some("default".into()),
        status: Some(CertStatus::Valid),
        limit: Some(1),
        ..CertFilter::default()
    };
    assert_eq!(list(combined), vec![vec![0x7F]]);
}

pub(super) fn revocation_set_and_clear(index: &dyn Backend) {
    let rec = record("default", &[0x00, 0x99], 1_000);
    index.insert_issued(rec.clone()).unwrap();
    let hold = Revocation {
        time: 2_000,
        reason: 6,
        invalidity_date: None,
    };
    let updated = index.set_revocation("default", &[0x99], Some(hold.clone())).unwrap();
    assert_eq!(
        updated,
        CertRecord {
            revocation: Some(hold),
            ..rec.clone()
        }
    );
    assert_eq!(index.get("default", &rec.serial).unwrap(), Some(updated.clone()));
    assert_eq!(updated.status(1_500), CertStatus::Revoked);
    // Releasing the hold restores the record exactly as issued.
    let released = index.set_revocation("default", &rec.serial, None).unwrap();
    assert_eq!(released, rec);
    assert_eq!(index.get("default", &rec.serial).unwrap(), Some(rec));
    let missing = index.set_revocation("default", &[0x98], None);
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
    let wrong_issuer = index.set_revocation("other", &[0x99], None);
    assert!(matches!(wrong_issuer, Err(StoreError::NotFound { .. })));
    assert_eq!(index.count().unwrap(), 1);
}

pub(super) fn sequential_serials(index: &dyn Backend) {
    assert_eq!(index.next_sequential_serial("default", 0x1000).unwrap(), 0x1000);
    assert_eq!(index.next_sequential_serial("default", 0x1000).unwrap(), 0x1001);
    // `start` only matters the first time.
    assert_eq!(index.next_sequential_serial("default", 1).unwrap(), 0x1002);
    assert_eq!(index.next_sequential_serial("other", 1).unwrap(), 1);
    assert_eq!(index.next_sequential_serial("default", 0x1000).unwrap(), 0x1003);
    assert_eq!(index.next_sequential_serial("other", 1).unwrap(), 2);
    let big = u128::MAX - 1;
    assert_eq!(index.next_sequential_serial("big", big).unwrap(), big);
    let exhausted = index.next_sequential_serial("big", big);
    assert!(
        matches!(exhausted, Err(StoreError::SerialExhausted { .. })),
        "{exhausted:?}"
    );
}

pub(super) fn concurrent_inserts(index: &dyn Backend) {
    const THREADS: u16 = 16;
    const PER_THREAD: u16 = 100;
    let start = Barrier::new(usize::from(THREADS));
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let start = &start;
            scope.spawn(move || {
                start.wait();
                for i in 0..PER_THREAD {
                    let serial = (t * PER_THREAD + i + 1).to_be_bytes();
                    let rec = record("default", &serial, i64::from(i));
                    index.insert_issued(rec).unwrap();
                }
            });
        }
    });
    let total = u64::from(THREADS * PER_THREAD);
    assert_eq!(index.count().unwrap(), total);
    for n in 1..=THREADS * PER_THREAD {
        let rec = index.get("default", &n.to_be_bytes()).unwrap();
        assert!(rec.is_some(), "serial {n} lost");
    }
    let listed = index.list(&CertFilter::default()).unwrap();
    assert_eq!(listed.len() as u64, total);
    let ordered = listed.windows(2).all(|w| list_order(&w[0], &w[1]).is_lt());
    assert!(ordered, "list order");
}

pub(super) fn concurrent_duplicates(index: &dyn Backend) {
    const THREADS: usize = 8;
    const SERIALS: u8 = 50;
    let start = Barrier::new(THREADS);
    let wins: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    let mut won = Vec::new();
                    for s in 1..=SERIALS {
                        let mut rec = record("default", &[s], 1_000);
                        rec.subject = format!("CN=thread{t}");
                        let result = index.insert_issued(rec);
                        assert!(result.is_ok() || is_duplicate(&result), "{result:?}");
                        if result.is_ok() {
                            won.push(s);
                        }
                    }
                    won
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<u8> = wins.into_iter().flatten().collect();
    all.sort_unstable();
    assert_eq!(all, (1..=SERIALS).collect::<Vec<_>>(), "each serial exactly one winner");
    assert_eq!(index.count().unwrap(), u64::from(SERIALS));
}

pub(super) fn concurrent_sequential_serials(index: &dyn Backend) {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 25;
    let handed_out: Vec<u128> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    (0..PER_THREAD)
                        .map(|_| index.next_sequential_serial("default", 100).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let distinct: BTreeSet<u128> = handed_out.iter().copied().collect();
    let expected: BTreeSet<u128> = (100..100 + (THREADS * PER_THREAD) as u128).collect();
    assert_eq!(distinct, expected, "no serial twice, none skipped");
}
