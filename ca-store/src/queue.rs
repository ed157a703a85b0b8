//! The request queue: every enrollment request gets a small increasing RequestId (like AD CS),
//! waits while pending, and ends issued or denied. An issued request and its certificate are
//! committed together: [`crate::CertIndex::insert_issued`] with `request_id` set marks the
//! request issued in the same transaction, so a crash cannot leave one without the other.
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    Pending,
    Issued,
    Denied,
}

/// Who did something: an administrator's certificate subject and SHA-256 fingerprint (hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub subject: String,
    pub fingerprint: String,
}

/// One administrator's approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub by: Actor,
    pub at: i64,
}

/// A denial and its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denial {
    pub by: Actor,
    pub at: i64,
    pub reason: String,
}

/// A request as first submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequest {
    /// Template name.
    pub template: String,
    /// The CSR, DER.
    pub csr: Vec<u8>,
    /// Requested validity in days, if any.
    pub days: Option<i64>,
    /// Requested subject and SANs (display form, for queue listings).
    pub subject: String,
    pub sans: Vec<String>,
    /// Front door: "api", "acme:<endpoint>", "renewal".
    pub source: String,
    /// Who submitted, when known (token id, client certificate subject, ACME account).
    pub submitter: Option<String>,
    pub submitted_at: i64,
}

/// A stored request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub id: u64,
    pub status: RequestStatus,
    pub request: NewRequest,
    pub approvals: Vec<Approval>,
    pub denial: Option<Denial>,
    /// Set when issued: the certificate's issuer and serial (INTEGER content bytes).
    pub issued: Option<(String, Vec<u8>)>,
}

/// The narrow storage trait of the approval queue.
pub trait RequestQueue: Send + Sync {
    /// Stores a new pending request under the next id (1, 2, 3, ...; never reused), durably.
    /// With `token_hash`, the enrollment token is used up by this request in the same
    /// transaction: `Conflict` if it was already used, `TokenNotFound` if absent, and then
    /// nothing is written.
    fn submit(&self, req: NewRequest, token_hash: Option<&str>) -> Result<RequestRecord, StoreError>;
    /// One request.
    fn get_request(&self, id: u64) -> Result<Option<RequestRecord>, StoreError>;
    /// Requests with this status (all when `None`), oldest first, at most `limit`.
    fn list_requests(&self, status: Option<RequestStatus>, limit: Option<usize>) -> Result<Vec<RequestRecord>, StoreError>;
    /// Adds an approval to a pending request. `Conflict` if it is not pending or this actor
    /// (same fingerprint) already approved it; nothing is written then.
    fn approve(&self, id: u64, approval: Approval) -> Result<RequestRecord, StoreError>;
    /// Denies a pending request. `Conflict` if it is not pending.
    fn deny(&self, id: u64, denial: Denial) -> Result<RequestRecord, StoreError>;
}
