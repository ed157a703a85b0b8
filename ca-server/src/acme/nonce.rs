//! Replay nonces (RFC 8555 6.5): minted without storage as `issued-at || random || MAC`
//! under a key that lives only in this process, so the server checks a nonce's origin and
//! age without a lookup, and a nonce from before a restart is refused (clients retry on
//! badNonce). Single use is the store's job (`AcmeStore::consume_nonce`), done last, after
//! everything else about a request checked out, so a bad request burns nothing.
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use ca_core::acme::base64url;

/// How long a nonce is accepted after it was handed out. Clients use a nonce within seconds
/// (every response carries a fresh one), and the used-nonce records live this long.
pub const NONCE_LIFETIME_SECS: i64 = 300;

/// Bytes: 8 issued-at (unix seconds, BE), 8 random, 16 truncated HMAC-SHA256.
const RAW_LEN: usize = 32;

/// Mints and checks nonces.
pub struct NonceMint {
    key: hmac::Key,
    rng: SystemRandom,
}

impl NonceMint {
    /// A mint with a fresh random key.
    pub fn new() -> anyhow::Result<NonceMint> {
        let rng = SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).map_err(|_| anyhow::anyhow!("no randomness"))?;
        Ok(NonceMint { key, rng })
    }

    /// A new nonce issued at `now` (unix seconds).
    pub fn mint(&self, now: i64) -> String {
        let mut raw = [0u8; RAW_LEN];
        raw[..8].copy_from_slice(&now.to_be_bytes());
        // SystemRandom only fails if the OS has no randomness, where nothing works anyway;
        // a nonce with a zero random part is still unique by the store's single-use check.
        let _ = self.rng.fill(&mut raw[8..16]);
        let tag = hmac::sign(&self.key, &raw[..16]);
        raw[16..].copy_from_slice(&tag.as_ref()[..16]);
        base64url::encode(raw)
    }

    /// Checks that `nonce` was minted here and is not older than [`NONCE_LIFETIME_SECS`];
    /// returns when it stops being accepted (unix seconds), for the seen-nonce record.
    pub fn check(&self, nonce: &str, now: i64) -> Result<i64, String> {
        let raw = base64url::decode(nonce).map_err(|_| "the nonce is not base64url".to_string())?;
        if raw.len() != RAW_LEN {
            return Err("the nonce was not issued by this server".into());
        }
        // The tag is truncated, so it is compared here rather than by hmac::verify.
        let tag = hmac::sign(&self.key, &raw[..16]);
        aws_lc_rs::constant_time::verify_slices_are_equal(&tag.as_ref()[..16], &raw[16..])
            .map_err(|_| "the nonce was not issued by this server process (it may predate a restart)".to_string())?;
        let mut at = [0u8; 8];
        at.copy_from_slice(&raw[..8]);
        let expires = i64::from_be_bytes(at) + NONCE_LIFETIME_SECS;
        if now > expires {
            return Err("the nonce has expired".into());
        }
        Ok(expires)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_nonces_check_and_others_do_not() {
        let mint = NonceMint::new().unwrap();
        let n = mint.mint(1000);
        assert_eq!(mint.check(&n, 1000), Ok(1000 + NONCE_LIFETIME_SECS));
        assert!(mint
            .check(&n, 1000 + NONCE_LIFETIME_SECS + 1)
            .unwrap_err()
            .contains("expired"));
        assert_ne!(mint.mint(1000), n);
        let other = NonceMint::new().unwrap();
        assert!(other.check(&n, 1000).unwrap_err().contains("restart"));
        assert!(mint.check("!!", 1000).is_err());
        let mut tampered = base64url::decode(&n).unwrap();
        tampered[0] ^= 1;
        assert!(mint.check(&base64url::encode(tampered), 1000).is_err());
    }
}
