//! One-time enrollment tokens: an administrator authorises a template and a set of names; the
//! first request that presents the token (and stays within those names) uses it up. Only a
//! SHA-256 hash of the token is stored.
//!
//! The store checks existence and single use only; expiry, template and names are checked by
//! the caller against [`TokenRecord`] before it submits (the store reads no clock). Using the
//! token up happens in [`crate::queue::RequestQueue::submit`], atomically with storing the
//! request, so two requests racing with one token cannot both get in.
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// A stored token (the secret itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Hex SHA-256 of the token secret: the key.
    pub hash: String,
    /// The template a request with this token must use.
    pub template: String,
    /// The CN the request must carry, if set.
    pub cn: Option<String>,
    /// SANs the request may carry (the CN is implied).
    pub sans: Vec<String>,
    /// When it was created, unix seconds.
    pub created_at: i64,
    /// When it stops being accepted, unix seconds.
    pub expires_at: i64,
    /// Who created it (admin subject).
    pub created_by: String,
    /// Set when used: the request id it was used for.
    pub used_by_request: Option<u64>,
}

/// The narrow storage trait of enrollment tokens.
pub trait TokenStore: Send + Sync {
    /// Stores a new token durably. `Conflict` if the hash exists.
    fn create_token(&self, token: TokenRecord) -> Result<(), StoreError>;
    /// The token with this hash, used or not.
    fn get_token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;
}
