//! tls-alpn-01 (RFC 8737, IP identifiers RFC 8738 6): what the validation handshake asks for
//! (ALPN protocol, SNI) and the check of the certificate the client presented. The TLS
//! connection itself is the server's.
use std::net::IpAddr;

use aws_lc_rs::digest::{digest, SHA256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::challenge::ChallengeType;
use super::error::ChallengeError;
use super::identifier::Identifier;

/// The ALPN protocol name of the validation handshake.
pub const ACME_TLS_ALPN_PROTOCOL: &[u8] = b"acme-tls/1";

/// id-pe-acmeIdentifier (RFC 8737 6.1).
pub const ID_PE_ACME_IDENTIFIER: &str = "1.3.6.1.5.5.7.1.31";

/// The acmeIdentifier extension value: SHA-256 of the key authorization.
pub fn acme_identifier_digest(key_authorization: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, key_authorization.as_bytes()).as_ref());
    out
}

/// The SNI the validation handshake sends: the DNS name, or for an IP address its reverse
/// DNS name (`in-addr.arpa` / `ip6.arpa`, RFC 8738 6), since SNI cannot carry an address.
pub fn sni(identifier: &Identifier) -> String {
    match identifier {
        Identifier::Dns(name) => name.clone(),
        Identifier::Ip(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        Identifier::Ip(IpAddr::V6(v6)) => {
            let mut name = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            name.push_str("ip6.arpa");
            name
        }
    }
}

/// Checks the certificate presented on a tls-alpn-01 handshake (RFC 8737 3): exactly one
/// acmeIdentifier extension, critical, whose value is the DER OCTET STRING of
/// SHA-256(key authorization), and a subjectAltName holding exactly one name, the identifier.
pub fn check_certificate(
    cert_der: &[u8],
    identifier: &Identifier,
    key_authorization: &str,
) -> Result<(), ChallengeError> {
    ChallengeType::TlsAlpn01.check_applies_to(identifier)?;
    let fail = |reason: String| ChallengeError::TlsAlpn01 { reason };
    let (rest, cert) =
        X509Certificate::from_der(cert_der).map_err(|e| fail(format!("the certificate does not parse: {e}")))?;
    if !rest.is_empty() {
        return Err(fail("the certificate has trailing data".into()));
    }
    let found: Vec<_> = cert
        .extensions()
        .iter()
        .filter(|e| e.oid.to_id_string() == ID_PE_ACME_IDENTIFIER)
        .collect();
    let ext = match found.as_slice() {
        [one] => *one,
        [] => return Err(fail("the certificate has no acmeIdentifier extension".into())),
        _ => {
            return Err(fail(
                "the certificate has more than one acmeIdentifier extension".into(),
            ))
        }
    };
    if !ext.critical {
        return Err(fail("the acmeIdentifier extension is not critical".into()));
    }
    // Authorization ::= OCTET STRING (SIZE (32)): tag 0x04, length 0x20, then the digest.
    let mut expected = vec![0x04, 0x20];
    expected.extend_from_slice(&acme_identifier_digest(key_authorization));
    if ext.value != expected.as_slice() {
        return Err(fail(
            "the acmeIdentifier extension is not the SHA-256 of the key authorization".into(),
        ));
    }
    let san = cert
        .subject_alternative_name()
        .map_err(|e| fail(format!("the subjectAltName extension is invalid: {e}")))?
        .ok_or_else(|| fail("the certificate has no subjectAltName extension".into()))?;
    match san.value.general_names.as_slice() {
        [name] if names_identifier(name, identifier) => Ok(()),
        [_] => Err(fail(format!("the subjectAltName does not name {identifier}"))),
        names => Err(fail(format!(
            "the subjectAltName has {} names; exactly one, {identifier}, is required",
            names.len()
        ))),
    }
}

fn names_identifier(name: &GeneralName<'_>, identifier: &Identifier) -> bool {
    match (name, identifier) {
        (GeneralName::DNSName(dns), Identifier::Dns(id)) => dns.eq_ignore_ascii_case(id),
        (GeneralName::IPAddress(bytes), Identifier::Ip(IpAddr::V4(v4))) => *bytes == v4.octets().as_slice(),
        (GeneralName::IPAddress(bytes), Identifier::Ip(IpAddr::V6(v6))) => *bytes == v6.octets().as_slice(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sni_of_addresses_is_the_reverse_name() {
        let v4 = Identifier::parse("ip", "192.0.2.1").unwrap();
        assert_eq!(sni(&v4), "1.2.0.192.in-addr.arpa");
        let v6 = Identifier::parse("ip", "2001:db8::1").unwrap();
        assert_eq!(
            sni(&v6),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert_eq!(sni(&Identifier::parse("dns", "A.example").unwrap()), "a.example");
    }
}
