//! The request queue: every enrollment request gets a small increasing RequestId (like AD CS),
//! waits while pending, and ends issued or denied. An issued request and its certificate are
//! committed together: [`crate::CertIndex::insert_issued`] with `request_id` set marks the
//! request issued in the same transaction, so a crash cannot leave one without the other.
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    /// Waiting for approvals (or for the issuance that follows them).
    Pending,
    /// A certificate was issued for it; final.
    Issued,
    /// An administrator refused it; final.
    Denied,
}

impl RequestStatus {
    /// The lowercase name used in JSON, listings and messages: `"pending"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Issued => "issued",
            RequestStatus::Denied => "denied",
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who did something: an administrator's certificate subject and SHA-256 fingerprint (hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The certificate subject, for people reading listings and the audit log.
    pub subject: String,
    /// Hex SHA-256 of the certificate: the identity. Two approvals count as two people only
    /// if their fingerprints differ.
    pub fingerprint: String,
}

/// One administrator's approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Who approved.
    pub by: Actor,
    /// When, unix seconds.
    pub at: i64,
}

/// A denial and its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denial {
    /// Who denied.
    pub by: Actor,
    /// When, unix seconds.
    pub at: i64,
    /// Why, as the administrator wrote it (shown to the requester).
    pub reason: String,
}

/// A request as first submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequest {
    /// Template name.
    pub template: String,
    /// The CSR, DER.
    #[serde(with = "serde_bytes")]
    pub csr: Vec<u8>,
    /// Requested validity in days, if any.
    pub days: Option<i64>,
    /// Requested subject (display form, for queue listings).
    pub subject: String,
    /// Requested SANs (display form, for queue listings).
    pub sans: Vec<String>,
    /// Front door: `"api"`, `"acme:<endpoint>"`, `"renewal"`.
    pub source: String,
    /// Who submitted, when known (token id, client certificate subject, ACME account).
    pub submitter: Option<String>,
    /// When it was submitted, unix seconds.
    pub submitted_at: i64,
}

/// A stored request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The RequestId: 1, 2, 3, ... in submission order, never reused.
    pub id: u64,
    /// Where it stands.
    pub status: RequestStatus,
    /// What was asked for.
    pub request: NewRequest,
    /// Approvals so far, oldest first; at most one per administrator fingerprint.
    pub approvals: Vec<Approval>,
    /// Set when denied.
    pub denial: Option<Denial>,
    /// Set when issued: the certificate's issuer and serial (INTEGER content bytes).
    pub issued: Option<(String, Vec<u8>)>,
}

impl RequestRecord {
    /// Whether the administrator with this certificate fingerprint already approved it.
    pub fn approved_by(&self, fingerprint: &str) -> bool {
        self.approvals.iter().any(|a| a.by.fingerprint == fingerprint)
    }

    /// `Ok` if the request is still pending; otherwise the [`StoreError::Conflict`] that a
    /// change to it must fail with. Shared by all backends so they word it the same way.
    pub fn require_pending(&self) -> Result<(), StoreError> {
        if self.status == RequestStatus::Pending {
            return Ok(());
        }
        Err(StoreError::Conflict(format!(
            "request {} is {}, not pending",
            self.id, self.status
        )))
    }
}

/// The narrow storage trait of the approval queue.
///
/// Every backend must pass [`crate::conformance::run_all`]. Writes are durable before they
/// return; a write that fails (`Conflict`, `RequestNotFound`, ...) changes nothing.
pub trait RequestQueue: Send + Sync {
    /// Stores a new pending request under the next id (1, 2, 3, ...; never reused), durably.
    /// With `token_hash`, the enrollment token is used up by this request in the same
    /// transaction: `Conflict` if it was already used, `TokenNotFound` if absent, and then
    /// nothing is written.
    fn submit(&self, req: NewRequest, token_hash: Option<&str>) -> Result<RequestRecord, StoreError>;
    /// One request.
    fn get_request(&self, id: u64) -> Result<Option<RequestRecord>, StoreError>;
    /// Requests with this status (all when `None`), oldest first, at most `limit`.
    fn list_requests(
        &self,
        status: Option<RequestStatus>,
        limit: Option<usize>,
    ) -> Result<Vec<RequestRecord>, StoreError>;
    /// Adds an approval to a pending request. `Conflict` if it is not pending or this actor
    /// (same fingerprint) already approved it; nothing is written then.
    /// `RequestNotFound` if there is no such request.
    fn approve(&self, id: u64, approval: Approval) -> Result<RequestRecord, StoreError>;
    /// Denies a pending request. `Conflict` if it is not pending.
    /// `RequestNotFound` if there is no such request.
    fn deny(&self, id: u64, denial: Denial) -> Result<RequestRecord, StoreError>;
}
