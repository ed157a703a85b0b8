//! ACME (RFC 8555) state: accounts, External Account Binding keys, orders, authorizations
//! (with their challenges inline), and the nonces already seen. The server owns the protocol
//! rules (ca-core's `acme` module) and the clock; the store keeps records, enforces the
//! uniqueness and single-use constraints that must hold under concurrency, and purges
//! what has expired.
//!
//! Durability: accounts and EAB keys are committed durably (an account lost in a crash
//! would strand its certificates). Orders, authorizations and seen nonces may be committed
//! without an fsync of their own (they become durable with the next durable commit, or when
//! the store is closed cleanly): a crash then loses at most a few seconds of order progress, which a client recovers from
//! by placing a new order, and every nonce issued before a restart is refused anyway
//! because the server's nonce key is per process. The certificate an order leads to is
//! always durable first (it goes through the request queue and the index).
use serde::{Deserialize, Serialize};

use ca_core::acme::order::{AccountStatus, AuthzStatus, ChallengeStatus, OrderStatus};
use ca_core::acme::Identifier;

use crate::error::StoreError;

/// A problem as stored on an order or a challenge: enough to render the RFC 7807 document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProblem {
    /// Full type URN, e.g. `urn:ietf:params:acme:error:incorrectResponse`.
    pub kind: String,
    /// Human-readable detail.
    pub detail: String,
    /// HTTP status it is answered with.
    pub status: u16,
}

/// An ACME account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeAccount {
    /// Random URL-safe id (the last segment of the account URL, the JWS `kid`).
    pub id: String,
    /// The ACME front door (endpoint name in `ca.toml`) the account belongs to.
    pub endpoint: String,
    /// RFC 7638 thumbprint of the account key: unique per endpoint.
    pub thumbprint: String,
    /// The account key as canonical JWK JSON (RFC 7638 member order).
    pub jwk: String,
    pub status: AccountStatus,
    /// `mailto:` URLs.
    pub contact: Vec<String>,
    /// The EAB key id the account was bound with, if any.
    pub eab_key_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// An External Account Binding key created by an administrator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EabKey {
    /// The `kid` the client presents.
    pub key_id: String,
    /// The HMAC key (the client holds a copy; it is a shared secret, not a hash).
    #[serde(with = "serde_bytes")]
    pub hmac_key: Vec<u8>,
    /// The endpoint it may be used on.
    pub endpoint: String,
    /// When set, orders of the bound account use this template.
    pub template: Option<String>,
    /// When not empty, orders of the bound account may only name these DNS names (or names
    /// under a `*.suffix` entry) and IP addresses.
    pub names: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds after which it is refused; `None`: no expiry.
    pub expires_at: Option<i64>,
    /// Admin subject that created it.
    pub created_by: String,
    /// Set when an account was created with it (single use).
    pub used_by_account: Option<String>,
}

/// An order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeOrder {
    /// Random URL-safe id.
    pub id: String,
    /// Owning account id.
    pub account_id: String,
    pub endpoint: String,
    pub status: OrderStatus,
    pub identifiers: Vec<Identifier>,
    /// Authorization ids, in identifier order.
    pub authz_ids: Vec<String>,
    /// The template (after profile selection) the order is issued with.
    pub template: String,
    /// The ACME profile name the client asked for, if any.
    pub profile: Option<String>,
    /// Requested notBefore / notAfter, unix seconds.
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    /// Unix seconds after which a pending/ready order is invalid.
    pub expires: i64,
    /// ARI: the certID (RFC 9773 `AKI.serial`) of the certificate this order replaces.
    pub replaces: Option<String>,
    /// The enrollment RequestId, once finalized.
    pub request_id: Option<u64>,
    /// Issuer name and serial (INTEGER content bytes) of the issued certificate.
    pub certificate: Option<(String, Vec<u8>)>,
    /// Why the order is invalid.
    pub error: Option<StoredProblem>,
    /// Unix seconds.
    pub created_at: i64,
}

/// A challenge, stored inside its authorization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeChallenge {
    /// `http-01`, `dns-01`, `tls-alpn-01`.
    pub kind: String,
    /// The random token (base64url, >= 128 bits).
    pub token: String,
    pub status: ChallengeStatus,
    /// Unix seconds of the successful validation.
    pub validated: Option<i64>,
    /// Why validation failed (or the last failed attempt while still processing).
    pub error: Option<StoredProblem>,
}

/// An authorization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeAuthz {
    /// Random URL-safe id.
    pub id: String,
    pub account_id: String,
    pub endpoint: String,
    /// The identifier without any wildcard prefix.
    pub identifier: Identifier,
    /// Whether the order asked for `*.identifier`.
    pub wildcard: bool,
    pub status: AuthzStatus,
    /// Unix seconds.
    pub expires: i64,
    pub challenges: Vec<AcmeChallenge>,
}

/// What [`AcmeStore::purge_expired`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub orders: usize,
    pub authzs: usize,
    pub nonces: usize,
}

/// The narrow storage trait of the ACME front doors. Every backend must pass
/// [`crate::conformance::run_all`] (the ACME cases are in `conformance/acme.rs`). A write
/// that fails changes nothing.
pub trait AcmeStore: Send + Sync {
    /// Stores a new account. `Conflict` if the endpoint already has an account with this
    /// thumbprint or this id. With `eab_key_id`, the EAB key is used up in the same
    /// transaction: `Conflict` if it is already used or belongs to another endpoint,
    /// `AcmeNotFound` if it does not exist; nothing is written then.
    fn create_account(&self, account: AcmeAccount, eab_key_id: Option<&str>) -> Result<(), StoreError>;
    fn get_account(&self, id: &str) -> Result<Option<AcmeAccount>, StoreError>;
    /// The account of `endpoint` whose key has this thumbprint.
    fn account_by_thumbprint(&self, endpoint: &str, thumbprint: &str) -> Result<Option<AcmeAccount>, StoreError>;
    /// Replaces an existing account (same id): contact, status, or key (key change). A new
    /// thumbprint moves the key index; `Conflict` if another account of the endpoint has it.
    /// `AcmeNotFound` if no account has this id.
    fn update_account(&self, account: AcmeAccount) -> Result<(), StoreError>;

    /// Stores a new EAB key. `Conflict` if the key id exists.
    fn create_eab_key(&self, key: EabKey) -> Result<(), StoreError>;
    fn get_eab_key(&self, key_id: &str) -> Result<Option<EabKey>, StoreError>;
    /// EAB keys of an endpoint (all when `None`), oldest first.
    fn list_eab_keys(&self, endpoint: Option<&str>) -> Result<Vec<EabKey>, StoreError>;

    /// Stores a new order and its new authorizations together. `Conflict` if an id exists,
    /// or if `order.replaces` is set and another order that is not `invalid` already
    /// replaces the same certificate (RFC 9773 alreadyReplaced; the new order then takes
    /// the invalid one's place). `order.authz_ids` may also name existing authorizations
    /// (reuse); `AcmeNotFound` if one names neither a stored authorization nor one of
    /// `authzs`, and `Conflict` if one of `authzs` is not in `order.authz_ids`.
    fn create_order(&self, order: AcmeOrder, authzs: Vec<AcmeAuthz>) -> Result<(), StoreError>;
    fn get_order(&self, id: &str) -> Result<Option<AcmeOrder>, StoreError>;
    /// Replaces an existing order. `AcmeNotFound` if missing. A changed `replaces` or
    /// `authz_ids` is checked as in [`AcmeStore::create_order`].
    fn update_order(&self, order: AcmeOrder) -> Result<(), StoreError>;
    /// Ids of an account's orders, oldest first (by `created_at`; within one second by
    /// id), at most `limit`.
    fn orders_of_account(&self, account_id: &str, limit: usize) -> Result<Vec<String>, StoreError>;
    fn get_authz(&self, id: &str) -> Result<Option<AcmeAuthz>, StoreError>;
    /// Replaces an existing authorization. `AcmeNotFound` if missing.
    fn update_authz(&self, authz: AcmeAuthz) -> Result<(), StoreError>;

    /// Records a nonce as used. `Conflict` if it was used before (a replay). `expires_at`
    /// (unix seconds) is when the server stops accepting it anyway, after which the record
    /// may be purged.
    fn consume_nonce(&self, nonce: &str, expires_at: i64) -> Result<(), StoreError>;

    /// Removes orders whose `expires` is before `now` and whose status is not `valid` or
    /// `processing`, together with their authorizations (those no remaining order lists),
    /// and nonces whose `expires_at` is before `now`. Valid orders stay: they lead clients
    /// to their certificates.
    fn purge_expired(&self, now: i64) -> Result<Purged, StoreError>;
}
