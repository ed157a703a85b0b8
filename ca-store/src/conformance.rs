//! The behaviour every storage backend must show, as one runnable suite.
//!
//! It lives in the library (not under `tests/`) so each backend's own test file can run
//! it: `conformance::run_all(&|| Box::new(open_a_fresh_backend()))`, and
//! `conformance::run_reopen(&|| Box::new(open_the_same_database()))` for persistence.
//! Failures panic with the case name, like any test assertion.
//!
//! Cases are grouped by trait: `conformance/certs.rs` ([`CertIndex`]),
//! `conformance/queue.rs` ([`RequestQueue`] and [`TokenStore`], which meet when a token is
//! used up by a submission, and [`CertIndex`] where issuing settles a request),
//! `conformance/audit.rs` ([`AuditLog`]), `conformance/acme.rs` ([`AcmeStore`]),
//! `conformance/reopen.rs` (all of them, across a close and reopen).

mod acme;
mod audit;
mod certs;
mod queue;
mod reopen;

use crate::acme::AcmeStore;
use crate::audit::{AuditEvent, AuditLog};
use crate::index::CertIndex;
use crate::queue::{Actor, NewRequest, RequestQueue};
use crate::record::CertRecord;
use crate::tokens::{TokenRecord, TokenStore};

/// Everything a complete backend implements; the suite drives all of it through one object,
/// because some promises span traits (issuing settles a request, submitting uses a token).
pub trait Backend: CertIndex + RequestQueue + TokenStore + AuditLog + AcmeStore {}

impl<T: CertIndex + RequestQueue + TokenStore + AuditLog + AcmeStore + ?Sized> Backend for T {}

/// Makes an empty backend for one case; each case gets its own.
pub type MakeIndex<'a> = &'a dyn Fn() -> Box<dyn Backend>;

/// Opens the same database every call (for [`run_reopen`]); the suite drops the previous
/// handle before it calls again.
pub type OpenIndex<'a> = &'a dyn Fn() -> Box<dyn Backend>;

/// One conformance case: gets an empty backend, panics on a violation.
pub type Case = fn(&dyn Backend);

/// Every case, by name, in the order [`run_all`] runs them.
pub const CASES: &[(&str, Case)] = &[
    ("insert_get_roundtrip", certs::insert_get_roundtrip),
    ("duplicate_rejected_and_nothing_changed", certs::duplicate_rejected),
    ("same_serial_under_two_issuers", certs::same_serial_two_issuers),
    ("list_filters_and_order", certs::list_filters_and_order),
    ("revocation_set_and_clear", certs::revocation_set_and_clear),
    ("sequential_serials", certs::sequential_serials),
    ("concurrent_inserts", certs::concurrent_inserts),
    ("concurrent_duplicates_one_wins", certs::concurrent_duplicates),
    (
        "concurrent_sequential_serials_unique",
        certs::concurrent_sequential_serials,
    ),
    ("request_ids_start_at_one", queue::ids_start_at_one),
    ("list_requests_by_status", queue::list_by_status),
    ("approvals_accumulate_once_per_admin", queue::approvals_accumulate),
    ("deny_is_final", queue::deny_is_final),
    ("issuing_settles_the_request_atomically", queue::issuing_settles_request),
    (
        "issuing_a_settled_request_writes_nothing",
        queue::issuing_settled_request_refused,
    ),
    ("submit_issued_in_one_commit", queue::submit_issued_in_one_commit),
    ("tokens_create_and_get", queue::tokens_create_and_get),
    ("submit_uses_up_the_token", queue::submit_uses_up_token),
    ("submit_with_bad_token_writes_nothing", queue::bad_token_writes_nothing),
    ("concurrent_submissions_get_distinct_ids", queue::concurrent_submissions),
    ("concurrent_token_use_one_wins", queue::concurrent_token_use),
    (
        "failing_jobs_do_not_affect_their_batch",
        queue::failures_isolated_in_batch,
    ),
    ("audit_append_and_entries", audit::append_and_entries),
    ("audit_chain_verifies", audit::chain_verifies),
    ("concurrent_audit_appends_without_gaps", audit::concurrent_appends),
    ("acme_account_roundtrip", acme::account_roundtrip),
    ("acme_duplicate_account_writes_nothing", acme::duplicate_account_refused),
    ("acme_eab_keys_single_use", acme::eab_keys_single_use),
    ("acme_concurrent_eab_use_one_wins", acme::concurrent_eab_use_one_wins),
    ("acme_key_change_moves_the_index", acme::key_change_moves_the_index),
    ("acme_order_and_authz_roundtrip", acme::order_and_authz_roundtrip),
    ("acme_update_order_and_authz", acme::update_order_and_authz),
    ("acme_orders_of_account_in_order", acme::orders_of_account_in_order),
    (
        "acme_replaces_conflict_unless_invalid",
        acme::replaces_conflict_unless_invalid,
    ),
    ("acme_nonce_replay_refused", acme::nonce_replay_refused),
    (
        "acme_purge_removes_only_the_expired",
        acme::purge_removes_only_the_expired,
    ),
];

/// Runs every case in [`CASES`] against a fresh backend from `make`.
pub fn run_all(make: MakeIndex<'_>) {
    for (name, case) in CASES {
        // Shown by the test harness when a later assertion fails.
        eprintln!("store conformance: {name}");
        let index = make();
        case(index.as_ref());
    }
}

/// Writes to every table, closes, reopens (through `open`, which must open the same,
/// initially empty database each call) and checks that nothing was lost and every counter
/// (request ids, audit sequence, sequential serials) continues where it stopped.
pub fn run_reopen(open: OpenIndex<'_>) {
    eprintln!("store conformance: reopen_keeps_everything");
    reopen::keeps_everything(open);
}

/// A plausible certificate record; only fields the index looks at vary between cases.
fn record(issuer: &str, serial: &[u8], issued_at: i64) -> CertRecord {
    CertRecord {
        issuer: issuer.to_owned(),
        serial: serial.to_vec(),
        der: vec![0x30, 0x03, 0x02, 0x01, serial.last().copied().unwrap_or(0)],
        subject: format!("CN=host{issued_at}.example.com,O=Example"),
        sans: vec![format!("DNS:host{issued_at}.example.com")],
        profile: "server".to_owned(),
        not_before: issued_at,
        not_after: issued_at + 90 * 86_400,
        issued_at,
        request_id: None,
        revocation: None,
    }
}

/// A plausible enrollment request; `n` makes it distinguishable.
fn new_request(n: u64) -> NewRequest {
    NewRequest {
        template: "WebServer".to_owned(),
        csr: vec![0x30, 0x03, 0x02, 0x01, (n % 256) as u8],
        days: Some(90),
        subject: format!("CN=host{n}.example.com"),
        sans: vec![format!("DNS:host{n}.example.com")],
        source: "api".to_owned(),
        submitter: Some(format!("CN=client{n}")),
        submitted_at: 1_700_000_000 + i64::try_from(n).unwrap_or(0),
    }
}

/// An administrator; `name` is both the CN and the seed of the fingerprint.
fn actor(name: &str) -> Actor {
    Actor {
        subject: format!("CN={name}"),
        fingerprint: format!("{:0>64}", hex_of(name)),
    }
}

/// Lowercase hex of `s`, for fake fingerprints.
fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// An unused token for `template`, keyed by `hash`.
fn token(hash: &str) -> TokenRecord {
    TokenRecord {
        hash: hash.to_owned(),
        template: "WebServer".to_owned(),
        cn: Some("host1.example.com".to_owned()),
        sans: vec!["DNS:www.example.com".to_owned()],
        created_at: 1_700_000_000,
        expires_at: 1_700_086_400,
        created_by: "CN=alice".to_owned(),
        used_by_request: None,
    }
}

/// An audit event; `n` lands in the details so entries differ.
fn event(n: u64) -> AuditEvent {
    AuditEvent {
        at: 1_700_000_000 + i64::try_from(n).unwrap_or(0),
        actor: actor("alice"),
        action: "request.approve".to_owned(),
        details: serde_json::json!({ "request_id": n, "note": "ok", "nested": { "b": [1, 2], "a": null } }),
    }
}
