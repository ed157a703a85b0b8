//! The one error type of the store: the certificate index, the request queue, enrollment
//! tokens, the audit log, and the demoCA export.

use std::fmt::Display;

/// Everything that can go wrong storing, reading or exporting certificates, requests,
/// enrollment tokens and audit entries.
///
/// Variants carry the issuer and serial so a caller can say *which* certificate was
/// affected without re-deriving it. redb's many error types are folded into
/// [`StoreError::Database`] as text: callers cannot act on them differently, and a
/// string can be copied to every caller of a failed group commit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A certificate with this serial already exists under this issuer; nothing was written.
    #[error("issuer {issuer:?} already has a certificate with serial {serial_hex}")]
    DuplicateSerial {
        /// Issuer name inside the CA home.
        issuer: String,
        /// The serial in uppercase hex.
        serial_hex: String,
    },
    /// No certificate with this serial exists under this issuer.
    #[error("issuer {issuer:?} has no certificate with serial {serial_hex}")]
    NotFound {
        /// Issuer name inside the CA home.
        issuer: String,
        /// The serial in uppercase hex.
        serial_hex: String,
    },
    /// The issuer name cannot be stored: it would make keys ambiguous.
    #[error("issuer name {issuer:?} is not allowed: it must not contain a NUL character")]
    InvalidIssuer {
        /// The rejected issuer name.
        issuer: String,
    },
    /// The sequential serial counter of this issuer has reached its maximum.
    #[error("issuer {issuer:?} has used up its sequential serial numbers")]
    SerialExhausted {
        /// Issuer name inside the CA home.
        issuer: String,
    },
    /// The thing is in the wrong state for this change (approving an issued request, using a
    /// token twice, ...); the message says which and why, in plain words. Nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// No enrollment request has this id.
    #[error("there is no request {0}")]
    RequestNotFound(u64),
    /// No enrollment token has the presented hash (it never existed, or the secret is mistyped).
    #[error("the enrollment token does not exist")]
    TokenNotFound,
    /// No ACME object (account, EAB key, order, authorization) has this id; the message
    /// names which.
    #[error("{0}")]
    AcmeNotFound(String),
    /// The database failed (open, transaction, table, storage or commit error).
    #[error("certificate database error: {0}")]
    Database(String),
    /// A stored record (or the certificate inside it) could not be decoded.
    #[error("corrupt stored record: {0}")]
    Corrupt(String),
    /// Reading or writing a file failed.
    #[error("file input/output error: {0}")]
    Io(#[from] std::io::Error),
    /// The background writer has stopped, so nothing more can be written.
    #[error("the certificate database writer has stopped")]
    Closed,
}

impl StoreError {
    /// A copy of this error for another caller of the same failed batch.
    ///
    /// `std::io::Error` is not `Clone`, so an I/O error is copied as its text.
    pub(crate) fn duplicate(&self) -> StoreError {
        match self {
            StoreError::DuplicateSerial { issuer, serial_hex } => StoreError::DuplicateSerial {
                issuer: issuer.clone(),
                serial_hex: serial_hex.clone(),
            },
            StoreError::NotFound { issuer, serial_hex } => StoreError::NotFound {
                issuer: issuer.clone(),
                serial_hex: serial_hex.clone(),
            },
            StoreError::InvalidIssuer { issuer } => StoreError::InvalidIssuer { issuer: issuer.clone() },
            StoreError::SerialExhausted { issuer } => StoreError::SerialExhausted { issuer: issuer.clone() },
            StoreError::Conflict(msg) => StoreError::Conflict(msg.clone()),
            StoreError::RequestNotFound(id) => StoreError::RequestNotFound(*id),
            StoreError::TokenNotFound => StoreError::TokenNotFound,
            StoreError::AcmeNotFound(msg) => StoreError::AcmeNotFound(msg.clone()),
            StoreError::Database(msg) => StoreError::Database(msg.clone()),
            StoreError::Corrupt(msg) => StoreError::Corrupt(msg.clone()),
            StoreError::Io(err) => StoreError::Io(std::io::Error::new(err.kind(), err.to_string())),
            StoreError::Closed => StoreError::Closed,
        }
    }
}

/// Folds one redb error type into [`StoreError::Database`], keeping its message.
fn database(err: impl Display) -> StoreError {
    StoreError::Database(err.to_string())
}

impl From<::redb::DatabaseError> for StoreError {
    fn from(err: ::redb::DatabaseError) -> Self {
        database(err)
    }
}

impl From<::redb::TransactionError> for StoreError {
    fn from(err: ::redb::TransactionError) -> Self {
        database(err)
    }
}

impl From<::redb::TableError> for StoreError {
    fn from(err: ::redb::TableError) -> Self {
        database(err)
    }
}

impl From<::redb::StorageError> for StoreError {
    fn from(err: ::redb::StorageError) -> Self {
        database(err)
    }
}

impl From<::redb::CommitError> for StoreError {
    fn from(err: ::redb::CommitError) -> Self {
        database(err)
    }
}

impl From<::redb::SetDurabilityError> for StoreError {
    fn from(err: ::redb::SetDurabilityError) -> Self {
        database(err)
    }
}
