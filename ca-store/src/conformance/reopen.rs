//! The persistence case: everything written survives a close and reopen, and every counter
//! continues instead of starting over.

use super::acme::{account, authz, eab_key, order};
use super::{actor, event, new_request, record, token, Backend, OpenIndex};
use crate::acme::{AcmeAccount, AcmeAuthz, AcmeOrder};
use crate::audit::{AuditEntry, ChainReport};
use crate::error::StoreError;
use crate::index::CertFilter;
use crate::queue::{Approval, Denial, RequestRecord, RequestStatus};

/// What the first session wrote, to compare after reopening.
struct Written {
    requests: Vec<RequestRecord>,
    audit: Vec<AuditEntry>,
    acme: (AcmeAccount, AcmeOrder, AcmeAuthz),
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
        acme: acme_first_session(index),
    }
}

/// Writes one of each ACME record: the durable ones and those committed without an fsync,
/// which a clean close keeps too.
fn acme_first_session(index: &dyn Backend) -> (AcmeAccount, AcmeOrder, AcmeAuthz) {
    index.create_eab_key(eab_key("kid-1", "acme", 10)).unwrap();
    let mut acc = account("acct-1", "thumb-1");
    acc.eab_key_id = Some("kid-1".to_owned());
    index.create_account(acc.clone(), Some("kid-1")).unwrap();
    let az = authz("az-1", "acct-1");
    let mut ord = order("ord-1", "acct-1", 100, 5_000, &["az-1"]);
    ord.replaces = Some("aki.serial".to_owned());
    index.create_order(ord.clone(), vec![az.clone()]).unwrap();
    index.consume_nonce("nonce-1", 5_000).unwrap();
    (acc, ord, az)
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
    acme_second_session(index, &written.acme);
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

/// The ACME records are back with their indexes and single-use marks.
fn acme_second_session(index: &dyn Backend, (acc, ord, az): &(AcmeAccount, AcmeOrder, AcmeAuthz)) {
    assert_eq!(index.get_account(&acc.id).unwrap().as_ref(), Some(acc));
    assert_eq!(
        index.account_by_thumbprint("acme", &acc.thumbprint).unwrap().as_ref(),
        Some(acc)
    );
    let key = index.get_eab_key("kid-1").unwrap().unwrap();
    assert_eq!(key.used_by_account.as_deref(), Some("acct-1"));
    let reused = index.create_account(account("acct-2", "thumb-2"), Some("kid-1"));
    assert!(matches!(reused, Err(StoreError::Conflict(_))), "{reused:?}");
    let same_key = index.create_account(account("acct-2", "thumb-1"), None);
    assert!(matches!(same_key, Err(StoreError::Conflict(_))), "{same_key:?}");
    assert_eq!(index.get_order(&ord.id).unwrap().as_ref(), Some(ord));
    assert_eq!(index.get_authz(&az.id).unwrap().as_ref(), Some(az));
    assert_eq!(index.orders_of_account(&acc.id, 10).unwrap(), [ord.id.as_str()]);
    let mut again = order("ord-2", "acct-1", 200, 5_000, &[]);
    again.replaces = ord.replaces.clone();
    assert!(matches!(
        index.create_order(again, Vec::new()),
        Err(StoreError::Conflict(_))
    ));
    let replay = index.consume_nonce("nonce-1", 5_000);
    assert!(matches!(replay, Err(StoreError::Conflict(_))), "{replay:?}");
    let purged = index.purge_expired(6_000).unwrap();
    assert_eq!((purged.orders, purged.authzs, purged.nonces), (1, 1, 1));
}

/// A third session sees what the second one wrote.
fn third_session(index: &dyn Backend) {
    assert_eq!(index.get_order("ord-1").unwrap(), None, "the purge was kept");
    assert_eq!(index.get_authz("az-1").unwrap(), None);
    assert!(index.orders_of_account("acct-1", 10).unwrap().is_empty());
    index.consume_nonce("nonce-1", 7_000).unwrap();
    assert!(index.get_account("acct-1").unwrap().is_some());
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
