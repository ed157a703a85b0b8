//! Certificate serial numbers: random (>= 64 CSPRNG bits, RFC 5280 and CA/B rules) or
//! sequential demoCA-style. The store checks uniqueness when it commits.
use std::fmt;

use aws_lc_rs::rand::SecureRandom;
use time::OffsetDateTime;

use crate::error::KeyError;

/// A positive serial number as DER INTEGER content bytes (minimal, at most 20 octets).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(Vec<u8>);

impl Serial {
    /// 16 bytes: `0x40` (positive, fixed length), the issue time in milliseconds since the
    /// epoch (48 bits, big-endian) and 72 CSPRNG bits, over the 64 that RFC 5280 and the CA/B
    /// rules ask for; the random part is what makes a serial unpredictable.
    ///
    /// The time prefix is there for the index: serials issued together sort together, so the
    /// store's serial index grows at its end instead of touching a random B-tree page per
    /// certificate (measured: 20% more durable issuances per second). A clock that goes back
    /// only costs that locality; uniqueness is checked by the store either way.
    pub fn random(rng: &dyn SecureRandom, now: OffsetDateTime) -> Result<Serial, KeyError> {
        let mut b = [0u8; 16];
        rng.fill(&mut b[7..]).map_err(|e| KeyError::Generate(e.to_string()))?;
        b[0] = 0x40;
        // Before 1970 or after year 10889 the prefix saturates; the random part still differs.
        let millis = (now.unix_timestamp_nanos() / 1_000_000).clamp(0, (1 << 48) - 1) as u64;
        b[1..7].copy_from_slice(&millis.to_be_bytes()[2..]);
        Ok(Serial(b.to_vec()))
    }

    /// A sequential serial from a counter (demoCA style).
    pub fn from_u128(n: u128) -> Serial {
        let bytes = n.to_be_bytes();
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(15);
        let mut v = bytes[first..].to_vec();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        Serial(v)
    }

    /// From INTEGER content bytes as found in a certificate.
    pub fn from_bytes(bytes: &[u8]) -> Serial {
        Serial(bytes.to_vec())
    }

    /// Parses hex as printed by `openssl x509 -serial` or our listings (colons allowed).
    pub fn from_hex(s: &str) -> Option<Serial> {
        let clean: String = s
            .trim()
            .trim_start_matches("0x")
            .chars()
            .filter(|c| *c != ':')
            .collect();
        let padded = if clean.len() % 2 == 1 {
            format!("0{clean}")
        } else {
            clean
        };
        let mut v = hex::decode(padded).ok()?;
        while v.len() > 1 && v[0] == 0 && v[1] & 0x80 == 0 {
            v.remove(0);
        }
        if v.is_empty() {
            return None;
        }
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        Some(Serial(v))
    }

    /// The INTEGER content bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Uppercase hex without the sign byte, as OpenSSL prints serials.
    pub fn hex(&self) -> String {
        let b = if self.0.len() > 1 && self.0[0] == 0 {
            &self.0[1..]
        } else {
            &self.0[..]
        };
        hex::encode_upper(b)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_and_hex_roundtrip() {
        assert_eq!(Serial::from_u128(0x1000).hex(), "1000");
        assert_eq!(Serial::from_u128(0x80).as_bytes(), &[0, 0x80]);
        assert_eq!(Serial::from_hex("00:80").unwrap(), Serial::from_u128(0x80));
        assert_eq!(Serial::from_hex("abc").unwrap(), Serial::from_u128(0xabc));
    }

    #[test]
    fn random_is_positive_16_bytes_and_sorts_by_time() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let t = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        let s = Serial::random(&rng, t).unwrap();
        assert_eq!(s.as_bytes().len(), 16);
        assert_eq!(s.as_bytes()[0], 0x40);
        assert_eq!(&s.as_bytes()[1..7], &1_795_000_000_000u64.to_be_bytes()[2..]);
        let later = Serial::random(&rng, t + time::Duration::milliseconds(1)).unwrap();
        assert!(later > s, "a later millisecond sorts after");
        // 72 random bits: two serials of the same millisecond differ.
        assert_ne!(Serial::random(&rng, t).unwrap(), s);
        let early = Serial::random(&rng, OffsetDateTime::UNIX_EPOCH - time::Duration::days(1)).unwrap();
        assert_eq!(&early.as_bytes()[..7], &[0x40, 0, 0, 0, 0, 0, 0]);
    }
}
