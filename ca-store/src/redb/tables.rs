//! The redb tables behind [`super::RedbIndex`], their key layout and the record encoding.
//!
//! Certificates, requests, tokens and the audit log share one database file, so a write
//! that touches several of them (issuing a queued request, using a token) is one
//! transaction.

use ::redb::{TableDefinition, TableError, WriteTransaction};

use crate::error::StoreError;
use crate::index::serial_sort_key;
use crate::record::{serial_to_hex, CertRecord};

/// issuer + 0x00 + significant serial bytes -> JSON of the [`CertRecord`].
///
/// The serial in the key has its leading zero bytes stripped: X.509 compares serials as
/// numbers, and a caller who parsed `8F01` from `openssl x509 -serial` must find the
/// record whose DER content bytes are `00 8F 01`. The record itself keeps the exact bytes.
/// JSON is the simplest self-describing encoding; a compact binary one can replace it
/// behind this module without touching callers.
pub(crate) const CERTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("certs");

/// (significant serial bytes, issuer) -> (): answers "which issuers used this serial"
/// without scanning every record.
pub(crate) const CERTS_BY_SERIAL: TableDefinition<(&[u8], &str), ()> = TableDefinition::new("certs_by_serial");

/// (issued_at, serial sort key, issuer) -> (): the list order, so a listing with a
/// limit stops early instead of loading and sorting every record.
pub(crate) const CERTS_BY_ISSUED: TableDefinition<(i64, &[u8], &str), ()> = TableDefinition::new("certs_by_issued");

/// issuer -> the next sequential serial to hand out.
pub(crate) const SERIAL_COUNTERS: TableDefinition<&str, u128> = TableDefinition::new("serial_counters");

/// request id -> JSON of the [`crate::queue::RequestRecord`]. Ids ascend with submission
/// time, so key order is the "oldest first" order of listings.
pub(crate) const REQUESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("requests");

/// (status name, request id) -> (): lists one status without reading the others. Kept in
/// step with [`REQUESTS`] by every write that changes a status.
pub(crate) const REQUESTS_BY_STATUS: TableDefinition<(&str, u64), ()> = TableDefinition::new("requests_by_status");

/// Named counters of the queue; see [`NEXT_REQUEST_ID`].
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");

/// [`COUNTERS`] key: the request id the next submission gets (absent means 1). A counter
/// rather than "largest id + 1" so an id is never handed out twice, whatever happens to
/// the rows.
pub(crate) const NEXT_REQUEST_ID: &str = "next_request_id";

/// token hash (hex) -> JSON of the [`crate::tokens::TokenRecord`].
pub(crate) const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens");

/// seq -> JSON of the [`crate::audit::AuditEntry`]. Append-only: nothing in the store ever
/// rewrites or removes a row (only the hidden test helpers do, to prove it is noticed).
pub(crate) const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// [`AUDIT_HEAD_KEY`] -> (seq, hex hash) of the last appended entry. Appends chain from
/// here, never from the rows, so a damaged row cannot stop the log; and verification
/// compares the last row with it, which is what reveals rows removed from the end.
pub(crate) const AUDIT_HEAD: TableDefinition<&str, (u64, &str)> = TableDefinition::new("audit_head");

/// The one key of [`AUDIT_HEAD`].
pub(crate) const AUDIT_HEAD_KEY: &str = "head";

/// The serial without leading zero bytes: the canonical form used in every key.
pub(crate) fn significant(serial: &[u8]) -> &[u8] {
    let first = serial.iter().position(|&b| b != 0).unwrap_or(serial.len());
    &serial[first..]
}

/// Rejects issuer names that would make the `issuer + 0x00 + serial` key ambiguous.
pub(crate) fn check_issuer(issuer: &str) -> Result<(), StoreError> {
    if issuer.contains('\0') {
        return Err(StoreError::InvalidIssuer {
            issuer: issuer.to_owned(),
        });
    }
    Ok(())
}

/// The [`CERTS`] key of one certificate.
pub(crate) fn cert_key(issuer: &str, serial: &[u8]) -> Result<Vec<u8>, StoreError> {
    check_issuer(issuer)?;
    let serial = significant(serial);
    let mut key = Vec::with_capacity(issuer.len() + 1 + serial.len());
    key.extend_from_slice(issuer.as_bytes());
    key.push(0);
    key.extend_from_slice(serial);
    Ok(key)
}

/// The [`CERTS_BY_ISSUED`] key parts of a record (issuer is the third part).
pub(crate) fn issued_key(rec: &CertRecord) -> (i64, Vec<u8>) {
    (rec.issued_at, serial_sort_key(&rec.serial))
}

/// Undoes [`crate::index::serial_sort_key`]: the significant serial bytes.
pub(crate) fn serial_from_sort_key(sort_key: &[u8]) -> &[u8] {
    sort_key.get(2..).unwrap_or_default()
}

/// Encodes a record for [`CERTS`].
pub(crate) fn encode(rec: &CertRecord) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(rec).map_err(|e| {
        StoreError::Corrupt(format!(
            "cannot encode issuer {:?} serial {}: {e}",
            rec.issuer,
            rec.serial_hex()
        ))
    })
}

/// Decodes a [`CERTS`] value; `issuer` and `serial` only name it in the error.
pub(crate) fn decode(issuer: &str, serial: &[u8], value: &[u8]) -> Result<CertRecord, StoreError> {
    serde_json::from_slice(value)
        .map_err(|e| StoreError::Corrupt(format!("issuer {issuer:?} serial {}: {e}", serial_to_hex(serial))))
}

/// Encodes a request, token or audit entry as JSON; `what` names it in the error.
pub(crate) fn encode_json<T: serde::Serialize>(what: &dyn std::fmt::Display, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(format!("cannot encode {what}: {e}")))
}

/// Decodes what [`encode_json`] stored; `what` names it in the error.
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    what: &dyn std::fmt::Display,
    value: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Creates every table, so read transactions never meet a missing one.
pub(crate) fn create_all(txn: &WriteTransaction) -> Result<(), TableError> {
    txn.open_table(CERTS)?;
    txn.open_table(CERTS_BY_SERIAL)?;
    txn.open_table(CERTS_BY_ISSUED)?;
    txn.open_table(SERIAL_COUNTERS)?;
    txn.open_table(REQUESTS)?;
    txn.open_table(REQUESTS_BY_STATUS)?;
    txn.open_table(COUNTERS)?;
    txn.open_table(TOKENS)?;
    txn.open_table(AUDIT)?;
    txn.open_table(AUDIT_HEAD)?;
    Ok(())
}
