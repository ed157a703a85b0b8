//! Conformance cases of the audit log. Tamper detection needs a way to edit stored entries
//! behind the log's back, which is backend-specific: see each backend's own tests.

use std::sync::Barrier;

use super::{event, Backend};
use crate::audit::{AuditEntry, ChainReport, GENESIS_HASH};

pub(super) fn append_and_entries(index: &dyn Backend) {
    assert!(index.entries(1, None).unwrap().is_empty());
    let mut appended: Vec<AuditEntry> = Vec::new();
    for n in 1..=5 {
        let entry = index.append(event(n)).unwrap();
        assert_eq!(entry.seq, n);
        assert_eq!(entry.event, event(n));
        let prev = appended.last().map_or(GENESIS_HASH, |e| e.hash.as_str());
        assert_eq!(entry.prev_hash, prev, "entry {n} links to its predecessor");
        assert_eq!(entry.hash, entry.expected_hash().unwrap());
        appended.push(entry);
    }
    assert_eq!(index.entries(1, None).unwrap(), appended);
    assert_eq!(index.entries(0, None).unwrap(), appended);
    assert_eq!(index.entries(3, None).unwrap(), appended[2..]);
    assert_eq!(index.entries(2, Some(2)).unwrap(), appended[1..3]);
    assert!(index.entries(6, None).unwrap().is_empty());
    assert!(index.entries(1, Some(0)).unwrap().is_empty());
}

pub(super) fn chain_verifies(index: &dyn Backend) {
    let empty = index.verify_chain().unwrap();
    assert_eq!(
        empty,
        ChainReport {
            entries: 0,
            broken: None
        }
    );
    for n in 1..=3 {
        index.append(event(n)).unwrap();
    }
    // Other writes in between do not disturb the chain.
    index.submit(super::new_request(1), None).unwrap();
    index.append(event(4)).unwrap();
    let report = index.verify_chain().unwrap();
    assert_eq!(
        report,
        ChainReport {
            entries: 4,
            broken: None
        }
    );
    assert!(report.is_intact());
}

pub(super) fn concurrent_appends(index: &dyn Backend) {
    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 25;
    let start = Barrier::new(THREADS as usize);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let start = &start;
            scope.spawn(move || {
                start.wait();
                for i in 0..PER_THREAD {
                    index.append(event(t * PER_THREAD + i)).unwrap();
                }
            });
        }
    });
    let total = THREADS * PER_THREAD;
    let entries = index.entries(1, None).unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>(), "no gaps, no repeats");
    let mut details: Vec<u64> = entries.iter().map(|e| e.event.at as u64).collect();
    details.sort_unstable();
    details.dedup();
    assert_eq!(details.len() as u64, total, "every event stored once");
    assert_eq!(
        index.verify_chain().unwrap(),
        ChainReport {
            entries: total,
            broken: None
        }
    );
}
