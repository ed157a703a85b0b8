//! Certificate serial numbers: random (>= 64 CSPRNG bits, RFC 5280 and CA/B rules) or
//! sequential demoCA-style. The store checks uniqueness when it commits.
use std::fmt;

use aws_lc_rs::rand::SecureRandom;

use crate::error::KeyError;

/// A positive serial number as DER INTEGER content bytes (minimal, at most 20 octets).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(Vec<u8>);

impl Serial {
    /// 16 random bytes with the top bit cleared (positive) and the next set (fixed length):
    /// 126 bits of entropy, well over the 64 that CA/B requires.
    pub fn random(rng: &dyn SecureRandom) -> Result<Serial, KeyError> {
        let mut b = [0u8; 16];
        rng.fill(&mut b).map_err(|e| KeyError::Generate(e.to_string()))?;
        b[0] = (b[0] & 0x7f) | 0x40;
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
    fn random_is_positive_and_16_bytes() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let s = Serial::random(&rng).unwrap();
        assert_eq!(s.as_bytes().len(), 16);
        assert!(s.as_bytes()[0] & 0x80 == 0 && s.as_bytes()[0] != 0);
    }
}
