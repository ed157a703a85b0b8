//! RFC 5280 CRLReason codes and their names (as OpenSSL and administrators spell them).
use std::fmt;
use std::str::FromStr;

/// A CRLReason (RFC 5280 5.3.1). Code 7 is unassigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    Unspecified = 0,
    KeyCompromise = 1,
    CaCompromise = 2,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
    CertificateHold = 6,
    RemoveFromCrl = 8,
    PrivilegeWithdrawn = 9,
    AaCompromise = 10,
}

const NAMES: &[(Reason, &str)] = &[
    (Reason::Unspecified, "unspecified"),
    (Reason::KeyCompromise, "keyCompromise"),
    (Reason::CaCompromise, "cACompromise"),
    (Reason::AffiliationChanged, "affiliationChanged"),
    (Reason::Superseded, "superseded"),
    (Reason::CessationOfOperation, "cessationOfOperation"),
    (Reason::CertificateHold, "certificateHold"),
    (Reason::RemoveFromCrl, "removeFromCRL"),
    (Reason::PrivilegeWithdrawn, "privilegeWithdrawn"),
    (Reason::AaCompromise, "aACompromise"),
];

impl Reason {
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The reason with this code.
    pub fn from_code(code: u8) -> Option<Reason> {
        NAMES.iter().map(|(r, _)| *r).find(|r| r.code() == code)
    }

    /// The RFC 5280 name.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(r, _)| *r == self)
            .map(|(_, n)| *n)
            .unwrap_or("unspecified")
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Reason {
    type Err = String;
    /// Accepts RFC names case-insensitively, with or without `-`/`_`, and numeric codes.
    fn from_str(s: &str) -> Result<Reason, String> {
        let norm = |x: &str| x.replace(['-', '_'], "").to_ascii_lowercase();
        if let Ok(code) = s.parse::<u8>() {
            return Reason::from_code(code).ok_or_else(|| format!("{code} is not an RFC 5280 reason code"));
        }
        NAMES
            .iter()
            .find(|(_, n)| norm(n) == norm(s))
            .map(|(r, _)| *r)
            .ok_or_else(|| {
                let all: Vec<&str> = NAMES.iter().map(|(_, n)| *n).collect();
                format!("unknown revocation reason {s:?} (expected one of {})", all.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes() {
        assert_eq!("keyCompromise".parse::<Reason>().unwrap(), Reason::KeyCompromise);
        assert_eq!("key-compromise".parse::<Reason>().unwrap().code(), 1);
        assert_eq!("8".parse::<Reason>().unwrap(), Reason::RemoveFromCrl);
        assert!("7".parse::<Reason>().is_err());
        assert!("bogus".parse::<Reason>().unwrap_err().contains("keyCompromise"));
    }
}
