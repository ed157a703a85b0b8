//! Distinguished names: parsing the strings administrators type (`CN=Root,O=Example` in RFC 4514
//! order or `/C=GB/O=Example/CN=Root` in OpenSSL order) and displaying names. Repeated attributes
//! (`DC=example,DC=com`) are kept as separate RDNs, which rcgen's name model cannot express.
use const_oid::db::{rfc3280, rfc4519};
use der::asn1::{Any, Ia5StringRef, ObjectIdentifier, PrintableStringRef, SetOfVec, Utf8StringRef};
use der::{Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RelativeDistinguishedName};

use crate::error::NameError;

/// Short names used in input and output, with the string type each value is encoded as.
const ATTRS: &[(&str, ObjectIdentifier, Tag)] = &[
    ("CN", rfc4519::CN, Tag::Utf8String),
    ("O", rfc4519::O, Tag::Utf8String),
    ("OU", rfc4519::OU, Tag::Utf8String),
    ("L", rfc4519::L, Tag::Utf8String),
    ("ST", rfc4519::ST, Tag::Utf8String),
    ("C", rfc4519::C, Tag::PrintableString),
    ("STREET", rfc4519::STREET, Tag::Utf8String),
    ("DC", rfc4519::DC, Tag::Ia5String),
    ("UID", rfc4519::UID, Tag::Utf8String),
    ("serialNumber", rfc4519::SERIAL_NUMBER, Tag::PrintableString),
    ("title", rfc4519::TITLE, Tag::Utf8String),
    ("GN", rfc4519::GIVEN_NAME, Tag::Utf8String),
    ("SN", rfc4519::SN, Tag::Utf8String),
    ("emailAddress", rfc3280::EMAIL_ADDRESS, Tag::Ia5String),
];

/// The OID for a short attribute name (case-insensitive; `E` and `S` accepted as aliases).
pub fn attr_oid(short: &str) -> Option<(ObjectIdentifier, Tag)> {
    let short = match short {
        s if s.eq_ignore_ascii_case("E") || s.eq_ignore_ascii_case("email") => "emailAddress",
        s if s.eq_ignore_ascii_case("S") => "ST",
        s => s,
    };
    ATTRS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(short))
        .map(|(_, o, t)| (*o, *t))
}

/// The short name of an attribute OID, or its dotted form.
pub fn attr_name(oid: &ObjectIdentifier) -> String {
    ATTRS
        .iter()
        .find(|(_, o, _)| o == oid)
        .map(|(n, _, _)| n.to_string())
        .unwrap_or_else(|| oid.to_string())
}

/// Parses a distinguished name string. A leading `/` selects OpenSSL's form (RDNs in encoding
/// order); otherwise RFC 4514 (comma-separated, most specific first, so encoded in reverse).
pub fn parse_dn(input: &str) -> Result<Name, NameError> {
    let err = |message: String| NameError::Parse {
        input: input.to_string(),
        message,
    };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(err("empty name".into()));
    }
    let mut pairs = if let Some(rest) = trimmed.strip_prefix('/') {
        split_unescaped(rest, '/')
    } else {
        let mut v = split_unescaped(trimmed, ',');
        v.reverse();
        v
    };
    pairs.retain(|p| !p.trim().is_empty());
    let mut rdns = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| err(format!("{pair:?} is not TYPE=value")))?;
        let atv = attribute(key.trim(), &unescape(value.trim())).map_err(err)?;
        let set = SetOfVec::try_from(vec![atv]).map_err(|e| err(e.to_string()))?;
        rdns.push(RelativeDistinguishedName::from(set));
    }
    Ok(Name::from(rdns))
}

/// Builds one attribute, checking the value suits its type (C is two letters, and so on).
pub fn attribute(key: &str, value: &str) -> Result<AttributeTypeAndValue, String> {
    let (oid, tag) = attr_oid(key).ok_or_else(|| format!("unknown attribute type {key}"))?;
    if value.is_empty() {
        return Err(format!("{key} has an empty value"));
    }
    if oid == rfc4519::C && (value.len() != 2 || !value.chars().all(|c| c.is_ascii_alphabetic())) {
        return Err(format!("country {value:?} is not a two-letter code"));
    }
    if value.chars().count() > 64 && oid != rfc3280::EMAIL_ADDRESS {
        return Err(format!("{key} is longer than the 64 characters X.520 allows"));
    }
    let any = match tag {
        Tag::PrintableString => Any::from(
            PrintableStringRef::new(value)
                .map_err(|_| format!("{key} {value:?} has characters a PrintableString cannot hold"))?,
        ),
        Tag::Ia5String => Any::from(Ia5StringRef::new(value).map_err(|_| format!("{key} {value:?} must be ASCII"))?),
        _ => Any::from(Utf8StringRef::new(value).map_err(|e| e.to_string())?),
    };
    Ok(AttributeTypeAndValue { oid, value: any })
}

fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c == sep && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn unescape(v: &str) -> String {
    let v = v.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(v);
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The text of an attribute value of any common string type.
pub fn value_text(value: &Any) -> String {
    let bytes = value.value();
    match value.tag() {
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString | Tag::VisibleString => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        _ => format!("#{}", hex::encode(bytes)),
    }
}

/// RFC 4514 display: most specific RDN first, special characters escaped.
pub fn display_name(name: &Name) -> String {
    let mut parts = Vec::new();
    for rdn in name.0.iter().rev() {
        let atvs: Vec<String> = rdn
            .0
            .iter()
            .map(|atv| format!("{}={}", attr_name(&atv.oid), escape(&value_text(&atv.value))))
            .collect();
        parts.push(atvs.join("+"));
    }
    parts.join(",")
}

fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, c) in v.chars().enumerate() {
        let lead = i == 0 && (c == ' ' || c == '#');
        if lead || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The values of every attribute of type `oid`, in encoding order.
pub fn values_of(name: &Name, oid: ObjectIdentifier) -> Vec<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|a| a.oid == oid)
        .map(|a| value_text(&a.value))
        .collect()
}

/// The most specific (last encoded) common name, as TLS clients read it.
pub fn common_name(name: &Name) -> Option<String> {
    values_of(name, rfc4519::CN).pop()
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    #[test]
    fn rfc4514_is_reversed_and_openssl_is_not() {
        let a = parse_dn("CN=Root,O=Example,C=GB").unwrap();
        let b = parse_dn("/C=GB/O=Example/CN=Root").unwrap();
        assert_eq!(a.to_der().unwrap(), b.to_der().unwrap());
        assert_eq!(display_name(&a), "CN=Root,O=Example,C=GB");
    }

    #[test]
    fn repeated_attributes_are_kept() {
        let n = parse_dn("CN=Issuing,DC=example,DC=com").unwrap();
        assert_eq!(values_of(&n, rfc4519::DC), vec!["com", "example"]);
        assert_eq!(display_name(&n), "CN=Issuing,DC=example,DC=com");
    }

    #[test]
    fn bad_input_is_named() {
        assert!(parse_dn("C=GBR").unwrap_err().to_string().contains("two-letter"));
        assert!(parse_dn("XX=1")
            .unwrap_err()
            .to_string()
            .contains("unknown attribute type XX"));
        assert!(parse_dn("CN=a\\,b").is_ok());
        assert_eq!(common_name(&parse_dn("CN=a\\,b").unwrap()).unwrap(), "a,b");
    }
}
