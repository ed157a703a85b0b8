//! The stored form of one issued certificate and its revocation.

use ca_core::revocation::{CrlEntry, Reason};
use ca_core::serial::Serial;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// RFC 5280 revocation of one certificate.
///
/// Kept separate from [`CertRecord`] so revoking (or releasing a certificateHold) replaces
/// exactly this part and nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// When the certificate was revoked, in unix seconds.
    pub time: i64,
    /// RFC 5280 CRLReason code (0 unspecified, 1 keyCompromise, ... 6 certificateHold, 8 removeFromCRL, ...).
    pub reason: u8,
    /// RFC 5280 invalidity date (when the key is known or suspected to have been compromised), in unix seconds.
    pub invalidity_date: Option<i64>,
}

impl Revocation {
    /// This revocation as the CRL entry of `serial` (DER content bytes), for the daemon's CRLs
    /// and the root's alike. The invalidity date is kept only when it precedes the revocation.
    pub fn crl_entry(&self, serial: &[u8]) -> CrlEntry {
        let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        CrlEntry {
            serial: Serial::from_bytes(serial),
            revoked_at: at(self.time),
            reason: Reason::from_code(self.reason).unwrap_or(Reason::Unspecified),
            invalidity: self.invalidity_date.map(at).filter(|d| *d < at(self.time)),
        }
    }
}

/// Where a certificate stands at a given moment; computed, never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertStatus {
    /// Not revoked and not yet past its notAfter.
    Valid,
    /// Revoked (including on hold), whatever its validity period.
    Revoked,
    /// Past its notAfter and never revoked.
    Expired,
}

/// One issued certificate as the index stores it: the DER plus the fields listings and
/// searches need, so they do not have to parse every certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRecord {
    /// Issuer name inside the CA home, e.g. `"default"`. Serials are unique per issuer only.
    pub issuer: String,
    /// Positive INTEGER content bytes exactly as in the certificate (may start with 0x00).
    #[serde(with = "serde_bytes")]
    pub serial: Vec<u8>,
    /// The certificate, DER.
    #[serde(with = "serde_bytes")]
    pub der: Vec<u8>,
    /// Subject in display form, e.g. `"CN=www.example.com,O=Example"`.
    pub subject: String,
    /// Subject alternative names: `"DNS:www.example.com"`, `"IP:192.0.2.1"`, `"email:a@example.com"`.
    pub sans: Vec<String>,
    /// Name of the profile the certificate was issued under.
    pub profile: String,
    /// notBefore, unix seconds.
    pub not_before: i64,
    /// notAfter, unix seconds (inclusive, as in X.509).
    pub not_after: i64,
    /// When the CA issued it, unix seconds.
    pub issued_at: i64,
    /// The enrollment request this certificate answered, if it went through the queue.
    pub request_id: Option<u64>,
    /// Set once revoked; cleared again when a certificateHold is released.
    pub revocation: Option<Revocation>,
}

impl CertRecord {
    /// The status at `now` (unix seconds): revoked wins over expired, because a revoked
    /// certificate stays on CRLs and OCSP must keep answering "revoked" for it.
    pub fn status(&self, now: i64) -> CertStatus {
        if self.revocation.is_some() {
            CertStatus::Revoked
        } else if self.not_after < now {
            CertStatus::Expired
        } else {
            CertStatus::Valid
        }
    }

    /// The serial in uppercase hex without the leading 0x00 sign byte, as OpenSSL prints it.
    pub fn serial_hex(&self) -> String {
        serial_to_hex(&self.serial)
    }
}

/// Uppercase hex of serial content bytes without leading zero bytes, `"00"` for zero.
///
/// This is OpenSSL's `BN_bn2hex` form (always an even number of digits), used in
/// error messages, demoCA `index.txt` and `newcerts/` file names alike so users can
/// match them with `openssl x509 -serial` output.
pub fn serial_to_hex(serial: &[u8]) -> String {
    let first = serial.iter().position(|&b| b != 0).unwrap_or(serial.len());
    if first == serial.len() {
        return "00".to_owned();
    }
    hex::encode_upper(&serial[first..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(not_after: i64, revocation: Option<Revocation>) -> CertRecord {
        CertRecord {
            issuer: "default".into(),
            serial: vec![0x00, 0x8F, 0x01],
            der: vec![],
            subject: "CN=x".into(),
            sans: vec![],
            profile: "server".into(),
            not_before: 0,
            not_after,
            issued_at: 0,
            request_id: None,
            revocation,
        }
    }

    #[test]
    fn status_revoked_wins_then_expired() {
        let revoked = Some(Revocation {
            time: 5,
            reason: 1,
            invalidity_date: None,
        });
        assert_eq!(record(10, revoked).status(100), CertStatus::Revoked);
        assert_eq!(record(10, None).status(100), CertStatus::Expired);
        // notAfter is inclusive: still valid during its last second.
        assert_eq!(record(100, None).status(100), CertStatus::Valid);
    }

    #[test]
    fn serial_hex_drops_sign_byte() {
        assert_eq!(record(0, None).serial_hex(), "8F01");
        assert_eq!(serial_to_hex(&[0x01]), "01");
        assert_eq!(serial_to_hex(&[0x00]), "00");
        assert_eq!(serial_to_hex(&[]), "00");
    }

    #[test]
    fn status_serializes_lowercase() {
        assert_eq!(serde_json::to_string(&CertStatus::Expired).unwrap(), "\"expired\"");
    }
}
