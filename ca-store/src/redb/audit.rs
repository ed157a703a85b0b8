//! [`AuditLog`] for [`RedbIndex`]: the append applied by the writer thread, reads and chain
//! verification on the caller's thread, and the hidden helpers tests use to break the chain.

use ::redb::{ReadableDatabase, ReadableTable};

use super::tables::{decode_json, encode_json, AUDIT, AUDIT_HEAD, AUDIT_HEAD_KEY};
use super::writer::{try_job, Applied, Job, Tables};
use super::RedbIndex;
use crate::audit::{AuditEntry, AuditEvent, AuditLog, ChainReport, ChainVerifier, GENESIS_HASH};
use crate::error::StoreError;

impl AuditLog for RedbIndex {
    fn append(&self, event: AuditEvent) -> Result<AuditEntry, StoreError> {
        self.write(|done| Job::Append { event, done })
    }

    fn entries(&self, from: u64, limit: Option<usize>) -> Result<Vec<AuditEntry>, StoreError> {
        let txn = self.db.begin_read()?;
        let audit = txn.open_table(AUDIT)?;
        let mut found = Vec::new();
        for entry in audit.range(from..)?.take(limit.unwrap_or(usize::MAX)) {
            let (seq, value) = entry?;
            found.push(decode_entry(seq.value(), value.value())?);
        }
        Ok(found)
    }

    fn verify_chain(&self) -> Result<ChainReport, StoreError> {
        // One read transaction: a snapshot, so appends running meanwhile cannot make the
        // rows and the head disagree.
        let txn = self.db.begin_read()?;
        let audit = txn.open_table(AUDIT)?;
        let mut verifier = ChainVerifier::default();
        for entry in audit.iter()? {
            let (seq, value) = entry?;
            let seq = seq.value();
            verifier.push(seq, decode_entry(seq, value.value()).map_err(|e| e.to_string()));
        }
        let head = txn.open_table(AUDIT_HEAD)?.get(AUDIT_HEAD_KEY)?.map(|v| {
            let (seq, hash) = v.value();
            (seq, hash.to_owned())
        });
        Ok(verifier.finish(head))
    }
}

/// Decodes an [`AUDIT`] value stored under `seq`.
fn decode_entry(seq: u64, value: &[u8]) -> Result<AuditEntry, StoreError> {
    decode_json(&format_args!("audit entry {seq}"), value)
}

/// Seals `event` after the recorded head and stores it as the new head.
pub(super) fn append(tables: &mut Tables<'_>, event: &AuditEvent) -> Applied<AuditEntry> {
    let (seq, prev_hash) = match tables.audit_head()?.get(AUDIT_HEAD_KEY)? {
        Some(head) => {
            let (seq, hash) = head.value();
            (seq.checked_add(1), hash.to_owned())
        }
        None => (Some(1), GENESIS_HASH.to_owned()),
    };
    let seq = try_job!(seq.ok_or_else(|| StoreError::Conflict("the audit log is full".to_owned())));
    let entry = try_job!(AuditEntry::seal(seq, event.clone(), &prev_hash));
    let encoded = try_job!(encode_json(&format_args!("audit entry {seq}"), &entry));
    // Verification recomputes the hash from the stored JSON; refuse an entry whose hash
    // would not survive that (serde_json can misread an extreme float by one bit), rather
    // than store one that later reports the log as tampered with.
    let read_back = try_job!(decode_entry(seq, &encoded));
    if try_job!(read_back.expected_hash()) != entry.hash {
        return Ok(Err(StoreError::Conflict(format!(
            "audit event {:?} cannot be stored verifiably: a number in its details changes when read back",
            event.action
        ))));
    }
    if tables.audit()?.get(seq)?.is_some() {
        return Ok(Err(StoreError::Corrupt(format!(
            "audit entry {seq} exists although the log ends at entry {}",
            seq - 1
        ))));
    }
    tables.audit()?.insert(seq, encoded.as_slice())?;
    tables
        .audit_head()?
        .insert(AUDIT_HEAD_KEY, (seq, entry.hash.as_str()))?;
    Ok(Ok(entry))
}

/// Test support: break the audit chain the way an intruder with write access to the
/// database file would, so tests (here and end-to-end through `ca-cli audit verify`) can
/// prove [`AuditLog::verify_chain`] notices. Never called by the CA itself.
///
/// Each helper commits its own durable write transaction (redb serializes it with the
/// writer thread). With the server stopped, a test can instead open the CA home's index
/// with [`RedbIndex::open`], call these, drop it, then run the CLI.
impl RedbIndex {
    /// Replaces the event of audit entry `seq`, keeping its stored `prev_hash` and `hash`:
    /// an in-place edit of the content. `verify_chain` then reports entry `seq`.
    #[doc(hidden)]
    pub fn tamper_audit_entry_for_tests(&self, seq: u64, new_event: AuditEvent) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut audit = txn.open_table(AUDIT)?;
            let mut entry = match audit.get(seq)? {
                Some(value) => decode_entry(seq, value.value())?,
                None => return Err(StoreError::Conflict(format!("there is no audit entry {seq}"))),
            };
            entry.event = new_event;
            let encoded = encode_json(&format_args!("audit entry {seq}"), &entry)?;
            audit.insert(seq, encoded.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Deletes audit entry `seq` (the head record is left alone, as an intruder who knows
    /// only the entries would). `verify_chain` then reports entry `seq` as missing.
    #[doc(hidden)]
    pub fn remove_audit_entry_for_tests(&self, seq: u64) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        let removed = txn.open_table(AUDIT)?.remove(seq)?.is_some();
        if !removed {
            return Err(StoreError::Conflict(format!("there is no audit entry {seq}")));
        }
        txn.commit()?;
        Ok(())
    }
}
