//! The certificate index as the issuance, revocation and listing paths see it.

use crate::error::StoreError;
use crate::record::{CertRecord, CertStatus, Revocation};

/// The narrow storage trait for issued certificates.
///
/// Every backend (redb now, others later) implements exactly this and must pass
/// [`crate::conformance::run_all`]. Methods take `&self` because the store owns its
/// concurrency: many request handlers call it at once.
///
/// Serials are matched as numbers: leading 0x00 bytes are ignored, so `00 8F 01` (DER
/// content bytes) and `8F 01` (parsed from `openssl x509 -serial` output) name the same
/// certificate, and inserting both under one issuer is a duplicate.
pub trait CertIndex: Send + Sync {
    /// Durably store a newly issued certificate; returns only after the commit is durable
    /// (fsync'd). Fails with [`StoreError::DuplicateSerial`] if (issuer, serial) already
    /// exists, and then writes nothing.
    fn insert_issued(&self, rec: CertRecord) -> Result<(), StoreError>;

    /// Records a new request and its certificate in one durable commit (a request that is
    /// issued at once: auto templates, tokens, ACME): the request gets the next RequestId
    /// (using up `token_hash` like [`crate::queue::RequestQueue::submit`]) and is stored
    /// issued with `rec`, whose `request_id` is set to it. One fsync instead of two. Fails
    /// like `insert_issued` and like `submit`, and then writes nothing (no id is used up).
    fn submit_issued(
        &self,
        req: crate::queue::NewRequest,
        token_hash: Option<&str>,
        rec: CertRecord,
    ) -> Result<crate::queue::RequestRecord, StoreError>;

    /// The record for one (issuer, serial), if present.
    fn get(&self, issuer: &str, serial: &[u8]) -> Result<Option<CertRecord>, StoreError>;

    /// All records with this serial, across issuers (serials are unique per issuer only).
    fn find_serial(&self, serial: &[u8]) -> Result<Vec<CertRecord>, StoreError>;

    /// Records matching `filter`, ordered by `issued_at` then serial (numerically), ascending.
    fn list(&self, filter: &CertFilter) -> Result<Vec<CertRecord>, StoreError>;

    /// Number of stored records, all issuers.
    fn count(&self) -> Result<u64, StoreError>;

    /// Next demoCA-style sequential serial for `issuer`: `start` the first time, then +1
    /// each call. Durable before it returns: a value is never handed out twice, even
    /// across a crash.
    fn next_sequential_serial(&self, issuer: &str, start: u128) -> Result<u128, StoreError>;

    /// Set or clear (certificateHold release) the revocation of one certificate; returns
    /// the updated record. [`StoreError::NotFound`] if absent.
    fn set_revocation(
        &self,
        issuer: &str,
        serial: &[u8],
        revocation: Option<Revocation>,
    ) -> Result<CertRecord, StoreError>;
}

/// Which records [`CertIndex::list`] returns. Every set field must match (AND);
/// `Default` matches everything.
#[derive(Clone, Debug, Default)]
pub struct CertFilter {
    /// Only this issuer.
    pub issuer: Option<String>,
    /// Only records with this status at [`CertFilter::now`].
    pub status: Option<CertStatus>,
    /// Only this profile.
    pub profile: Option<String>,
    /// Substring (case-insensitive) of the subject or any SAN.
    pub text: Option<String>,
    /// notAfter within `now..=now+secs` and still valid: the "renew these soon" view.
    pub expiring_within: Option<i64>,
    /// The moment statuses are computed at, unix seconds. Passed in rather than read from
    /// the clock so listings are reproducible and testable.
    pub now: i64,
    /// At most this many records (the first ones in list order).
    pub limit: Option<usize>,
}

impl CertFilter {
    /// Whether `rec` passes every condition except `limit`.
    ///
    /// Shared by all backends so they agree on the meaning of each field.
    pub fn matches(&self, rec: &CertRecord) -> bool {
        if self.issuer.as_ref().is_some_and(|i| *i != rec.issuer) {
            return false;
        }
        if self.profile.as_ref().is_some_and(|p| *p != rec.profile) {
            return false;
        }
        let status = rec.status(self.now);
        if self.status.is_some_and(|s| s != status) {
            return false;
        }
        if let Some(secs) = self.expiring_within {
            let horizon = self.now.saturating_add(secs);
            if status != CertStatus::Valid || rec.not_after > horizon {
                return false;
            }
        }
        if let Some(text) = &self.text {
            let needle = text.to_lowercase();
            let hit = |s: &String| s.to_lowercase().contains(&needle);
            if !hit(&rec.subject) && !rec.sans.iter().any(hit) {
                return false;
            }
        }
        true
    }
}

/// Orders records the way [`CertIndex::list`] returns them: `issued_at`, then serial as a
/// number (so `0x00 0x80` sorts after `0x7F`), then issuer to make the order total.
pub fn list_order(a: &CertRecord, b: &CertRecord) -> std::cmp::Ordering {
    a.issued_at
        .cmp(&b.issued_at)
        .then_with(|| serial_sort_key(&a.serial).cmp(&serial_sort_key(&b.serial)))
        .then_with(|| a.issuer.cmp(&b.issuer))
}

/// A byte string whose lexicographic order is the numeric order of the serial:
/// the significant bytes prefixed with their count.
///
/// Serials are at most 20 octets (RFC 5280), but the length is stored in two bytes so a
/// longer one still sorts correctly instead of wrapping.
pub(crate) fn serial_sort_key(serial: &[u8]) -> Vec<u8> {
    let first = serial.iter().position(|&b| b != 0).unwrap_or(serial.len());
    let significant = &serial[first..];
    let len = u16::try_from(significant.len()).unwrap_or(u16::MAX);
    let mut key = Vec::with_capacity(2 + significant.len());
    key.extend_from_slice(&len.to_be_bytes());
    key.extend_from_slice(significant);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_sort_key_is_numeric() {
        let mut serials = vec![vec![0x00, 0x80], vec![0x7F], vec![0x01, 0x00], vec![0x02]];
        serials.sort_by_key(|s| serial_sort_key(s));
        assert_eq!(
            serials,
            vec![vec![0x02], vec![0x7F], vec![0x00, 0x80], vec![0x01, 0x00]]
        );
    }
}
