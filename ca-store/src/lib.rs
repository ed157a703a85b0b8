//! privca persistence: narrow storage traits, the redb backend, and the CA home on disk.
pub mod home;

pub mod conformance;
pub mod democa;
pub mod error;
pub mod index;
pub mod record;
pub mod redb;

pub use crate::redb::RedbIndex;
pub use error::StoreError;
pub use index::{CertFilter, CertIndex};
pub use record::{serial_to_hex, CertRecord, CertStatus, Revocation};
