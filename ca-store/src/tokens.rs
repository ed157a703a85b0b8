//! One-time enrollment tokens: an administrator authorises a template and a set of names; the
//! first request that presents the token (and stays within those names) uses it up. Only a
//! SHA-256 hash of the token is stored.
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// A stored token (the secret itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Hex SHA-256 of the token secret: the key.
    pub hash: String,
    pub template: String,
    /// The CN the request must carry, if set.
    pub cn: Option<String>,
    /// SANs the request may carry (the CN is implied).
    pub sans: Vec<String>,
    pub created_at: i64,
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
