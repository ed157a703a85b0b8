//! Order identifiers: `dns` (RFC 8555 7.1.4) and `ip` (RFC 8738). An [`Identifier`] exists
//! only in normalized, syntactically valid form, so the store, the authorizations and the
//! finalize check against the CSR compare plain values. Whether the template allows a name is
//! policy's question, not this file's.
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::error::IdentifierError;

/// Longest DNS name in presentation form without the trailing dot (RFC 1035 2.3.4).
const MAX_DNS_NAME: usize = 253;
/// Longest DNS label (RFC 1035 2.3.4).
const MAX_LABEL: usize = 63;

/// A validated ACME identifier.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Raw", into = "Raw")]
pub enum Identifier {
    /// A lowercase DNS name; a wildcard keeps its `*.` prefix.
    Dns(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
}

/// The wire form `{"type": ..., "value": ...}`.
#[derive(Serialize, Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

impl TryFrom<Raw> for Identifier {
    type Error = IdentifierError;
    fn try_from(raw: Raw) -> Result<Self, Self::Error> {
        Identifier::parse(&raw.kind, &raw.value)
    }
}

impl From<Identifier> for Raw {
    fn from(id: Identifier) -> Raw {
        Raw {
            kind: id.kind().to_string(),
            value: id.value(),
        }
    }
}

impl Identifier {
    /// Parses an identifier of `kind` (`dns` or `ip`) as a client sent it.
    ///
    /// DNS names are folded to lowercase (DNS is case-insensitive, and one spelling keeps
    /// authorizations reusable); IDNs must arrive as A-labels. IP addresses must be in the
    /// canonical text form RFC 8738 requires (RFC 5952 for IPv6), because the authorization
    /// echoes the value and clients match it byte for byte.
    pub fn parse(kind: &str, value: &str) -> Result<Identifier, IdentifierError> {
        match kind {
            "dns" => normalize_dns_name(value).map(Identifier::Dns),
            "ip" => parse_ip(value).map(Identifier::Ip),
            other => Err(IdentifierError::UnsupportedType {
                kind: other.to_string(),
            }),
        }
    }

    /// The identifier type, `dns` or `ip`.
    pub fn kind(&self) -> &'static str {
        match self {
            Identifier::Dns(_) => "dns",
            Identifier::Ip(_) => "ip",
        }
    }

    /// The value as the wire and the authorization object write it.
    pub fn value(&self) -> String {
        match self {
            Identifier::Dns(name) => name.clone(),
            Identifier::Ip(ip) => ip.to_string(),
        }
    }

    /// Whether this is a wildcard DNS name (`*.example.com`).
    pub fn is_wildcard(&self) -> bool {
        matches!(self, Identifier::Dns(name) if name.starts_with("*."))
    }

    /// The identifier an authorization is for, and its `wildcard` flag: RFC 8555 7.1.4 puts
    /// the base name (without `*.`) in the authorization and sets `wildcard: true`.
    pub fn for_authorization(&self) -> (Identifier, bool) {
        match self {
            Identifier::Dns(name) => match name.strip_prefix("*.") {
                Some(base) => (Identifier::Dns(base.to_string()), true),
                None => (self.clone(), false),
            },
            Identifier::Ip(_) => (self.clone(), false),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.value())
    }
}

/// Checks and lowercases a DNS identifier: ASCII letters, digits and hyphens in labels of 1 to
/// 63 characters, no leading or trailing hyphen, at most 253 characters, no trailing dot, a
/// wildcard only as a whole leftmost `*.` label, and not an IP address in disguise.
pub fn normalize_dns_name(value: &str) -> Result<String, IdentifierError> {
    let bad = |reason: &str| IdentifierError::BadDnsName {
        name: value.to_string(),
        reason: reason.to_string(),
    };
    if value.is_empty() {
        return Err(bad("is empty"));
    }
    if !value.is_ascii() {
        return Err(bad(
            "is not ASCII (internationalized names must be sent as xn-- A-labels)",
        ));
    }
    let name = value.to_ascii_lowercase();
    let base = name.strip_prefix("*.").unwrap_or(&name);
    if base.len() > MAX_DNS_NAME {
        return Err(bad("is longer than 253 characters"));
    }
    if base.ends_with('.') {
        return Err(bad("must not end with a dot"));
    }
    if base.contains('*') {
        return Err(bad("a wildcard is allowed only as the whole leftmost label (*.)"));
    }
    for label in base.split('.') {
        if label.is_empty() {
            return Err(bad("has an empty label"));
        }
        if label.len() > MAX_LABEL {
            return Err(bad("has a label longer than 63 characters"));
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(bad("has a character other than a-z, 0-9 and -"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("has a label that starts or ends with a hyphen"));
        }
    }
    // No top-level domain is all digits, so such a name is an address: it must use type ip.
    let last = base.rsplit('.').next().unwrap_or(base);
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("looks like an IP address; use an identifier of type ip"));
    }
    Ok(name)
}

fn parse_ip(value: &str) -> Result<IpAddr, IdentifierError> {
    let bad = |reason: &str| IdentifierError::BadIp {
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let ip: IpAddr = value.parse().map_err(|_| bad("is not an IPv4 or IPv6 address"))?;
    if ip.to_string() != value {
        return Err(bad(&format!("is not in canonical form (RFC 8738: write it as {ip})")));
    }
    Ok(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns(v: &str) -> Result<Identifier, IdentifierError> {
        Identifier::parse("dns", v)
    }

    #[test]
    fn dns_names_are_lowercased_and_checked() {
        assert_eq!(
            dns("WWW.Example.COM").unwrap(),
            Identifier::Dns("www.example.com".into())
        );
        assert_eq!(dns("localhost").unwrap(), Identifier::Dns("localhost".into()));
        assert_eq!(dns("xn--bcher-kva.example").unwrap().value(), "xn--bcher-kva.example");
        for bad in [
            "",
            "example.com.",
            "a..b",
            "-a.example",
            "a-.example",
            "a_b.example",
            "bücher.example",
            "1.2.3.4",
            "*",
            "a.*.example",
            "**.example",
            "*example.com",
            &format!("{}.example", "a".repeat(64)),
        ] {
            assert!(dns(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn wildcards_are_a_leading_label_only() {
        let id = dns("*.Example.com").unwrap();
        assert!(id.is_wildcard());
        assert_eq!(id.value(), "*.example.com");
        assert_eq!(id.for_authorization(), (Identifier::Dns("example.com".into()), true));
        assert!(!dns("a.example").unwrap().for_authorization().1);
    }

    #[test]
    fn ip_identifiers_are_canonical() {
        assert_eq!(Identifier::parse("ip", "192.0.2.1").unwrap().value(), "192.0.2.1");
        assert_eq!(Identifier::parse("ip", "2001:db8::1").unwrap().value(), "2001:db8::1");
        for bad in [
            "2001:DB8::1",
            "2001:db8:0:0:0:0:0:1",
            "192.0.2.01",
            "[::1]",
            "example.com",
        ] {
            assert!(Identifier::parse("ip", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn unknown_types_are_unsupported() {
        let e = Identifier::parse("email", "a@example.com").unwrap_err();
        assert!(matches!(e, IdentifierError::UnsupportedType { .. }));
    }

    #[test]
    fn serde_uses_the_wire_form_and_validates() {
        let id: Identifier = serde_json::from_str(r#"{"type":"dns","value":"A.example"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#"{"type":"dns","value":"a.example"}"#
        );
        assert!(serde_json::from_str::<Identifier>(r#"{"type":"dns","value":"a b"}"#).is_err());
    }
}
