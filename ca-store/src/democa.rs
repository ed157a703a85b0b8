//! Export to OpenSSL's demoCA layout, so `openssl ca` and `openssl ocsp -index` can
//! read privca's certificates (migration away, or a stand-in OCSP responder).
//!
//! Formats follow what OpenSSL 3 itself writes (apps/ca.c, `X509_NAME_oneline`), since
//! OpenSSL's readers are the only specification of these files.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::StoreError;
use crate::record::{serial_to_hex, CertRecord, CertStatus};

/// Writes `index.txt`, `index.txt.attr`, `serial` and `newcerts/<SERIAL>.pem` for
/// `records` into `out_dir` (created if missing; same-named files are replaced).
///
/// Statuses are computed at `now` (unix seconds). `serial` holds `next_serial` if given,
/// else the largest exported serial + 1 (`01` when there are none). The records should
/// come from one issuer: OpenSSL's index allows each serial once, so a repeated serial
/// fails with [`StoreError::DuplicateSerial`] before anything is written.
pub fn export_openssl(
    records: &[CertRecord],
    now: i64,
    next_serial: Option<u128>,
    out_dir: &Path,
) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    if let Some(rec) = records.iter().find(|r| !seen.insert(significant(&r.serial))) {
        return Err(StoreError::DuplicateSerial {
            issuer: rec.issuer.clone(),
            serial_hex: rec.serial_hex(),
        });
    }
    // Everything is computed before the first file is written, so a bad record leaves
    // `out_dir` untouched.
    let mut index = String::new();
    for rec in records {
        index.push_str(&index_line(rec, now)?);
    }
    let serial = match next_serial {
        Some(n) => u128_hex(n),
        None => serial_to_hex(&max_serial_plus_one(records)),
    };

    let newcerts = out_dir.join("newcerts");
    fs::create_dir_all(&newcerts)?;
    for rec in records {
        let file = newcerts.join(format!("{}.pem", rec.serial_hex()));
        fs::write(file, pem_certificate(&rec.der))?;
    }
    write_replacing(&out_dir.join("index.txt.attr"), "unique_subject = no\n")?;
    write_replacing(&out_dir.join("serial"), &format!("{serial}\n"))?;
    // Last, so a reader polling index.txt sees the new certificates' files already there.
    write_replacing(&out_dir.join("index.txt"), &index)
}

/// One `index.txt` row: status, expiry, revocation, serial, file name, subject.
///
/// The file name column is `unknown`, as `openssl ca` writes it; the PEM is found in
/// `newcerts/` by serial.
fn index_line(rec: &CertRecord, now: i64) -> Result<String, StoreError> {
    let (status, revoked) = match (rec.status(now), &rec.revocation) {
        (CertStatus::Revoked, Some(rev)) => ('R', revocation_column(rev)?),
        (CertStatus::Expired, _) => ('E', String::new()),
        _ => ('V', String::new()),
    };
    Ok(format!(
        "{status}\t{}\t{revoked}\t{}\tunknown\t{}\n",
        asn1_time(rec.not_after)?,
        rec.serial_hex(),
        oneline_subject(rec)?
    ))
}

/// `time[,reason[,arg]]` as `openssl ca -revoke` writes it.
///
/// An invalidity date is only representable for keyCompromise and CACompromise, as
/// OpenSSL's `keyTime`/`CAkeyTime` forms; for other reasons it is left out. RFC 5280
/// reasons OpenSSL has no name for (privilegeWithdrawn, aACompromise) are written
/// without a reason: an unknown name would make OpenSSL reject the whole row.
fn revocation_column(rev: &crate::record::Revocation) -> Result<String, StoreError> {
    let mut column = asn1_time(rev.time)?;
    match (rev.reason, rev.invalidity_date) {
        (1, Some(when)) => write_arg(&mut column, "keyTime", &generalized_time(when)?),
        (2, Some(when)) => write_arg(&mut column, "CAkeyTime", &generalized_time(when)?),
        (reason, _) => {
            if let Some(name) = openssl_reason_name(reason) {
                column.push(',');
                column.push_str(name);
            }
        }
    }
    Ok(column)
}

/// Appends `,name,arg`.
fn write_arg(column: &mut String, name: &str, arg: &str) {
    column.push(',');
    column.push_str(name);
    column.push(',');
    column.push_str(arg);
}

/// OpenSSL's name for an RFC 5280 CRLReason code (apps/ca.c `crl_reasons`).
fn openssl_reason_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "CACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        _ => return None,
    })
}

/// UTCTime `YYMMDDHHMMSSZ` for 1950..=2049, GeneralizedTime otherwise: the RFC 5280
/// rule, and what OpenSSL copies from the certificate or writes for "now".
fn asn1_time(unix: i64) -> Result<String, StoreError> {
    let t = datetime(unix)?;
    if (1950..2050).contains(&t.year()) {
        Ok(generalized_time(unix)?[2..].to_owned())
    } else {
        generalized_time(unix)
    }
}

/// GeneralizedTime `YYYYMMDDHHMMSSZ`.
fn generalized_time(unix: i64) -> Result<String, StoreError> {
    let t = datetime(unix)?;
    Ok(format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

fn datetime(unix: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {unix} out of range: {e}")))
}

/// The subject in OpenSSL's `X509_NAME_oneline` form, `/C=GB/O=Example/CN=www.example.com`,
/// parsed from the certificate rather than from the display subject so it matches what
/// `openssl ca` would have written byte for byte.
///
/// As OpenSSL does: RDNs in DER order, `+` between values of one multi-valued RDN,
/// `/` and `+` inside values escaped with `\`, bytes outside printable ASCII as `\xHH`
/// (raw content bytes, whatever the string type).
fn oneline_subject(rec: &CertRecord) -> Result<String, StoreError> {
    let (_, cert) = X509Certificate::from_der(&rec.der).map_err(|e| {
        StoreError::Corrupt(format!(
            "issuer {:?} serial {}: certificate does not parse: {e}",
            rec.issuer,
            rec.serial_hex()
        ))
    })?;
    let mut line = String::new();
    for rdn in cert.subject().iter_rdn() {
        for (i, attr) in rdn.iter().enumerate() {
            line.push(if i == 0 { '/' } else { '+' });
            let oid = attr.attr_type().to_id_string();
            line.push_str(openssl_short_name(&oid).unwrap_or(&oid));
            line.push('=');
            for &byte in attr.as_slice() {
                match byte {
                    b'/' | b'+' => {
                        line.push('\\');
                        line.push(char::from(byte));
                    }
                    b' '..=b'~' => line.push(char::from(byte)),
                    _ => {
                        let _ = write!(line, "\\x{byte:02X}");
                    }
                }
            }
        }
    }
    Ok(line)
}

/// OpenSSL's short name (`OBJ_nid2sn`) for the attribute types seen in subjects.
fn openssl_short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.15" => "businessCategory",
        "2.5.4.16" => "postalAddress",
        "2.5.4.17" => "postalCode",
        "2.5.4.20" => "telephoneNumber",
        "2.5.4.41" => "name",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.45" => "x500UniqueIdentifier",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.72" => "role",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.2.840.113549.1.9.2" => "unstructuredName",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        _ => return None,
    })
}

/// The serial without leading zero bytes (numeric identity).
fn significant(serial: &[u8]) -> &[u8] {
    let first = serial.iter().position(|&b| b != 0).unwrap_or(serial.len());
    &serial[first..]
}

/// The largest serial of `records` plus one, big-endian bytes; `[1]` for none.
fn max_serial_plus_one(records: &[CertRecord]) -> Vec<u8> {
    // Shorter significant bytes means smaller; equal lengths compare bytewise.
    let max = records
        .iter()
        .map(|r| significant(&r.serial))
        .max_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
        .unwrap_or_default();
    let mut next = max.to_vec();
    for byte in next.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            return next;
        }
    }
    next.insert(0, 1);
    next
}

/// A u128 in `BN_bn2hex` form: uppercase, even number of digits.
fn u128_hex(n: u128) -> String {
    serial_to_hex(&n.to_be_bytes())
}

/// Replaces `path` via a temporary file and rename, so a reader never sees half a file.
fn write_replacing(path: &Path, contents: &str) -> Result<(), StoreError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    fs::write(&tmp, contents)?;
    fs::rename(&tmp, path)?;
    Ok(())
}

/// DER certificate as PEM (base64 in 64-column lines).
fn pem_certificate(der: &[u8]) -> String {
    let b64 = base64(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// Standard padded base64. Ten lines here instead of a dependency for PEM output only.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn times_switch_to_generalized_in_2050() {
        assert_eq!(asn1_time(0).unwrap(), "700101000000Z");
        // 2049-12-31T23:59:59Z and one second later.
        assert_eq!(asn1_time(2_524_607_999).unwrap(), "491231235959Z");
        assert_eq!(asn1_time(2_524_608_000).unwrap(), "20500101000000Z");
    }

    #[test]
    fn next_serial_carries() {
        let rec = |serial: &[u8]| CertRecord {
            issuer: "x".into(),
            serial: serial.to_vec(),
            der: vec![],
            subject: String::new(),
            sans: vec![],
            profile: String::new(),
            not_before: 0,
            not_after: 0,
            issued_at: 0,
            request_id: None,
            revocation: None,
        };
        assert_eq!(max_serial_plus_one(&[]), vec![1]);
        assert_eq!(max_serial_plus_one(&[rec(&[0x00, 0xFF]), rec(&[0x7F])]), vec![1, 0]);
        assert_eq!(max_serial_plus_one(&[rec(&[0x01, 0x02]), rec(&[0xFF])]), vec![1, 3]);
        assert_eq!(u128_hex(0x1A2), "01A2");
        assert_eq!(u128_hex(0), "00");
    }

    #[test]
    fn revocation_columns() {
        use crate::record::Revocation;
        let rev = |reason, invalidity_date| Revocation {
            time: 0,
            reason,
            invalidity_date,
        };
        assert_eq!(revocation_column(&rev(1, None)).unwrap(), "700101000000Z,keyCompromise");
        assert_eq!(
            revocation_column(&rev(1, Some(86_400))).unwrap(),
            "700101000000Z,keyTime,19700102000000Z"
        );
        assert_eq!(
            revocation_column(&rev(6, Some(5))).unwrap(),
            "700101000000Z,certificateHold"
        );
        assert_eq!(revocation_column(&rev(9, None)).unwrap(), "700101000000Z");
    }
}
