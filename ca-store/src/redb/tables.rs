//! The redb tables behind [`super::RedbIndex`], their key layout, the record encoding and
//! the storage format marker.
//!
//! Certificates, requests, tokens, the audit log and the ACME state share one database
//! file, so a write that touches several of them (issuing a queued request, using a token)
//! is one transaction.
//!
//! Certificates are stored under an insertion sequence number rather than under their
//! (random) serial: a group commit then appends its records to the last leaf pages of
//! [`CERTS`] and [`CERTS_BY_ISSUED`] instead of rewriting a random page per record, and
//! only the small entries of [`CERTS_BY_SERIAL`] land at random places.

use ::redb::{ReadableTable, TableDefinition, TableHandle, WriteTransaction};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::StoreError;
use crate::record::{serial_to_hex, CertRecord};

/// The storage format this build reads and writes, kept in [`META`] under [`FORMAT_KEY`].
/// Raise it whenever a table's key or value layout changes; [`check_format`] then refuses
/// older files with a message instead of misreading them.
///
/// Format 1: the tables below, binary records ([`encode_binary`]). The unmarked format 0
/// (JSON records keyed by issuer and serial) was never deployed and is not migrated.
/// The ACME tables were added to format 1 without raising it: they change no existing
/// table, a file without them gets them when opened ([`check_format`]), and an older build
/// ignores them.
pub(crate) const FORMAT: u64 = 1;

/// What [`META`] says about the database as a whole.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// [`META`] key of [`FORMAT`].
pub(crate) const FORMAT_KEY: &str = "format";

/// Insertion sequence number (1, 2, 3, ...) -> the [`CertRecord`], [`encode_binary`]d.
pub(crate) const CERTS: TableDefinition<u64, &[u8]> = TableDefinition::new("certs");

/// (significant serial bytes, issuer) -> the record's [`CERTS`] sequence number.
///
/// The serial in the key has its leading zero bytes stripped: X.509 compares serials as
/// numbers, and a caller who parsed `8F01` from `openssl x509 -serial` must find the
/// record whose DER content bytes are `00 8F 01`. The record itself keeps the exact bytes.
/// This table is where an insert checks serial uniqueness, where [`crate::CertIndex::get`]
/// finds a record, and, because keys sort by serial first, where
/// [`crate::CertIndex::find_serial`] finds every issuer's record with one serial.
pub(crate) const CERTS_BY_SERIAL: TableDefinition<(&[u8], &str), u64> = TableDefinition::new("certs_by_serial");

/// (issued_at, sequence number) -> (serial sort key, issuer): the list order, so a listing
/// with a limit stops early instead of loading and sorting every record. Records issued in
/// the same second are put in serial order by the reader (from the value, without loading
/// them); keying by sequence number keeps the writes of a busy second appending.
pub(crate) const CERTS_BY_ISSUED: TableDefinition<(i64, u64), (&[u8], &str)> = TableDefinition::new("certs_by_issued");

/// issuer -> the next sequential serial to hand out.
pub(crate) const SERIAL_COUNTERS: TableDefinition<&str, u128> = TableDefinition::new("serial_counters");

/// request id -> the [`crate::queue::RequestRecord`], [`encode_binary`]d. Ids ascend with
/// submission time, so key order is the "oldest first" order of listings.
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

/// token hash (hex) -> the [`crate::tokens::TokenRecord`], [`encode_binary`]d.
pub(crate) const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens");

/// seq -> JSON of the [`crate::audit::AuditEntry`]. Append-only: nothing in the store ever
/// rewrites or removes a row (only the hidden test helpers do, to prove it is noticed).
/// JSON, unlike the other tables: an entry's free-form `details` need a self-describing
/// encoding, and its hash is verified against what is read back. Appends are rare and off
/// the issuance path, so the size does not matter.
pub(crate) const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// [`AUDIT_HEAD_KEY`] -> (seq, hex hash) of the last appended entry. Appends chain from
/// here, never from the rows, so a damaged row cannot stop the log; and verification
/// compares the last row with it, which is what reveals rows removed from the end.
pub(crate) const AUDIT_HEAD: TableDefinition<&str, (u64, &str)> = TableDefinition::new("audit_head");

/// The one key of [`AUDIT_HEAD`].
pub(crate) const AUDIT_HEAD_KEY: &str = "head";

/// ACME account id -> the [`crate::acme::AcmeAccount`], [`encode_binary`]d.
pub(crate) const ACME_ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("acme_accounts");

/// (endpoint, key thumbprint) -> account id: finds the account of a JWS signed with a `jwk`,
/// and is where one key per endpoint is enforced. Moved by a key change.
pub(crate) const ACME_ACCOUNT_KEYS: TableDefinition<(&str, &str), &str> = TableDefinition::new("acme_account_keys");

/// EAB key id -> the [`crate::acme::EabKey`], [`encode_binary`]d. Administrators create few,
/// so listing one endpoint's reads them all rather than keeping an index.
pub(crate) const ACME_EAB_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("acme_eab_keys");

/// Order id -> the [`crate::acme::AcmeOrder`], [`encode_binary`]d.
pub(crate) const ACME_ORDERS: TableDefinition<&str, &[u8]> = TableDefinition::new("acme_orders");

/// (account id, created_at, order id) -> (): an account's orders oldest first without
/// reading other accounts' (orders of one second come in id order). Derived from the
/// record alone, so removing an order needs nothing else.
pub(crate) const ACME_ORDERS_BY_ACCOUNT: TableDefinition<(&str, i64, &str), ()> =
    TableDefinition::new("acme_orders_by_account");

/// (expires, order id) -> () for the orders a purge may remove once expired: those not
/// `valid` or `processing`. Kept in step with each order's status, so a purge reads only
/// what it removes and never walks the valid orders that stay forever.
pub(crate) const ACME_ORDERS_BY_EXPIRY: TableDefinition<(i64, &str), ()> =
    TableDefinition::new("acme_orders_by_expiry");

/// Authorization id -> the [`crate::acme::AcmeAuthz`] with its challenges, [`encode_binary`]d.
pub(crate) const ACME_AUTHZS: TableDefinition<&str, &[u8]> = TableDefinition::new("acme_authzs");

/// (authorization id, order id) -> (): which orders list an authorization. A server may
/// reuse a valid authorization in a later order; purging one order then removes the
/// authorization only once no remaining order lists it.
pub(crate) const ACME_AUTHZ_ORDERS: TableDefinition<(&str, &str), ()> = TableDefinition::new("acme_authz_orders");

/// ARI certID (`AKI.serial`) -> id of the order that replaces that certificate (RFC 9773).
pub(crate) const ACME_REPLACES: TableDefinition<&str, &str> = TableDefinition::new("acme_replaces");

/// Used nonce -> the unix second after which the server refuses it anyway.
pub(crate) const ACME_NONCES: TableDefinition<&str, i64> = TableDefinition::new("acme_nonces");

/// (expires_at, nonce) -> (): what a purge removes, in expiry order, without a scan.
pub(crate) const ACME_NONCES_BY_EXPIRY: TableDefinition<(i64, &str), ()> =
    TableDefinition::new("acme_nonces_by_expiry");

/// First byte of every [`encode_binary`] value: the version of the encoding that follows,
/// so one record layout can be read next to a newer one later. A JSON record of format 0
/// starts with `{` and is refused by it.
const RECORD_V1: u8 = 1;

/// The serial without leading zero bytes: the canonical form used in every key.
pub(crate) fn significant(serial: &[u8]) -> &[u8] {
    let first = serial.iter().position(|&b| b != 0).unwrap_or(serial.len());
    &serial[first..]
}

/// Rejects issuer names containing NUL: keys are tuples and would cope, but the other
/// backends and the demoCA export may not, so the store refuses them everywhere alike.
pub(crate) fn check_issuer(issuer: &str) -> Result<(), StoreError> {
    if issuer.contains('\0') {
        return Err(StoreError::InvalidIssuer {
            issuer: issuer.to_owned(),
        });
    }
    Ok(())
}

/// Encodes a certificate record for [`CERTS`].
pub(crate) fn encode(rec: &CertRecord) -> Result<Vec<u8>, StoreError> {
    encode_binary(rec).map_err(|e| {
        StoreError::Corrupt(format!(
            "cannot encode issuer {:?} serial {}: {e}",
            rec.issuer,
            rec.serial_hex()
        ))
    })
}

/// Decodes a [`CERTS`] value; `issuer` and `serial` only name it in the error.
pub(crate) fn decode(issuer: &str, serial: &[u8], value: &[u8]) -> Result<CertRecord, StoreError> {
    decode_binary(value)
        .map_err(|e| StoreError::Corrupt(format!("issuer {issuer:?} serial {}: {e}", serial_to_hex(serial))))
}

/// The compact encoding of records: [`RECORD_V1`], then postcard (varints, byte strings
/// as length + bytes). A 700-byte certificate makes a record of about 850 bytes, where
/// JSON (which writes bytes as arrays of decimal numbers) took about 2,500.
pub(crate) fn encode_binary<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(1024);
    out.push(RECORD_V1);
    postcard::to_io(value, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Decodes what [`encode_binary`] wrote; refuses other versions and trailing bytes.
pub(crate) fn decode_binary<T: DeserializeOwned>(value: &[u8]) -> Result<T, String> {
    match value.split_first() {
        Some((&RECORD_V1, body)) => {
            let (decoded, rest) = postcard::take_from_bytes(body).map_err(|e| e.to_string())?;
            if rest.is_empty() {
                Ok(decoded)
            } else {
                Err(format!("{} unexpected bytes after the record", rest.len()))
            }
        }
        Some((version, _)) => Err(format!(
            "unknown record encoding {version:#04x} (this privca reads {RECORD_V1:#04x})"
        )),
        None => Err("empty record".to_owned()),
    }
}

/// Encodes a request or token; `what` names it in the error.
pub(crate) fn encode_value<T: Serialize>(what: &dyn std::fmt::Display, value: &T) -> Result<Vec<u8>, StoreError> {
    encode_binary(value).map_err(|e| StoreError::Corrupt(format!("cannot encode {what}: {e}")))
}

/// Decodes what [`encode_value`] stored; `what` names it in the error.
pub(crate) fn decode_value<T: DeserializeOwned>(what: &dyn std::fmt::Display, value: &[u8]) -> Result<T, StoreError> {
    decode_binary(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Encodes an audit entry as JSON; `what` names it in the error.
pub(crate) fn encode_json<T: Serialize>(what: &dyn std::fmt::Display, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(format!("cannot encode {what}: {e}")))
}

/// Decodes what [`encode_json`] stored; `what` names it in the error.
pub(crate) fn decode_json<T: DeserializeOwned>(what: &dyn std::fmt::Display, value: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Makes sure the file holds this build's storage [`FORMAT`]: a new (empty) database gets
/// every table and the marker; a database of another format, or one without the marker
/// but with tables (written before markers existed), is refused with a message saying so,
/// and nothing is written. `path` only names the file in that message.
pub(crate) fn check_format(txn: &WriteTransaction, path: &std::path::Path) -> Result<(), StoreError> {
    let refuse = |found: &str| {
        StoreError::Database(format!(
            "{} holds privca index storage format {found}, but this privca reads format {FORMAT} only; \
             it was written by another privca version and is not read, to avoid misreading it",
            path.display()
        ))
    };
    let stored = match txn.open_table(META) {
        Ok(meta) => meta.get(FORMAT_KEY)?.map(|v| v.value()),
        // A META of other key/value types is not ours either.
        Err(::redb::TableError::TableTypeMismatch { .. }) => return Err(refuse("unknown (foreign meta table)")),
        Err(e) => return Err(e.into()),
    };
    match stored {
        // Files written before the ACME tables existed get them now (a no-op otherwise).
        Some(FORMAT) => create_acme(txn),
        Some(other) => Err(refuse(&other.to_string())),
        None => {
            let mut others = txn.list_tables()?.filter(|t| t.name() != META.name());
            if others.next().is_some() {
                return Err(refuse("0 (no format marker)"));
            }
            create_all(txn)?;
            txn.open_table(META)?.insert(FORMAT_KEY, FORMAT)?;
            Ok(())
        }
    }
}

/// Creates every table, so read transactions never meet a missing one.
fn create_all(txn: &WriteTransaction) -> Result<(), StoreError> {
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
    create_acme(txn)
}

/// Creates the ACME tables where missing: every new file gets them, and so does a format 1
/// file written before they existed.
fn create_acme(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(ACME_ACCOUNTS)?;
    txn.open_table(ACME_ACCOUNT_KEYS)?;
    txn.open_table(ACME_EAB_KEYS)?;
    txn.open_table(ACME_ORDERS)?;
    txn.open_table(ACME_ORDERS_BY_ACCOUNT)?;
    txn.open_table(ACME_ORDERS_BY_EXPIRY)?;
    txn.open_table(ACME_AUTHZS)?;
    txn.open_table(ACME_AUTHZ_ORDERS)?;
    txn.open_table(ACME_REPLACES)?;
    txn.open_table(ACME_NONCES)?;
    txn.open_table(ACME_NONCES_BY_EXPIRY)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_records_are_compact() {
        let rec = CertRecord {
            issuer: "default".to_owned(),
            serial: vec![0x4F; 16],
            der: vec![0x30; 706],
            subject: "CN=host00001.bench.example,O=privca bench".to_owned(),
            sans: vec!["DNS:host00001.bench.example".to_owned()],
            profile: "WebServer".to_owned(),
            not_before: 1_700_000_000,
            not_after: 1_731_536_000,
            issued_at: 1_700_000_000,
            request_id: Some(7),
            revocation: None,
        };
        let encoded = encode(&rec).unwrap();
        assert!(encoded.len() < 850, "{} bytes", encoded.len());
        assert_eq!(decode("default", &rec.serial, &encoded).unwrap(), rec);
    }

    #[test]
    fn binary_roundtrip_and_version_check() {
        let encoded = encode_binary(&("x".to_owned(), 7u64)).unwrap();
        assert_eq!(encoded[0], RECORD_V1);
        assert_eq!(decode_binary::<(String, u64)>(&encoded).unwrap(), ("x".to_owned(), 7));
        let mut other = encoded.clone();
        other[0] = 2;
        assert!(decode_binary::<(String, u64)>(&other).unwrap_err().contains("0x02"));
        let json = br#"{"issuer":"default"}"#;
        assert!(decode_binary::<(String, u64)>(json).unwrap_err().contains("0x7b"));
        let mut long = encoded;
        long.push(0);
        assert!(decode_binary::<(String, u64)>(&long).is_err());
        assert!(decode_binary::<(String, u64)>(&[]).is_err());
    }
}
