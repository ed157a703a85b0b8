//! A minimal BER walker for PKCS#12. Files from NSS (Firefox, pk12util) use indefinite lengths
//! and chunked (constructed) OCTET STRINGs at every level, even inside the MAC-protected and the
//! encrypted contents, so the strict DER decoders cannot read them. asn1-rs does the tag and
//! length parsing; this module only walks elements and joins string chunks.
use asn1_rs::{Any, Class, FromBer};

use super::Pkcs12Error;

/// One BER element: its tag and its content octets (without an end-of-contents marker).
#[derive(Clone, Copy, Debug)]
pub struct Tlv<'a> {
    class: Class,
    tag: u32,
    constructed: bool,
    /// The content octets.
    pub data: &'a [u8],
}

/// Universal tag numbers this reader checks.
pub const SEQUENCE: u32 = 16;
pub const OCTET_STRING: u32 = 4;
pub const OID: u32 = 6;
pub const INTEGER: u32 = 2;
pub const BMP_STRING: u32 = 30;

fn malformed(what: &str) -> Pkcs12Error {
    Pkcs12Error::Malformed(what.to_string())
}

impl<'a> Tlv<'a> {
    /// Reads one element from the front of `input`, returning it and the rest.
    pub fn read(input: &'a [u8], what: &str) -> Result<(Tlv<'a>, &'a [u8]), Pkcs12Error> {
        let (rest, any) = Any::from_ber(input).map_err(|e| malformed(&format!("{what}: {e}")))?;
        let tlv = Tlv {
            class: any.header.class(),
            tag: any.header.tag().0,
            constructed: any.header.is_constructed(),
            data: any.data,
        };
        Ok((tlv, rest))
    }

    /// Reads exactly one element (trailing bytes are an error).
    pub fn parse(input: &'a [u8], what: &str) -> Result<Tlv<'a>, Pkcs12Error> {
        let (tlv, rest) = Tlv::read(input, what)?;
        if !rest.is_empty() {
            return Err(malformed(&format!("{what}: trailing data")));
        }
        Ok(tlv)
    }

    /// Whether this is the universal type `tag`.
    pub fn is(&self, tag: u32) -> bool {
        self.class == Class::Universal && self.tag == tag
    }

    /// Whether this is the context-specific tag `[n]`.
    pub fn is_context(&self, n: u32) -> bool {
        self.class == Class::ContextSpecific && self.tag == n
    }

    /// Checks the universal type, naming `what` on failure.
    pub fn expect(self, tag: u32, what: &str) -> Result<Tlv<'a>, Pkcs12Error> {
        if self.is(tag) {
            Ok(self)
        } else {
            Err(malformed(&format!("{what}: unexpected ASN.1 type")))
        }
    }

    /// The elements inside a constructed value.
    pub fn children(&self, what: &str) -> Result<Vec<Tlv<'a>>, Pkcs12Error> {
        if !self.constructed {
            return Err(malformed(&format!("{what}: expected a constructed value")));
        }
        let mut out = Vec::new();
        let mut rest = self.data;
        while !rest.is_empty() {
            let (tlv, r) = Tlv::read(rest, what)?;
            out.push(tlv);
            rest = r;
        }
        Ok(out)
    }

    /// The explicit content of a `[n] EXPLICIT` wrapper.
    pub fn explicit(&self, what: &str) -> Result<Tlv<'a>, Pkcs12Error> {
        let inner = self.children(what)?;
        match inner.as_slice() {
            [one] => Ok(*one),
            _ => Err(malformed(&format!("{what}: expected one element"))),
        }
    }

    /// String octets, joining the chunks of a constructed (BER) string.
    pub fn octets(&self, what: &str) -> Result<Vec<u8>, Pkcs12Error> {
        if !self.constructed {
            return Ok(self.data.to_vec());
        }
        let mut out = Vec::new();
        for chunk in self.children(what)? {
            out.extend(chunk.octets(what)?);
        }
        Ok(out)
    }

    /// The value as a DER-encoded OBJECT IDENTIFIER (`06 len ...`), for comparing with OIDs.
    pub fn oid(&self, what: &str) -> Result<der::asn1::ObjectIdentifier, Pkcs12Error> {
        if !self.is(OID) {
            return Err(malformed(&format!("{what}: expected an object identifier")));
        }
        der::asn1::ObjectIdentifier::from_bytes(self.data).map_err(|e| malformed(&format!("{what}: {e}")))
    }

    /// A small non-negative INTEGER.
    pub fn uint(&self, what: &str) -> Result<u64, Pkcs12Error> {
        if !self.is(INTEGER) || self.data.is_empty() || self.data.len() > 8 || self.data[0] & 0x80 != 0 {
            return Err(malformed(&format!("{what}: expected a small positive integer")));
        }
        Ok(self.data.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b)))
    }

    /// This element re-encoded as DER: definite lengths, strings in one piece. Used before
    /// handing a part (an algorithm identifier, a key) to a strict DER decoder.
    pub fn to_der(self) -> Result<Vec<u8>, Pkcs12Error> {
        let (constructed, content) = if !self.constructed {
            (false, self.data.to_vec())
        } else if self.class == Class::Universal && is_string_type(self.tag) {
            (false, self.octets("string")?)
        } else {
            let mut content = Vec::new();
            for child in self.children("element")? {
                content.extend(child.to_der()?);
            }
            (true, content)
        };
        let mut out = identifier(self.class, constructed, self.tag);
        out.extend(length(content.len()));
        out.extend(content);
        Ok(out)
    }
}

/// BER allows constructed encodings for these string types; DER does not.
fn is_string_type(tag: u32) -> bool {
    matches!(tag, 3 | 4 | 12 | 19 | 20 | 22 | 26 | 28 | 30)
}

fn identifier(class: Class, constructed: bool, tag: u32) -> Vec<u8> {
    let first = (class as u8) << 6 | if constructed { 0x20 } else { 0 };
    if tag < 31 {
        return vec![first | tag as u8];
    }
    let mut out = vec![first | 0x1f];
    let mut groups = Vec::new();
    let mut t = tag;
    loop {
        groups.push((t & 0x7f) as u8);
        t >>= 7;
        if t == 0 {
            break;
        }
    }
    for (i, g) in groups.iter().rev().enumerate() {
        out.push(if i + 1 < groups.len() { g | 0x80 } else { *g });
    }
    out
}

/// A DER element from a one-byte tag and its content.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(length(content.len()));
    out.extend_from_slice(content);
    out
}

/// A DER SEQUENCE of already encoded elements.
pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A DER length field.
pub fn length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_indefinite_chunked_strings() {
        // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "c" } }
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0, 0, 0, 0,
        ];
        let seq = Tlv::parse(&ber, "t").unwrap();
        let kids = seq.children("t").unwrap();
        assert_eq!(kids[0].octets("t").unwrap(), b"abc");
        assert_eq!(seq.to_der().unwrap(), [0x30, 0x05, 0x04, 0x03, b'a', b'b', b'c']);
    }

    #[test]
    fn der_lengths() {
        assert_eq!(length(5), [5]);
        assert_eq!(length(200), [0x81, 200]);
        assert_eq!(length(0x1234), [0x82, 0x12, 0x34]);
    }
}
