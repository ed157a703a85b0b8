//! [`TokenStore`] for [`RedbIndex`], and the write half that uses a token up when a request
//! presents it (applied by the writer thread inside the submission's transaction).

use ::redb::{ReadableDatabase, ReadableTable};

use super::tables::{decode_value, encode_value, TOKENS};
use super::writer::{try_job, Applied, Job, Tables};
use super::RedbIndex;
use crate::error::StoreError;
use crate::tokens::{TokenRecord, TokenStore};

impl TokenStore for RedbIndex {
    fn create_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.write(|done| Job::CreateToken { token, done })
    }

    fn get_token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let tokens = txn.open_table(TOKENS)?;
        let found = tokens.get(hash)?;
        found.map(|value| decode_token(value.value())).transpose()
    }
}

/// Decodes a [`TOKENS`] value. The hash is not named in errors: it is as good as the secret
/// for looking the token up, so it stays out of logs.
fn decode_token(value: &[u8]) -> Result<TokenRecord, StoreError> {
    decode_value(&"an enrollment token", value)
}

/// Stores a new token unless its hash exists.
pub(super) fn create(tables: &mut Tables<'_>, token: &TokenRecord) -> Applied<()> {
    if tables.tokens()?.get(token.hash.as_str())?.is_some() {
        return Ok(Err(StoreError::Conflict(
            "an enrollment token with this secret already exists".to_owned(),
        )));
    }
    let encoded = try_job!(encode_value(&"an enrollment token", token));
    tables.tokens()?.insert(token.hash.as_str(), encoded.as_slice())?;
    Ok(Ok(()))
}

/// Checks that the token exists and is unused, and returns it marked as used by request
/// `request_id`, encoded. Writes nothing: the caller stores it once all its checks passed.
pub(super) fn use_up(tables: &mut Tables<'_>, hash: &str, request_id: u64) -> Applied<(TokenRecord, Vec<u8>)> {
    let mut token = match tables.tokens()?.get(hash)? {
        Some(value) => try_job!(decode_token(value.value())),
        None => return Ok(Err(StoreError::TokenNotFound)),
    };
    if let Some(used) = token.used_by_request {
        return Ok(Err(StoreError::Conflict(format!(
            "enrollment token already used by request {used}"
        ))));
    }
    token.used_by_request = Some(request_id);
    let encoded = try_job!(encode_value(&"an enrollment token", &token));
    Ok(Ok((token, encoded)))
}
