//! Conformance cases of the ACME state ([`crate::acme::AcmeStore`]): uniqueness and
//! single-use under concurrency, index upkeep on updates, and what a purge keeps.

use std::sync::Barrier;

use ca_core::acme::order::{AccountStatus, AuthzStatus, ChallengeStatus, OrderStatus};
use ca_core::acme::Identifier;

use super::Backend;
use crate::acme::{AcmeAccount, AcmeAuthz, AcmeChallenge, AcmeOrder, EabKey, Purged, StoredProblem};
use crate::error::StoreError;

/// The endpoint most cases use.
const EP: &str = "acme";

fn is_conflict<T: std::fmt::Debug>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

fn is_not_found<T: std::fmt::Debug>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::AcmeNotFound(_)))
}

/// A valid account of [`EP`] whose key has `thumbprint`.
pub(super) fn account(id: &str, thumbprint: &str) -> AcmeAccount {
    AcmeAccount {
        id: id.to_owned(),
        endpoint: EP.to_owned(),
        thumbprint: thumbprint.to_owned(),
        jwk: format!(r#"{{"crv":"P-256","kty":"EC","x":"{thumbprint}","y":"y"}}"#),
        status: AccountStatus::Valid,
        contact: vec![format!("mailto:{id}@example.com")],
        eab_key_id: None,
        created_at: 1_700_000_000,
    }
}

/// An unused EAB key of `endpoint`.
pub(super) fn eab_key(key_id: &str, endpoint: &str, created_at: i64) -> EabKey {
    EabKey {
        key_id: key_id.to_owned(),
        hmac_key: vec![0x5A; 32],
        endpoint: endpoint.to_owned(),
        template: Some("WebServer".to_owned()),
        names: vec!["*.example.com".to_owned(), "192.0.2.1".to_owned()],
        created_at,
        expires_at: Some(created_at + 86_400),
        created_by: "CN=alice".to_owned(),
        used_by_account: None,
    }
}

/// A pending order of `account_id` listing `authz_ids`, expiring at `expires`.
pub(super) fn order(id: &str, account_id: &str, created_at: i64, expires: i64, authz_ids: &[&str]) -> AcmeOrder {
    AcmeOrder {
        id: id.to_owned(),
        account_id: account_id.to_owned(),
        endpoint: EP.to_owned(),
        status: OrderStatus::Pending,
        identifiers: vec![Identifier::Dns(format!("{id}.example.com"))],
        authz_ids: authz_ids.iter().map(|a| (*a).to_owned()).collect(),
        template: "WebServer".to_owned(),
        profile: None,
        not_before: None,
        not_after: Some(created_at + 90 * 86_400),
        expires,
        replaces: None,
        request_id: None,
        certificate: None,
        error: None,
        created_at,
    }
}

/// A pending authorization of `account_id` for `{id}.example.com` with two challenges.
pub(super) fn authz(id: &str, account_id: &str) -> AcmeAuthz {
    let challenge = |kind: &str| AcmeChallenge {
        kind: kind.to_owned(),
        token: format!("{kind}-token-of-{id}"),
        status: ChallengeStatus::Pending,
        validated: None,
        error: None,
    };
    AcmeAuthz {
        id: id.to_owned(),
        account_id: account_id.to_owned(),
        endpoint: EP.to_owned(),
        identifier: Identifier::Dns(format!("{id}.example.com")),
        wildcard: false,
        status: AuthzStatus::Pending,
        expires: 1_700_604_800,
        challenges: vec![challenge("http-01"), challenge("dns-01")],
    }
}

/// Runs `f(t)` on `threads` threads released together, and returns their results in order.
fn race<T: Send>(threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (start, f) = (&start, &f);
                scope.spawn(move || {
                    start.wait();
                    f(t)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

pub(super) fn account_roundtrip(index: &dyn Backend) {
    let alice = account("acct-alice", "thumb-a");
    index.create_account(alice.clone(), None).unwrap();
    assert_eq!(index.get_account("acct-alice").unwrap(), Some(alice.clone()));
    assert_eq!(index.account_by_thumbprint(EP, "thumb-a").unwrap(), Some(alice));
    assert_eq!(index.account_by_thumbprint(EP, "thumb-b").unwrap(), None);
    assert_eq!(index.account_by_thumbprint("other", "thumb-a").unwrap(), None);
    assert_eq!(index.get_account("acct-bob").unwrap(), None);
    // The same key may hold one account on each endpoint.
    let mut elsewhere = account("acct-alice2", "thumb-a");
    elsewhere.endpoint = "other".to_owned();
    index.create_account(elsewhere.clone(), None).unwrap();
    assert_eq!(
        index.account_by_thumbprint("other", "thumb-a").unwrap(),
        Some(elsewhere)
    );
    assert_eq!(
        index.account_by_thumbprint(EP, "thumb-a").unwrap().unwrap().id,
        "acct-alice"
    );
}

pub(super) fn duplicate_account_refused(index: &dyn Backend) {
    let alice = account("acct-alice", "thumb-a");
    index.create_account(alice.clone(), None).unwrap();
    let same_key = index.create_account(account("acct-mallory", "thumb-a"), None);
    assert!(is_conflict(&same_key), "{same_key:?}");
    assert_eq!(index.get_account("acct-mallory").unwrap(), None, "nothing written");
    let same_id = index.create_account(account("acct-alice", "thumb-m"), None);
    assert!(is_conflict(&same_id), "{same_id:?}");
    assert_eq!(
        index.account_by_thumbprint(EP, "thumb-m").unwrap(),
        None,
        "nothing written"
    );
    assert_eq!(index.get_account("acct-alice").unwrap(), Some(alice.clone()));
    assert_eq!(index.account_by_thumbprint(EP, "thumb-a").unwrap(), Some(alice));
}

pub(super) fn eab_keys_single_use(index: &dyn Backend) {
    index.create_eab_key(eab_key("kid-2", EP, 20)).unwrap();
    index.create_eab_key(eab_key("kid-1", EP, 10)).unwrap();
    index.create_eab_key(eab_key("kid-other", "other", 15)).unwrap();
    let dup = index.create_eab_key(eab_key("kid-1", "other", 30));
    assert!(is_conflict(&dup), "{dup:?}");
    assert_eq!(index.get_eab_key("kid-1").unwrap(), Some(eab_key("kid-1", EP, 10)));
    assert_eq!(index.get_eab_key("kid-none").unwrap(), None);
    let ids = |endpoint| -> Vec<String> {
        let keys = index.list_eab_keys(endpoint).unwrap();
        keys.into_iter().map(|k| k.key_id).collect()
    };
    assert_eq!(ids(None), ["kid-1", "kid-other", "kid-2"], "oldest first");
    assert_eq!(ids(Some(EP)), ["kid-1", "kid-2"]);
    assert_eq!(ids(Some("nowhere")), Vec::<String>::new());

    let mut bound = account("acct-1", "thumb-1");
    bound.eab_key_id = Some("kid-1".to_owned());
    index.create_account(bound.clone(), Some("kid-1")).unwrap();
    assert_eq!(index.get_account("acct-1").unwrap(), Some(bound));
    let used = index.get_eab_key("kid-1").unwrap().unwrap();
    assert_eq!(used.used_by_account.as_deref(), Some("acct-1"));

    // Refusals write nothing: neither the account nor its key index entry, nor the EAB key.
    let refused = [
        (
            "used",
            index.create_account(account("acct-2", "thumb-2"), Some("kid-1")),
        ),
        (
            "missing",
            index.create_account(account("acct-2", "thumb-2"), Some("kid-none")),
        ),
        (
            "endpoint",
            index.create_account(account("acct-2", "thumb-2"), Some("kid-other")),
        ),
    ];
    for (why, result) in &refused {
        let expected = if *why == "missing" {
            is_not_found(result)
        } else {
            is_conflict(result)
        };
        assert!(expected, "{why}: {result:?}");
    }
    assert_eq!(index.get_account("acct-2").unwrap(), None);
    assert_eq!(index.account_by_thumbprint(EP, "thumb-2").unwrap(), None);
    assert_eq!(index.get_eab_key("kid-other").unwrap().unwrap().used_by_account, None);
    assert_eq!(index.get_eab_key("kid-none").unwrap(), None);
    // A taken key refuses the account before the EAB key is touched.
    let taken = index.create_account(account("acct-3", "thumb-1"), Some("kid-2"));
    assert!(is_conflict(&taken), "{taken:?}");
    assert_eq!(index.get_eab_key("kid-2").unwrap().unwrap().used_by_account, None);
    index
        .create_account(account("acct-2", "thumb-2"), Some("kid-2"))
        .unwrap();
}

pub(super) fn concurrent_eab_use_one_wins(index: &dyn Backend) {
    const THREADS: usize = 8;
    index.create_eab_key(eab_key("kid-race", EP, 10)).unwrap();
    let results = race(THREADS, |t| {
        index.create_account(account(&format!("acct-{t}"), &format!("thumb-{t}")), Some("kid-race"))
    });
    let winners: Vec<usize> = (0..THREADS).filter(|t| results[*t].is_ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one account gets the EAB key: {results:?}");
    assert!(results.iter().filter(|r| r.is_err()).all(is_conflict), "{results:?}");
    let winner = format!("acct-{}", winners[0]);
    let key = index.get_eab_key("kid-race").unwrap().unwrap();
    assert_eq!(key.used_by_account.as_deref(), Some(winner.as_str()));
    for t in 0..THREADS {
        let stored = index.get_account(&format!("acct-{t}")).unwrap();
        assert_eq!(stored.is_some(), t == winners[0], "account {t}");
        let by_key = index.account_by_thumbprint(EP, &format!("thumb-{t}")).unwrap();
        assert_eq!(by_key.is_some(), t == winners[0], "key of account {t}");
    }
}

pub(super) fn key_change_moves_the_index(index: &dyn Backend) {
    index.create_account(account("acct-a", "thumb-a"), None).unwrap();
    index.create_account(account("acct-b", "thumb-b"), None).unwrap();
    let mut a = index.get_account("acct-a").unwrap().unwrap();
    a.contact = vec!["mailto:new@example.com".to_owned()];
    index.update_account(a.clone()).unwrap();
    assert_eq!(index.account_by_thumbprint(EP, "thumb-a").unwrap(), Some(a.clone()));

    a.thumbprint = "thumb-a2".to_owned();
    a.jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"a2"}"#.to_owned();
    index.update_account(a.clone()).unwrap();
    assert_eq!(index.get_account("acct-a").unwrap(), Some(a.clone()));
    assert_eq!(index.account_by_thumbprint(EP, "thumb-a2").unwrap(), Some(a.clone()));
    assert_eq!(
        index.account_by_thumbprint(EP, "thumb-a").unwrap(),
        None,
        "old key released"
    );

    let mut b = account("acct-b", "thumb-a2");
    b.contact = vec!["mailto:changed@example.com".to_owned()];
    let taken = index.update_account(b);
    assert!(is_conflict(&taken), "{taken:?}");
    assert_eq!(index.get_account("acct-b").unwrap(), Some(account("acct-b", "thumb-b")));
    assert_eq!(
        index.account_by_thumbprint(EP, "thumb-b").unwrap().unwrap().id,
        "acct-b"
    );
    assert_eq!(index.account_by_thumbprint(EP, "thumb-a2").unwrap(), Some(a));

    // The released key is free for a new account.
    index.create_account(account("acct-c", "thumb-a"), None).unwrap();
    let mut deactivated = account("acct-c", "thumb-a");
    deactivated.status = AccountStatus::Deactivated;
    index.update_account(deactivated.clone()).unwrap();
    assert_eq!(index.account_by_thumbprint(EP, "thumb-a").unwrap(), Some(deactivated));

    let ghost = index.update_account(account("acct-ghost", "thumb-g"));
    assert!(is_not_found(&ghost), "{ghost:?}");
    assert_eq!(index.account_by_thumbprint(EP, "thumb-g").unwrap(), None);
}

pub(super) fn order_and_authz_roundtrip(index: &dyn Backend) {
    let first = order("ord-1", "acct", 100, 1_000, &["az-1", "az-2"]);
    let authzs = vec![authz("az-1", "acct"), authz("az-2", "acct")];
    index.create_order(first.clone(), authzs.clone()).unwrap();
    assert_eq!(index.get_order("ord-1").unwrap(), Some(first.clone()));
    assert_eq!(index.get_authz("az-1").unwrap().as_ref(), Some(&authzs[0]));
    assert_eq!(index.get_authz("az-2").unwrap().as_ref(), Some(&authzs[1]));
    assert_eq!(index.get_order("ord-x").unwrap(), None);
    assert_eq!(index.get_authz("az-x").unwrap(), None);

    // Each refusal leaves no order, no new authorization and no listing behind.
    let same_id = index.create_order(
        order("ord-1", "acct", 200, 1_000, &["az-3"]),
        vec![authz("az-3", "acct")],
    );
    assert!(is_conflict(&same_id), "{same_id:?}");
    let authz_taken = index.create_order(order("ord-2", "acct", 200, 1_000, &["az-1"]), vec![authz("az-1", "x")]);
    assert!(is_conflict(&authz_taken), "{authz_taken:?}");
    let twice = index.create_order(
        order("ord-2", "acct", 200, 1_000, &["az-4"]),
        vec![authz("az-4", "acct"), authz("az-4", "acct")],
    );
    assert!(is_conflict(&twice), "{twice:?}");
    let unknown = index.create_order(
        order("ord-2", "acct", 200, 1_000, &["az-5", "az-9"]),
        vec![authz("az-5", "acct")],
    );
    assert!(is_not_found(&unknown), "{unknown:?}");
    let unlisted = index.create_order(order("ord-2", "acct", 200, 1_000, &[]), vec![authz("az-6", "acct")]);
    assert!(is_conflict(&unlisted), "{unlisted:?}");
    assert_eq!(index.get_order("ord-1").unwrap(), Some(first));
    assert_eq!(index.get_authz("az-1").unwrap().as_ref(), Some(&authzs[0]));
    assert_eq!(index.get_order("ord-2").unwrap(), None);
    for id in ["az-3", "az-4", "az-5", "az-6"] {
        assert_eq!(index.get_authz(id).unwrap(), None, "{id}");
    }
    assert_eq!(index.orders_of_account("acct", 10).unwrap(), ["ord-1"]);

    // A later order may list an existing (valid) authorization next to new ones.
    let reuse = order("ord-2", "acct", 200, 1_000, &["az-1", "az-7"]);
    index.create_order(reuse.clone(), vec![authz("az-7", "acct")]).unwrap();
    assert_eq!(index.get_order("ord-2").unwrap(), Some(reuse));
}

pub(super) fn update_order_and_authz(index: &dyn Backend) {
    let mut ord = order("ord-1", "acct", 100, 1_000, &["az-1"]);
    index.create_order(ord.clone(), vec![authz("az-1", "acct")]).unwrap();
    let mut az = authz("az-1", "acct");
    az.status = AuthzStatus::Valid;
    az.challenges[0].status = ChallengeStatus::Valid;
    az.challenges[0].validated = Some(150);
    az.challenges[1].error = Some(StoredProblem {
        kind: "urn:ietf:params:acme:error:dns".to_owned(),
        detail: "no TXT record".to_owned(),
        status: 400,
    });
    index.update_authz(az.clone()).unwrap();
    assert_eq!(index.get_authz("az-1").unwrap(), Some(az));

    for status in [OrderStatus::Ready, OrderStatus::Processing, OrderStatus::Valid] {
        ord.status = status;
        if status == OrderStatus::Valid {
            ord.request_id = Some(7);
            ord.certificate = Some(("default".to_owned(), vec![0x01, 0x02]));
        }
        index.update_order(ord.clone()).unwrap();
        assert_eq!(index.get_order("ord-1").unwrap().as_ref(), Some(&ord));
    }
    assert_eq!(index.orders_of_account("acct", 10).unwrap(), ["ord-1"]);

    let no_order = index.update_order(order("ord-x", "acct", 100, 1_000, &[]));
    assert!(is_not_found(&no_order), "{no_order:?}");
    assert_eq!(index.get_order("ord-x").unwrap(), None);
    let no_authz = index.update_authz(authz("az-x", "acct"));
    assert!(is_not_found(&no_authz), "{no_authz:?}");
    assert_eq!(index.get_authz("az-x").unwrap(), None);
    let mut bad_link = ord.clone();
    bad_link.authz_ids.push("az-x".to_owned());
    let refused = index.update_order(bad_link);
    assert!(is_not_found(&refused), "{refused:?}");
    assert_eq!(index.get_order("ord-1").unwrap(), Some(ord));
}

pub(super) fn orders_of_account_in_order(index: &dyn Backend) {
    // Created out of order; listed oldest first. "acct" is a prefix of "acct2" on purpose.
    for (id, account_id, created_at) in [
        ("ord-c", "acct", 300),
        ("ord-x", "acct2", 50),
        ("ord-a", "acct", 100),
        ("ord-y", "acc", 400),
        ("ord-b", "acct", 200),
    ] {
        index
            .create_order(order(id, account_id, created_at, 1_000, &[]), Vec::new())
            .unwrap();
    }
    assert_eq!(
        index.orders_of_account("acct", 10).unwrap(),
        ["ord-a", "ord-b", "ord-c"]
    );
    assert_eq!(index.orders_of_account("acct", 2).unwrap(), ["ord-a", "ord-b"]);
    assert!(index.orders_of_account("acct", 0).unwrap().is_empty());
    assert_eq!(index.orders_of_account("acct2", 10).unwrap(), ["ord-x"]);
    assert_eq!(index.orders_of_account("acc", 10).unwrap(), ["ord-y"]);
    assert!(index.orders_of_account("nobody", 10).unwrap().is_empty());
    assert!(index.orders_of_account("", 10).unwrap().is_empty());
}

pub(super) fn replaces_conflict_unless_invalid(index: &dyn Backend) {
    let replacing = |id: &str| {
        let mut o = order(id, "acct", 100, 1_000, &[]);
        o.replaces = Some("aki.serial".to_owned());
        o
    };
    let mut first = replacing("ord-1");
    index.create_order(first.clone(), Vec::new()).unwrap();
    let second = index.create_order(replacing("ord-2"), Vec::new());
    assert!(is_conflict(&second), "alreadyReplaced: {second:?}");
    assert_eq!(index.get_order("ord-2").unwrap(), None);
    // Other certificates are not affected.
    let mut other = replacing("ord-o");
    other.replaces = Some("aki.other".to_owned());
    index.create_order(other, Vec::new()).unwrap();
    // Updating the replacing order keeps its claim.
    first.status = OrderStatus::Ready;
    index.update_order(first.clone()).unwrap();
    assert!(is_conflict(&index.create_order(replacing("ord-2"), Vec::new())));

    first.status = OrderStatus::Invalid;
    index.update_order(first.clone()).unwrap();
    index.create_order(replacing("ord-3"), Vec::new()).unwrap();
    let fourth = index.create_order(replacing("ord-4"), Vec::new());
    assert!(is_conflict(&fourth), "the new order took the claim over: {fourth:?}");
    let mut third = replacing("ord-3");
    third.status = OrderStatus::Valid;
    index.update_order(third).unwrap();
    assert!(is_conflict(&index.create_order(replacing("ord-5"), Vec::new())));
    // The invalid order's later updates do not disturb the claim it lost.
    first.error = Some(StoredProblem {
        kind: "urn:ietf:params:acme:error:unauthorized".to_owned(),
        detail: "expired".to_owned(),
        status: 403,
    });
    index.update_order(first).unwrap();
    assert!(is_conflict(&index.create_order(replacing("ord-6"), Vec::new())));
}

pub(super) fn nonce_replay_refused(index: &dyn Backend) {
    index.consume_nonce("nonce-1", 1_000).unwrap();
    index.consume_nonce("nonce-2", 1_000).unwrap();
    let replay = index.consume_nonce("nonce-1", 1_000);
    assert!(is_conflict(&replay), "{replay:?}");
    assert!(is_conflict(&index.consume_nonce("nonce-1", 5_000)));

    const THREADS: usize = 16;
    let results = race(THREADS, |_| index.consume_nonce("nonce-race", 1_000));
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "exactly one consumer: {results:?}"
    );
    assert!(results.iter().filter(|r| r.is_err()).all(is_conflict), "{results:?}");
    // Replays refused in the same group commits as fresh nonces do not affect them.
    let results = race(THREADS, |t| {
        (0..20)
            .map(|n| index.consume_nonce(&format!("nonce-{t}-{}", n / 2), 1_000).is_ok())
            .collect::<Vec<_>>()
    });
    for per_thread in results {
        let expected: Vec<bool> = (0..20).map(|n| n % 2 == 0).collect();
        assert_eq!(per_thread, expected);
    }
}

pub(super) fn purge_removes_only_the_expired(index: &dyn Backend) {
    const NOW: i64 = 10_000;
    let create = |id: &str, expires: i64, status: OrderStatus, authz_ids: &[&str], new_authzs: &[&str]| {
        let mut o = order(id, "acct", 100, expires, authz_ids);
        o.status = status;
        let authzs = new_authzs.iter().map(|a| authz(a, "acct")).collect();
        index.create_order(o, authzs).unwrap();
    };
    create("gone-pending", 5_000, OrderStatus::Pending, &["az-1"], &["az-1"]);
    create("gone-ready", 5_000, OrderStatus::Ready, &[], &[]);
    create(
        "gone-invalid",
        9_999,
        OrderStatus::Invalid,
        &["az-2", "az-3"],
        &["az-2", "az-3"],
    );
    create("kept-valid", 5_000, OrderStatus::Valid, &["az-4"], &["az-4"]);
    create("kept-processing", 5_000, OrderStatus::Processing, &["az-5"], &["az-5"]);
    create("kept-future", 20_000, OrderStatus::Pending, &["az-6"], &["az-6"]);
    create("kept-now", NOW, OrderStatus::Invalid, &[], &[]);
    // Reuses the valid order's authorization: purging it must not take that one away.
    create(
        "gone-reusing",
        5_000,
        OrderStatus::Invalid,
        &["az-4", "az-7"],
        &["az-7"],
    );
    // Status changes move orders in and out of what a purge may take.
    create("kept-became-valid", 5_000, OrderStatus::Pending, &[], &[]);
    create("gone-became-invalid", 5_000, OrderStatus::Processing, &[], &[]);
    let mut became = order("kept-became-valid", "acct", 100, 5_000, &[]);
    became.status = OrderStatus::Ready;
    index.update_order(became.clone()).unwrap();
    became.status = OrderStatus::Processing;
    index.update_order(became.clone()).unwrap();
    became.status = OrderStatus::Valid;
    index.update_order(became).unwrap();
    let mut failed = order("gone-became-invalid", "acct", 100, 5_000, &[]);
    failed.status = OrderStatus::Invalid;
    index.update_order(failed).unwrap();
    // An order whose expiry was pushed out is judged by the new one.
    create("kept-extended", 5_000, OrderStatus::Pending, &[], &[]);
    index
        .update_order(order("kept-extended", "acct", 100, 30_000, &[]))
        .unwrap();

    for (nonce, expires_at) in [
        ("n-old", 5_000),
        ("n-old2", 9_999),
        ("n-now", NOW),
        ("n-future", 20_000),
    ] {
        index.consume_nonce(nonce, expires_at).unwrap();
    }

    let purged = index.purge_expired(NOW).unwrap();
    assert_eq!(
        purged,
        Purged {
            orders: 5,
            authzs: 4,
            nonces: 2
        }
    );
    for id in [
        "gone-pending",
        "gone-ready",
        "gone-invalid",
        "gone-reusing",
        "gone-became-invalid",
    ] {
        assert_eq!(index.get_order(id).unwrap(), None, "{id}");
    }
    let kept = [
        "kept-valid",
        "kept-processing",
        "kept-future",
        "kept-now",
        "kept-became-valid",
        "kept-extended",
    ];
    for id in kept {
        assert!(index.get_order(id).unwrap().is_some(), "{id}");
    }
    for id in ["az-1", "az-2", "az-3", "az-7"] {
        assert_eq!(index.get_authz(id).unwrap(), None, "{id}");
    }
    for id in ["az-4", "az-5", "az-6"] {
        assert!(index.get_authz(id).unwrap().is_some(), "{id}");
    }
    let mut listed = index.orders_of_account("acct", 100).unwrap();
    listed.sort();
    let mut expected = kept.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(listed, expected);
    for nonce in ["n-now", "n-future"] {
        assert!(is_conflict(&index.consume_nonce(nonce, 20_000)), "{nonce} still seen");
    }
    assert_eq!(
        index.purge_expired(NOW).unwrap(),
        Purged::default(),
        "nothing left to purge"
    );
    // Later, the rest goes too; valid and processing orders never do.
    let later = index.purge_expired(40_000).unwrap();
    assert_eq!(
        later,
        Purged {
            orders: 3,
            authzs: 1,
            nonces: 2
        }
    );
    assert!(index.get_order("kept-valid").unwrap().is_some());
    assert!(index.get_authz("az-4").unwrap().is_some());
    assert!(index.get_order("kept-processing").unwrap().is_some());
    assert!(index.get_order("kept-became-valid").unwrap().is_some());
}
