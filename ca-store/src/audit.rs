//! The audit log: append-only and hash-chained. Entry n stores SHA-256(hash of entry n-1 ||
//! canonical bytes of entry n), so editing or removing any entry breaks every later link and
//! [`AuditLog::verify_chain`] reports where.
//!
//! The hash input is the 64 ASCII hex digits of `prev_hash` followed by the canonical JSON of
//! the pair `[seq, event]` (see [`AuditEntry::canonical_bytes`]). Both parts have a fixed
//! meaning independent of the backend, so an exported log can be checked by anyone.
//!
//! The chain proves the log was not edited *in place*; someone who can rewrite the whole
//! database can also recompute every hash. Copying [`ChainReport`]'s head hash somewhere else
//! (a ticket, a second machine) from time to time is what catches that.
//!
//! Tests that need a broken chain use `RedbIndex::tamper_audit_entry_for_tests` and
//! `RedbIndex::remove_audit_entry_for_tests` (hidden from the docs), or edit the `audit`
//! table of the redb file directly while no `RedbIndex` has it open.
use aws_lc_rs::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::queue::Actor;

/// `prev_hash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, before it is sealed into the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When, unix seconds.
    pub at: i64,
    /// Who did it.
    pub actor: Actor,
    /// Short verb: "request.approve", "request.deny", "cert.revoke", "token.create", ...
    pub action: String,
    /// What it was done to and with what outcome, as JSON.
    pub details: serde_json::Value,
}

/// A sealed entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3, ... without gaps.
    pub seq: u64,
    /// What happened.
    pub event: AuditEvent,
    /// Hex SHA-256 of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 over `prev_hash` and the canonical JSON of (seq, event).
    pub hash: String,
}

impl AuditEntry {
    /// Seals `event` as entry `seq` after the entry whose hash is `prev_hash`.
    pub fn seal(seq: u64, event: AuditEvent, prev_hash: &str) -> Result<AuditEntry, StoreError> {
        let hash = Self::compute_hash(seq, &event, prev_hash)?;
        Ok(AuditEntry {
            seq,
            event,
            prev_hash: prev_hash.to_owned(),
            hash,
        })
    }

    /// The hash this entry should carry, recomputed from its content and `prev_hash`.
    pub fn expected_hash(&self) -> Result<String, StoreError> {
        Self::compute_hash(self.seq, &self.event, &self.prev_hash)
    }

    /// The canonical JSON of `[seq, event]`: struct fields in declaration order, object keys
    /// inside `details` sorted, no whitespace. Sorting makes the bytes independent of the
    /// order the caller built `details` in (and of serde_json's `preserve_order` feature).
    pub fn canonical_bytes(seq: u64, event: &AuditEvent) -> Result<Vec<u8>, StoreError> {
        let event = AuditEvent {
            details: sorted(&event.details),
            ..event.clone()
        };
        serde_json::to_vec(&(seq, &event))
            .map_err(|e| StoreError::Corrupt(format!("audit entry {seq} cannot be encoded: {e}")))
    }

    /// Hex SHA-256 of `prev_hash` (as its ASCII hex digits) followed by the canonical bytes.
    pub fn compute_hash(seq: u64, event: &AuditEvent, prev_hash: &str) -> Result<String, StoreError> {
        let mut input = prev_hash.as_bytes().to_vec();
        input.extend_from_slice(&Self::canonical_bytes(seq, event)?);
        Ok(hex::encode(digest(&SHA256, &input)))
    }
}

/// `value` with every object's keys in sorted order, recursively.
fn sorted(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let out = keys.into_iter().map(|k| (k.clone(), sorted(&map[k]))).collect();
            serde_json::Value::Object(out)
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Result of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// How many entries are stored (all of them are read, broken or not).
    pub entries: u64,
    /// The first broken entry and why, if any.
    pub broken: Option<(u64, String)>,
}

impl ChainReport {
    /// Whether every link held.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Checks stored entries one by one, in key order, and remembers the first break.
///
/// Shared by all backends so they agree on what counts as broken and how it is worded.
/// A backend feeds it every stored entry with the sequence number it is stored under, then
/// the head it recorded at the last append (sequence number and hash), which is what reveals
/// entries removed from the end.
#[derive(Debug)]
pub struct ChainVerifier {
    next_seq: u64,
    prev_hash: String,
    entries: u64,
    broken: Option<(u64, String)>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            entries: 0,
            broken: None,
        }
    }
}

impl ChainVerifier {
    /// Checks the entry stored under `stored_seq`; `entry` is its decoded form, or why it
    /// could not be decoded.
    pub fn push(&mut self, stored_seq: u64, entry: Result<AuditEntry, String>) {
        self.entries += 1;
        if self.broken.is_some() {
            return;
        }
        if let Err(reason) = self.check(stored_seq, entry) {
            self.broken = Some(reason);
        }
    }

    fn check(&mut self, stored_seq: u64, entry: Result<AuditEntry, String>) -> Result<(), (u64, String)> {
        let expected = self.next_seq;
        if stored_seq < expected {
            // Keys ascend, so only a hand-made key 0 gets here.
            return Err((stored_seq, format!("entry {stored_seq} is out of sequence")));
        }
        if stored_seq > expected {
            return Err(missing(expected, stored_seq));
        }
        let entry = entry.map_err(|e| (stored_seq, format!("entry {stored_seq} cannot be read: {e}")))?;
        if entry.seq != stored_seq {
            let msg = format!("entry {stored_seq} says it is entry {}", entry.seq);
            return Err((stored_seq, msg));
        }
        if entry.prev_hash != self.prev_hash {
            let msg = format!(
                "entry {stored_seq} does not link to entry {}: its previous hash does not match",
                stored_seq - 1
            );
            return Err((stored_seq, msg));
        }
        let recomputed = entry.expected_hash().map_err(|e| (stored_seq, e.to_string()))?;
        if recomputed != entry.hash {
            let msg = format!("entry {stored_seq} was changed after it was written: its hash does not match");
            return Err((stored_seq, msg));
        }
        self.next_seq = stored_seq + 1;
        self.prev_hash = entry.hash;
        Ok(())
    }

    /// The report, given the head recorded at the last append (`None` if nothing was
    /// ever appended).
    pub fn finish(mut self, head: Option<(u64, String)>) -> ChainReport {
        if self.broken.is_none() {
            self.broken = self.check_head(head);
        }
        ChainReport {
            entries: self.entries,
            broken: self.broken,
        }
    }

    fn check_head(&self, head: Option<(u64, String)>) -> Option<(u64, String)> {
        let last = self.next_seq - 1;
        let (head_seq, head_hash) = match head {
            None if last == 0 => return None,
            None => return Some((1, "the log's record of its last entry is missing".to_owned())),
            Some(head) => head,
        };
        if head_seq > last {
            return Some(missing(last + 1, head_seq + 1));
        }
        if head_seq < last {
            let msg = format!(
                "entry {} was added behind the log's back: the log ends at entry {head_seq}",
                head_seq + 1
            );
            return Some((head_seq + 1, msg));
        }
        if head_hash != self.prev_hash {
            let msg = format!("entry {last} does not match the hash the log recorded for its last entry");
            return Some((last, msg));
        }
        None
    }
}

/// The break for entries `expected..found` being absent.
fn missing(expected: u64, found: u64) -> (u64, String) {
    let msg = if found == expected + 1 {
        format!("entry {expected} is missing")
    } else {
        format!("entries {expected} to {} are missing", found - 1)
    };
    (expected, msg)
}

/// The narrow storage trait of the audit log.
///
/// Every backend must pass [`crate::conformance::run_all`]; appends are durable before they
/// return and serialize with every other write, so sequence numbers have no gaps.
pub trait AuditLog: Send + Sync {
    /// Seals and durably appends one event.
    fn append(&self, event: AuditEvent) -> Result<AuditEntry, StoreError>;
    /// Entries with `seq >= from`, in order, at most `limit`.
    fn entries(&self, from: u64, limit: Option<usize>) -> Result<Vec<AuditEntry>, StoreError>;
    /// Recomputes every link.
    fn verify_chain(&self) -> Result<ChainReport, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(action: &str, details: serde_json::Value) -> AuditEvent {
        AuditEvent {
            at: 1_700_000_000,
            actor: Actor {
                subject: "CN=admin".to_owned(),
                fingerprint: "ab".repeat(32),
            },
            action: action.to_owned(),
            details,
        }
    }

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let entry = AuditEntry::seal(seq, event("x", json!({ "n": seq })), &prev).unwrap();
                prev.clone_from(&entry.hash);
                entry
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: Option<(u64, String)>) -> ChainReport {
        let mut verifier = ChainVerifier::default();
        for e in entries {
            verifier.push(e.seq, Ok(e.clone()));
        }
        verifier.finish(head)
    }

    fn head(entries: &[AuditEntry]) -> Option<(u64, String)> {
        entries.last().map(|e| (e.seq, e.hash.clone()))
    }

    #[test]
    fn key_order_of_details_does_not_change_the_hash() {
        let a = event("x", json!({"b": 1, "a": {"d": 2, "c": [ {"z": 1, "y": 2} ]}}));
        let mut b = a.clone();
        let mut map = serde_json::Map::new();
        map.insert("a".into(), json!({"c": [ {"y": 2, "z": 1} ], "d": 2}));
        map.insert("b".into(), json!(1));
        b.details = serde_json::Value::Object(map);
        let ha = AuditEntry::compute_hash(1, &a, GENESIS_HASH).unwrap();
        assert_eq!(ha, AuditEntry::compute_hash(1, &b, GENESIS_HASH).unwrap());
        assert_ne!(ha, AuditEntry::compute_hash(2, &a, GENESIS_HASH).unwrap());
        assert_eq!(ha.len(), 64);
    }

    #[test]
    fn intact_chain_verifies() {
        let entries = chain(4);
        assert_eq!(
            verify(&entries, head(&entries)),
            ChainReport {
                entries: 4,
                broken: None
            }
        );
        assert!(verify(&[], None).is_intact());
    }

    #[test]
    fn edit_removal_and_truncation_are_found() {
        let entries = chain(5);
        let mut edited = entries.clone();
        edited[2].event.details = json!({"n": 99});
        assert_eq!(verify(&edited, head(&entries)).broken.unwrap().0, 3);

        let mut resealed = entries.clone();
        resealed[2] = AuditEntry::seal(3, event("y", json!({})), &entries[1].hash).unwrap();
        assert_eq!(verify(&resealed, head(&entries)).broken.unwrap().0, 4);

        let mut removed = entries.clone();
        removed.remove(1);
        let report = verify(&removed, head(&entries));
        assert_eq!(report.broken, Some((2, "entry 2 is missing".to_owned())));
        assert_eq!(report.entries, 4);

        let truncated = &entries[..3];
        assert_eq!(verify(truncated, head(&entries)).broken.unwrap().0, 4);
        assert_eq!(verify(&entries[..0], head(&entries)).broken.unwrap().0, 1);
        assert_eq!(verify(&entries, None).broken.unwrap().0, 1);
    }
}
