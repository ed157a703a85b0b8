//! The audit log: append-only and hash-chained. Entry n stores SHA-256(hash of entry n-1 ||
//! canonical bytes of entry n), so editing or removing any entry breaks every later link and
//! [`AuditLog::verify_chain`] reports where.
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::queue::Actor;

/// What happened, before it is sealed into the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: i64,
    pub actor: Actor,
    /// Short verb: "request.approve", "request.deny", "cert.revoke", "token.create", ...
    pub action: String,
    /// What it was done to and with what outcome, as JSON.
    pub details: serde_json::Value,
}

/// A sealed entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3, ... without gaps.
    pub seq: u64,
    pub event: AuditEvent,
    /// Hex SHA-256 of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 over `prev_hash` and the canonical JSON of (seq, event).
    pub hash: String,
}

/// Result of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub entries: u64,
    /// The first broken entry and why, if any.
    pub broken: Option<(u64, String)>,
}

/// The narrow storage trait of the audit log.
pub trait AuditLog: Send + Sync {
    /// Seals and durably appends one event.
    fn append(&self, event: AuditEvent) -> Result<AuditEntry, StoreError>;
    /// Entries with `seq >= from`, in order, at most `limit`.
    fn entries(&self, from: u64, limit: Option<usize>) -> Result<Vec<AuditEntry>, StoreError>;
    /// Recomputes every link.
    fn verify_chain(&self) -> Result<ChainReport, StoreError>;
}
