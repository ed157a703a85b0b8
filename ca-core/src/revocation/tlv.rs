//! A minimal DER writer for the one place where the generic `der` encoders are too costly: the
//! revokedCertificates list of a CRL, which may hold a million entries. Writing tag-length-value
//! straight into one pre-sized buffer avoids a few million small allocations and the repeated
//! length computations of nested derived encoders.

/// Universal SEQUENCE (constructed).
pub(crate) const SEQUENCE: u8 = 0x30;
/// Universal INTEGER.
pub(crate) const INTEGER: u8 = 0x02;
/// Universal OCTET STRING.
pub(crate) const OCTET_STRING: u8 = 0x04;
/// Universal ENUMERATED.
pub(crate) const ENUMERATED: u8 = 0x0a;
/// Universal BIT STRING.
pub(crate) const BIT_STRING: u8 = 0x03;
/// Context-specific constructed [0], as around `crlExtensions`.
pub(crate) const CONTEXT_0: u8 = 0xa0;

/// Appends a DER header for `len` content bytes (minimal length form, as DER requires).
pub(crate) fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = (len as u64).to_be_bytes();
    let skip = bytes.iter().position(|b| *b != 0).unwrap_or(7);
    out.push(0x80 | (8 - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Appends one complete TLV.
pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    push_header(out, tag, content.len());
    out.extend_from_slice(content);
}

/// Turns `buf[start..]` into the content of a `tag` TLV by inserting its header at `start`.
/// The insert is one memmove, so a large body is never copied into a second buffer.
pub(crate) fn wrap_from(buf: &mut Vec<u8>, start: usize, tag: u8) {
    let mut header = Vec::with_capacity(6);
    push_header(&mut header, tag, buf.len() - start);
    buf.splice(start..start, header);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal() {
        for (len, want) in [
            (0usize, vec![0x30, 0x00]),
            (0x7f, vec![0x30, 0x7f]),
            (0x80, vec![0x30, 0x81, 0x80]),
            (0x100, vec![0x30, 0x82, 0x01, 0x00]),
            (0x12_3456, vec![0x30, 0x83, 0x12, 0x34, 0x56]),
        ] {
            let mut v = Vec::new();
            push_header(&mut v, SEQUENCE, len);
            assert_eq!(v, want, "length {len}");
        }
    }

    #[test]
    fn wrap_inserts_header_in_place() {
        let mut v = vec![0xff, 1, 2, 3];
        wrap_from(&mut v, 1, SEQUENCE);
        assert_eq!(v, vec![0xff, 0x30, 3, 1, 2, 3]);
    }
}
