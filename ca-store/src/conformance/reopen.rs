//! The persistence case: everything written survives a close and reopen, and every counter
//! continues instead of starting over.

use super::{actor, event, new_request, record, token, Backend, OpenIndex};
use crate::audit::{AuditEntry, ChainReport};
use crate::error::StoreError;
use crate::index::CertFilter;
use crate::queue::{Approval, Denial, RequestRecord, RequestStatus};

/// What the first session wrote, to compare after reopening.
struct Written {
    requests: Vec<RequestRecord>,
    audit: Vec<AuditEntry>,
}

pub(super) fn keeps_everything(open: OpenIndex<'_>) {
    // Each session's handle is dropped (closing the database) before the next opens it.
    let written = first_session(open().as_ref());
    second_session(open().as_ref(), &written);
    third_session(open().as_ref());
}

/// Writes some of everything through `index`, which is dropped afterwards.
fn first_session(index: &dyn Backend) -> Written {
    let mut cert = record("default", &[0x10], 1_000);
    index.submit(new_request(1), None).unwrap();
    index.submit(new_request(2), None).unwrap();
    index.create_token(token(&"f6".repeat(32))).unwrap();
    index.create_token(token(&"a7".repeat(32))).unwrap();
    index.submit(new_request(3), Some(&"f6".repeat(32))).unwrap();
    let approval = Approval {
        by: actor("alice"),
        at: 10,
    };
    index.approve(1, approval).unwrap();
    cert.request_id = Some(1);
    index.insert_issued(cert).unwrap();
    let denial = Denial {
        by: actor("bob"),
        at: 20,
        reason: "duplicate".to_owned(),
    };
    index.deny(2, denial).unwrap();
    index.insert_issued(record("other", &[0x10], 2_000)).unwrap();
    assert_eq!(index.next_sequential_serial("default", 100).unwrap(), 100);
    assert_eq!(index.next_sequential_serial("default", 100).unwrap(), 101);
    let audit = (1..=3).map(|n| index.append(event(n)).unwrap()).collect();
    Written {
        requests: index.list_requests(None, None).unwrap(),
        audit,
    }
}

/// Everything from the first session is there, and every counter continues: no id,
/// sequence number or serial is handed out twice.
fn second_session(index: &dyn Backend, written: &Written) {
    assert_eq!(index.list_requests(None, None).unwrap(), written.requests);
    let status = |s| index.list_requests(Some(s), None).unwrap().len();
    assert_eq!(
        (
            status(RequestStatus::Pending),
            status(RequestStatus::Issued),
            status(RequestStatus::Denied)
        ),
        (1, 1, 1)
    );
    assert_eq!(
        index.get_token(&"f6".repeat(32)).unwrap().unwrap().used_by_request,
        Some(3)
    );
    assert_eq!(
        index.get_token(&"a7".repeat(32)).unwrap(),
        Some(token(&"a7".repeat(32)))
    );
    assert_eq!(index.count().unwrap(), 2);
    assert_eq!(index.get("default", &[0x10]).unwrap().unwrap().request_id, Some(1));
    assert_eq!(index.list(&CertFilter::default()).unwrap().len(), 2);
    assert_eq!(index.entries(1, None).unwrap(), written.audit);
    assert_eq!(
        index.verify_chain().unwrap(),
        ChainReport {
            entries: 3,
            broken: None
        }
    );

    assert_eq!(index.submit(new_request(4), None).unwrap().id, 4);
    let next = index.append(event(4)).unwrap();
    assert_eq!(next.seq, 4);
    assert_eq!(next.prev_hash, written.audit[2].hash);
    assert_eq!(index.next_sequential_serial("default", 100).unwrap(), 102);
    let used = index.submit(new_request(5), Some(&"f6".repeat(32)));
    assert!(
        matches!(used, Err(StoreError::Conflict(_))),
        "a used token stays used: {used:?}"
    );
    assert_eq!(
        index.verify_chain().unwrap(),
        ChainReport {
            entries: 4,
            broken: None
        }
    );
}

/// A third session sees what the second one wrote.
fn third_session(index: &dyn Backend) {
    assert_eq!(index.get_request(4).unwrap().unwrap().request, new_request(4));
    assert_eq!(
        index.get_request(5).unwrap(),
        None,
        "the refused submission left nothing"
    );
    assert_eq!(index.submit(new_request(6), None).unwrap().id, 5);
    assert_eq!(index.append(event(5)).unwrap().seq, 5);
    assert_eq!(
        index.verify_chain().unwrap(),
        ChainReport {
            entries: 5,
            broken: None
        }
    );
    assert_eq!(index.next_sequential_serial("default", 100).unwrap(), 103);
}
