//! Conformance cases of the request queue and enrollment tokens, including where they meet
//! the certificate index: issuing settles a request, submitting uses a token up.

use std::collections::BTreeSet;
use std::sync::Barrier;

use super::{actor, new_request, record, token, Backend};
use crate::error::StoreError;
use crate::queue::{Approval, Denial, RequestRecord, RequestStatus};

fn approval(name: &str, at: i64) -> Approval {
    Approval { by: actor(name), at }
}

fn denial(reason: &str) -> Denial {
    Denial {
        by: actor("carol"),
        at: 1_700_000_500,
        reason: reason.to_owned(),
    }
}

fn ids(records: &[RequestRecord]) -> Vec<u64> {
    records.iter().map(|r| r.id).collect()
}

fn is_conflict<T: std::fmt::Debug>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

/// Submits `n` plain requests and returns their ids.
fn submit_n(index: &dyn Backend, n: u64) -> Vec<u64> {
    (1..=n)
        .map(|i| index.submit(new_request(i), None).unwrap().id)
        .collect()
}

pub(super) fn ids_start_at_one(index: &dyn Backend) {
    let first = index.submit(new_request(1), None).unwrap();
    assert_eq!(first.id, 1);
    assert_eq!(first.status, RequestStatus::Pending);
    assert_eq!(first.request, new_request(1));
    assert!(first.approvals.is_empty() && first.denial.is_none() && first.issued.is_none());
    assert_eq!(submit_n(index, 2), vec![2, 3]);
    assert_eq!(index.get_request(1).unwrap(), Some(first));
    assert_eq!(index.get_request(3).unwrap().unwrap().request, new_request(2));
    assert_eq!(index.get_request(0).unwrap(), None);
    assert_eq!(index.get_request(4).unwrap(), None);
}

pub(super) fn list_by_status(index: &dyn Backend) {
    submit_n(index, 5);
    index.deny(2, denial("wrong name")).unwrap();
    let mut cert = record("default", &[0x44], 1_000);
    cert.request_id = Some(4);
    index.insert_issued(cert).unwrap();
    let list = |status, limit| ids(&index.list_requests(status, limit).unwrap());
    assert_eq!(list(None, None), vec![1, 2, 3, 4, 5]);
    assert_eq!(list(Some(RequestStatus::Pending), None), vec![1, 3, 5]);
    assert_eq!(list(Some(RequestStatus::Denied), None), vec![2]);
    assert_eq!(list(Some(RequestStatus::Issued), None), vec![4]);
    assert_eq!(list(None, Some(2)), vec![1, 2]);
    assert_eq!(list(Some(RequestStatus::Pending), Some(2)), vec![1, 3]);
    assert!(list(None, Some(0)).is_empty());
    let all = index.list_requests(None, None).unwrap();
    for rec in &all {
        assert_eq!(index.get_request(rec.id).unwrap().as_ref(), Some(rec));
    }
}

pub(super) fn approvals_accumulate(index: &dyn Backend) {
    submit_n(index, 1);
    let first = index.approve(1, approval("alice", 10)).unwrap();
    assert_eq!(first.approvals, vec![approval("alice", 10)]);
    let second = index.approve(1, approval("bob", 20)).unwrap();
    assert_eq!(second.approvals, vec![approval("alice", 10), approval("bob", 20)]);
    assert_eq!(second.status, RequestStatus::Pending, "approving alone never issues");
    // The same certificate under another subject is still the same administrator.
    let mut again = approval("alice", 30);
    again.by.subject = "CN=Alice Renamed".to_owned();
    let result = index.approve(1, again);
    assert!(is_conflict(&result), "{result:?}");
    assert_eq!(index.get_request(1).unwrap(), Some(second));
    let missing = index.approve(9, approval("alice", 40));
    assert!(matches!(missing, Err(StoreError::RequestNotFound(9))), "{missing:?}");
    assert_eq!(index.get_request(9).unwrap(), None);
}

pub(super) fn deny_is_final(index: &dyn Backend) {
    submit_n(index, 1);
    index.approve(1, approval("alice", 10)).unwrap();
    let denied = index.deny(1, denial("not ours")).unwrap();
    assert_eq!(denied.status, RequestStatus::Denied);
    assert_eq!(denied.denial, Some(denial("not ours")));
    assert_eq!(denied.approvals.len(), 1, "earlier approvals are kept");
    let result = index.approve(1, approval("bob", 20));
    match &result {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("request 1 is denied"), "{msg}"),
        other => panic!("approving a denied request: {other:?}"),
    }
    assert!(is_conflict(&index.deny(1, denial("twice"))));
    assert_eq!(index.get_request(1).unwrap(), Some(denied));
    let missing = index.deny(2, denial("nothing"));
    assert!(matches!(missing, Err(StoreError::RequestNotFound(2))), "{missing:?}");
}

pub(super) fn issuing_settles_request(index: &dyn Backend) {
    submit_n(index, 2);
    index.approve(1, approval("alice", 10)).unwrap();
    let mut cert = record("default", &[0x00, 0x81], 1_000);
    cert.request_id = Some(1);
    index.insert_issued(cert.clone()).unwrap();
    let issued = index.get_request(1).unwrap().unwrap();
    assert_eq!(issued.status, RequestStatus::Issued);
    assert_eq!(issued.issued, Some(("default".to_owned(), vec![0x00, 0x81])));
    assert_eq!(issued.approvals, vec![approval("alice", 10)]);
    assert_eq!(index.get("default", &[0x81]).unwrap(), Some(cert));
    assert_eq!(
        ids(&index.list_requests(Some(RequestStatus::Pending), None).unwrap()),
        vec![2]
    );
    // A duplicate serial fails before the request is touched: request 2 stays pending.
    let mut dup = record("default", &[0x81], 2_000);
    dup.request_id = Some(2);
    let result = index.insert_issued(dup);
    assert!(matches!(result, Err(StoreError::DuplicateSerial { .. })), "{result:?}");
    assert_eq!(index.get_request(2).unwrap().unwrap().status, RequestStatus::Pending);
    assert_eq!(index.count().unwrap(), 1);
}

pub(super) fn issuing_settled_request_refused(index: &dyn Backend) {
    submit_n(index, 2);
    let mut first = record("default", &[0x01], 1_000);
    first.request_id = Some(1);
    index.insert_issued(first).unwrap();
    index.deny(2, denial("no")).unwrap();
    let before = index.list_requests(None, None).unwrap();
    for (id, serial) in [(1, 0x02), (2, 0x03)] {
        let mut cert = record("default", &[serial], 2_000);
        cert.request_id = Some(id);
        let result = index.insert_issued(cert);
        assert!(is_conflict(&result), "request {id}: {result:?}");
        assert_eq!(index.get("default", &[serial]).unwrap(), None, "no certificate stored");
    }
    let mut orphan = record("default", &[0x04], 3_000);
    orphan.request_id = Some(77);
    let result = index.insert_issued(orphan);
    assert!(matches!(result, Err(StoreError::RequestNotFound(77))), "{result:?}");
    assert_eq!(index.count().unwrap(), 1);
    assert!(index.find_serial(&[0x04]).unwrap().is_empty());
    assert_eq!(index.list_requests(None, None).unwrap(), before);
    assert!(is_conflict(&index.approve(1, approval("bob", 5))));
    assert!(is_conflict(&index.deny(1, denial("too late"))));
}

pub(super) fn tokens_create_and_get(index: &dyn Backend) {
    let hash = "a1".repeat(32);
    index.create_token(token(&hash)).unwrap();
    assert_eq!(index.get_token(&hash).unwrap(), Some(token(&hash)));
    assert_eq!(index.get_token(&"b2".repeat(32)).unwrap(), None);
    let mut again = token(&hash);
    again.template = "Other".to_owned();
    assert!(is_conflict(&index.create_token(again)));
    assert_eq!(index.get_token(&hash).unwrap(), Some(token(&hash)), "original kept");
}

pub(super) fn submit_uses_up_token(index: &dyn Backend) {
    let hash = "c3".repeat(32);
    index.create_token(token(&hash)).unwrap();
    submit_n(index, 1);
    let rec = index.submit(new_request(2), Some(&hash)).unwrap();
    assert_eq!(rec.id, 2);
    let used = index.get_token(&hash).unwrap().unwrap();
    assert_eq!(used.used_by_request, Some(2));
    assert_eq!(
        used,
        crate::tokens::TokenRecord {
            used_by_request: Some(2),
            ..token(&hash)
        }
    );
    let result = index.submit(new_request(3), Some(&hash));
    match &result {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("used by request 2"), "{msg}"),
        other => panic!("second use of a token: {other:?}"),
    }
    assert_eq!(
        ids(&index.list_requests(None, None).unwrap()),
        vec![1, 2],
        "nothing stored"
    );
    assert_eq!(index.get_token(&hash).unwrap().unwrap().used_by_request, Some(2));
    // The refused submission did not take an id.
    assert_eq!(index.submit(new_request(4), None).unwrap().id, 3);
}

pub(super) fn bad_token_writes_nothing(index: &dyn Backend) {
    let result = index.submit(new_request(1), Some(&"d4".repeat(32)));
    assert!(matches!(result, Err(StoreError::TokenNotFound)), "{result:?}");
    assert!(index.list_requests(None, None).unwrap().is_empty());
    assert_eq!(index.get_request(1).unwrap(), None);
    assert_eq!(index.get_token(&"d4".repeat(32)).unwrap(), None, "no token appears");
    assert_eq!(index.submit(new_request(2), None).unwrap().id, 1, "no id was taken");
}

pub(super) fn concurrent_submissions(index: &dyn Backend) {
    const THREADS: u64 = 16;
    const PER_THREAD: u64 = 50;
    let start = Barrier::new(THREADS as usize);
    let handed_out: Vec<(u64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    (0..PER_THREAD)
                        .map(|i| {
                            let n = t * PER_THREAD + i + 1;
                            (index.submit(new_request(n), None).unwrap().id, n)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let total = THREADS * PER_THREAD;
    let distinct: BTreeSet<u64> = handed_out.iter().map(|&(id, _)| id).collect();
    assert_eq!(distinct, (1..=total).collect(), "ids 1..={total}, each once");
    let listed = index.list_requests(None, None).unwrap();
    assert_eq!(ids(&listed), (1..=total).collect::<Vec<_>>());
    for (id, n) in handed_out {
        assert_eq!(listed[(id - 1) as usize].request, new_request(n), "request {id}");
    }
    let pending = index.list_requests(Some(RequestStatus::Pending), None).unwrap();
    assert_eq!(pending.len() as u64, total);
}

pub(super) fn concurrent_token_use(index: &dyn Backend) {
    const THREADS: u64 = 8;
    let hash = "e5".repeat(32);
    index.create_token(token(&hash)).unwrap();
    let start = Barrier::new(THREADS as usize);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (start, hash) = (&start, &hash);
                scope.spawn(move || {
                    start.wait();
                    index.submit(new_request(t), Some(hash))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one request gets the token: {results:?}");
    assert!(results.iter().filter(|r| r.is_err()).all(is_conflict));
    assert_eq!(winners[0].id, 1);
    assert_eq!(index.list_requests(None, None).unwrap().len(), 1);
    assert_eq!(index.get_token(&hash).unwrap().unwrap().used_by_request, Some(1));
}

pub(super) fn failures_isolated_in_batch(index: &dyn Backend) {
    // Odd requests are denied, even ones pending; every thread then issues one certificate
    // per request at once, so succeeding and refused jobs share group commits.
    const REQUESTS: u64 = 64;
    submit_n(index, REQUESTS);
    for id in (1..=REQUESTS).step_by(2) {
        index.deny(id, denial("odd")).unwrap();
    }
    let start = Barrier::new(REQUESTS as usize);
    std::thread::scope(|scope| {
        for id in 1..=REQUESTS {
            let start = &start;
            scope.spawn(move || {
                let mut cert = record("default", &id.to_be_bytes(), 1_000);
                cert.request_id = Some(id);
                start.wait();
                let result = index.insert_issued(cert);
                assert_eq!(result.is_ok(), id % 2 == 0, "request {id}: {result:?}");
                // Each even request also gets a refused second certificate.
                if id % 2 == 0 {
                    let mut again = record("default", &(id + 1000).to_be_bytes(), 1_000);
                    again.request_id = Some(id);
                    assert!(is_conflict(&index.insert_issued(again)));
                }
            });
        }
    });
    assert_eq!(index.count().unwrap(), REQUESTS / 2);
    for id in 1..=REQUESTS {
        let rec = index.get_request(id).unwrap().unwrap();
        let stored = index.get("default", &id.to_be_bytes()).unwrap();
        if id % 2 == 0 {
            assert_eq!(rec.status, RequestStatus::Issued, "request {id}");
            assert_eq!(rec.issued, Some(("default".to_owned(), id.to_be_bytes().to_vec())));
            assert!(stored.is_some(), "certificate of request {id}");
        } else {
            assert_eq!(rec.status, RequestStatus::Denied, "request {id}");
            assert!(stored.is_none(), "no certificate for denied request {id}");
        }
    }
}

pub(super) fn submit_issued_in_one_commit(index: &dyn Backend) {
    submit_n(index, 1);
    let hash = "e5".repeat(32);
    index.create_token(token(&hash)).unwrap();
    let cert = record("default", &[0x00, 0x91], 1_000);
    let rec = index.submit_issued(new_request(2), Some(&hash), cert.clone()).unwrap();
    assert_eq!(rec.id, 2);
    assert_eq!(rec.status, RequestStatus::Issued);
    assert_eq!(rec.issued, Some(("default".to_owned(), vec![0x00, 0x91])));
    assert_eq!(index.get_request(2).unwrap().unwrap(), rec);
    let stored = index.get("default", &[0x91]).unwrap().unwrap();
    assert_eq!(stored.request_id, Some(2));
    assert_eq!(stored.der, cert.der);
    assert_eq!(index.get_token(&hash).unwrap().unwrap().used_by_request, Some(2));

    // A duplicate serial or a used token: nothing written, no id used up.
    let dup = index.submit_issued(new_request(3), None, record("default", &[0x91], 2_000));
    assert!(matches!(dup, Err(StoreError::DuplicateSerial { .. })), "{dup:?}");
    let used = index.submit_issued(new_request(3), Some(&hash), record("default", &[0x92], 2_000));
    assert!(is_conflict(&used), "{used:?}");
    assert_eq!(index.get("default", &[0x92]).unwrap(), None);
    assert_eq!(index.count().unwrap(), 1);
    assert_eq!(ids(&index.list_requests(None, None).unwrap()), vec![1, 2]);
    assert_eq!(index.submit(new_request(4), None).unwrap().id, 3);
}
