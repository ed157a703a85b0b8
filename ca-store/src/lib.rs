//! privca persistence: narrow storage traits (certificate index, request queue, enrollment
//! tokens, audit log), the redb backend implementing all of them, and the CA home on disk.
pub mod home;

pub mod acme;
pub mod audit;
pub mod conformance;
pub mod democa;
pub mod error;
pub mod index;
pub mod queue;
pub mod record;
pub mod redb;
pub mod tokens;

pub use crate::redb::{CommitMode, RedbIndex};
pub use acme::{AcmeAccount, AcmeAuthz, AcmeChallenge, AcmeOrder, AcmeStore, EabKey, Purged, StoredProblem};
pub use audit::{AuditEntry, AuditEvent, AuditLog, ChainReport};
pub use error::StoreError;
pub use index::{CertFilter, CertIndex};
pub use queue::{Actor, Approval, Denial, NewRequest, RequestQueue, RequestRecord, RequestStatus};
pub use record::{serial_to_hex, CertRecord, CertStatus, Revocation};
pub use tokens::{TokenRecord, TokenStore};
