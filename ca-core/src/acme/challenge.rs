//! Challenge types and the values they prove (RFC 8555 8): key authorizations, which
//! challenges fit which identifier, the http-01 path and body check, and the dns-01 record
//! name and TXT value. Fetching and resolving are the server's; tls-alpn-01 is in
//! [`super::tls_alpn`].
use std::fmt;

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::SecureRandom;
use serde::{Deserialize, Serialize};

use super::base64url;
use super::error::ChallengeError;
use super::identifier::Identifier;

/// Bytes of randomness in a challenge token: RFC 8555 8.1 asks for at least 128 bits.
pub const TOKEN_BYTES: usize = 16;

/// A validation method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChallengeType {
    /// A file served over HTTP on port 80 (RFC 8555 8.3).
    #[serde(rename = "http-01")]
    Http01,
    /// A TXT record at `_acme-challenge.<name>` (RFC 8555 8.4).
    #[serde(rename = "dns-01")]
    Dns01,
    /// A self-signed certificate served with ALPN `acme-tls/1` on port 443 (RFC 8737).
    #[serde(rename = "tls-alpn-01")]
    TlsAlpn01,
}

impl ChallengeType {
    /// The wire name, e.g. `http-01`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeType::Http01 => "http-01",
            ChallengeType::Dns01 => "dns-01",
            ChallengeType::TlsAlpn01 => "tls-alpn-01",
        }
    }

    /// The method of a wire name, e.g. `http-01`.
    pub fn from_name(name: &str) -> Option<ChallengeType> {
        [ChallengeType::Http01, ChallengeType::Dns01, ChallengeType::TlsAlpn01]
            .into_iter()
            .find(|t| t.as_str() == name)
    }

    /// Whether this method can prove control of `identifier`: a wildcard only through DNS
    /// (RFC 8555 7.1.3), an IP address never through DNS (RFC 8738 7).
    pub fn applies_to(self, identifier: &Identifier) -> bool {
        allowed_challenges(identifier).contains(&self)
    }

    /// `Ok` if this method can prove control of `identifier`, else the error naming both.
    pub fn check_applies_to(self, identifier: &Identifier) -> Result<(), ChallengeError> {
        if self.applies_to(identifier) {
            Ok(())
        } else {
            Err(ChallengeError::NotApplicable {
                challenge: self.as_str(),
                identifier: identifier.to_string(),
            })
        }
    }
}

impl fmt::Display for ChallengeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The challenges an authorization for `identifier` offers (the identifier as ordered: a
/// wildcard still has its `*.`).
pub fn allowed_challenges(identifier: &Identifier) -> &'static [ChallengeType] {
    match identifier {
        Identifier::Dns(_) if identifier.is_wildcard() => &[ChallengeType::Dns01],
        Identifier::Dns(_) => &[ChallengeType::Http01, ChallengeType::Dns01, ChallengeType::TlsAlpn01],
        Identifier::Ip(_) => &[ChallengeType::Http01, ChallengeType::TlsAlpn01],
    }
}

/// A new challenge token: 128 random bits, base64url. Randomness comes from the caller.
pub fn new_token(rng: &dyn SecureRandom) -> Result<String, aws_lc_rs::error::Unspecified> {
    let mut bytes = [0u8; TOKEN_BYTES];
    rng.fill(&mut bytes)?;
    Ok(base64url::encode(bytes))
}

/// The key authorization (RFC 8555 8.1): `token || "." || thumbprint`, with the account key's
/// RFC 7638 thumbprint (see [`super::AccountKey::thumbprint`]).
pub fn key_authorization(token: &str, thumbprint: &str) -> String {
    format!("{token}.{thumbprint}")
}

/// The path http-01 fetches on the identifier's port 80.
pub fn http01_path(token: &str) -> String {
    format!("/.well-known/acme-challenge/{token}")
}

/// Checks an http-01 response body: the key authorization, with trailing whitespace ignored
/// as RFC 8555 8.3 says the server SHOULD (clients that `echo` the file add a newline).
pub fn check_http01_body(body: &[u8], key_authorization: &str) -> Result<(), ChallengeError> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_end_matches([' ', '\t', '\r', '\n']);
    if trimmed == key_authorization {
        Ok(())
    } else {
        // Cap what is echoed back: the body is attacker-controlled and could be large.
        let got: String = trimmed.chars().take(128).collect();
        Err(ChallengeError::Http01Mismatch {
            expected: key_authorization.to_string(),
            got,
        })
    }
}

/// The name dns-01 looks up TXT records at: `_acme-challenge.` plus the authorization's
/// name (for a wildcard, the base name).
pub fn dns01_record_name(identifier: &Identifier) -> Result<String, ChallengeError> {
    ChallengeType::Dns01.check_applies_to(identifier)?;
    let (base, _) = identifier.for_authorization();
    Ok(format!("_acme-challenge.{}", base.value()))
}

/// The dns-01 TXT value: base64url(SHA-256(key authorization)) (RFC 8555 8.4).
pub fn dns01_txt_value(key_authorization: &str) -> String {
    base64url::encode(digest(&SHA256, key_authorization.as_bytes()))
}

/// Checks the TXT records found at the dns-01 name: one of them must be the expected value
/// (others may belong to concurrent orders).
pub fn check_dns01_records<'a>(
    records: impl IntoIterator<Item = &'a str>,
    key_authorization: &str,
) -> Result<(), ChallengeError> {
    let expected = dns01_txt_value(key_authorization);
    let mut found = Vec::new();
    for record in records {
        if record.trim() == expected {
            return Ok(());
        }
        found.push(format!("{record:?}"));
    }
    Err(ChallengeError::Dns01Mismatch {
        expected,
        found: found.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: &str, v: &str) -> Identifier {
        Identifier::parse(kind, v).unwrap()
    }

    #[test]
    fn challenges_fit_identifiers() {
        assert_eq!(allowed_challenges(&id("dns", "*.example.com")), &[ChallengeType::Dns01]);
        assert!(!ChallengeType::Dns01.applies_to(&id("ip", "192.0.2.1")));
        assert!(ChallengeType::TlsAlpn01.applies_to(&id("ip", "192.0.2.1")));
        assert_eq!(allowed_challenges(&id("dns", "a.example")).len(), 3);
        assert!(ChallengeType::Http01
            .check_applies_to(&id("dns", "*.a.example"))
            .is_err());
    }

    #[test]
    fn http01_ignores_trailing_whitespace_only() {
        assert!(check_http01_body(b"tok.thumb\n", "tok.thumb").is_ok());
        assert!(check_http01_body(b"tok.thumb", "tok.thumb").is_ok());
        assert!(check_http01_body(b" tok.thumb", "tok.thumb").is_err());
        assert!(check_http01_body(b"tok.other", "tok.thumb").is_err());
    }

    #[test]
    fn dns01_values() {
        assert_eq!(
            dns01_record_name(&id("dns", "*.Example.com")).unwrap(),
            "_acme-challenge.example.com"
        );
        assert!(dns01_record_name(&id("ip", "192.0.2.1")).is_err());
        let v = dns01_txt_value("tok.thumb");
        assert_eq!(v.len(), 43);
        assert!(check_dns01_records(["other", v.as_str()], "tok.thumb").is_ok());
        assert!(check_dns01_records(["other"], "tok.thumb").is_err());
    }

    #[test]
    fn tokens_have_128_bits() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let t = new_token(&rng).unwrap();
        assert_eq!(t.len(), 22);
        assert_ne!(t, new_token(&rng).unwrap());
    }
}
