//! CRL build benchmark (issue 5), run by `scripts/bench/revocation`: for each size in
//! `BENCH_CRL_SIZES` it builds and signs a full CRL of that many entries with a fresh CA of
//! `BENCH_KEY` and prints `RESULT n=.. secs=.. bytes=..`. It also writes the CA (`ca.pem`,
//! `ca.key`) and an OpenSSL `index-N.txt` holding the SAME revoked serials into `BENCH_DIR`, so
//! the script can time `openssl ca -gencrl` on identical input.
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use aws_lc_rs::rand::SystemRandom;
use ca_core::bootstrap::root_certificate;
use ca_core::keys::{generate_pkcs8, pkcs8_pem, KeyPair, KeyType};
use ca_core::name::parse_dn;
use ca_core::revocation::{build_crl, CrlEntry, CrlParams, Reason};
use ca_core::serial::Serial;
use ca_core::{issue::IssuerUrls, issue::IssuingCa, pem};
use time::{Duration, OffsetDateTime};

fn main() {
    let dir = PathBuf::from(std::env::var("BENCH_DIR").unwrap_or_else(|_| "target/bench-revocation".into()));
    std::fs::create_dir_all(&dir).unwrap();
    let kind: KeyType = std::env::var("BENCH_KEY")
        .unwrap_or_else(|_| "ecdsa-p256".into())
        .parse()
        .unwrap();
    let sizes: Vec<usize> = std::env::var("BENCH_CRL_SIZES")
        .unwrap_or_else(|_| "10000 100000 1000000".into())
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let pkcs8 = generate_pkcs8(kind, &SystemRandom::new()).unwrap();
    let key = KeyPair::from_pkcs8_der(&pkcs8).unwrap();
    let name = parse_dn("CN=Bench CRL CA,O=privca bench").unwrap();
    let serial = Serial::from_u128(1);
    let cert = root_certificate(&name, &key, 3650, &serial, now - Duration::days(1)).unwrap();
    std::fs::write(dir.join("ca.pem"), pem::encode("CERTIFICATE", &cert)).unwrap();
    std::fs::write(dir.join("ca.key"), pkcs8_pem(&pkcs8).unwrap().as_bytes()).unwrap();
    let ca = IssuingCa::new("bench", cert, Box::new(key), IssuerUrls::default()).unwrap();

    for n in sizes {
        let t = now - Duration::days(30);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ n as u64;
        let entries: Vec<CrlEntry> = (0..n)
            .map(|i| {
                x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&(x ^ (x >> 31)).to_be_bytes());
                b[8..].copy_from_slice(&(i as u64).to_be_bytes());
                b[0] = (b[0] & 0x7f) | 0x40;
                CrlEntry {
                    serial: Serial::from_bytes(&b),
                    revoked_at: t + Duration::seconds(i as i64),
                    reason: [Reason::KeyCompromise, Reason::Superseded, Reason::Unspecified][i % 3],
                    invalidity: None,
                }
            })
            .collect();
        write_index(&dir.join(format!("index-{n}.txt")), &entries, now);
        let params = CrlParams {
            number: 1,
            this_update: now,
            next_update: now + Duration::days(7),
            delta_of: None,
            freshest_urls: &[],
            idp_urls: &[],
        };
        let start = Instant::now();
        let der = build_crl(&ca, &params, &entries).unwrap();
        let secs = start.elapsed().as_secs_f64();
        std::fs::write(dir.join(format!("privca-{n}.crl")), &der).unwrap();
        println!("RESULT n={n} secs={secs:.4} bytes={}", der.len());
    }
}

/// OpenSSL's `ca` database: one `R` line per revoked certificate.
fn write_index(path: &std::path::Path, entries: &[CrlEntry], now: OffsetDateTime) {
    let f = time::macros::format_description!("[year repr:last_two][month][day][hour][minute][second]Z");
    let expiry = (now + Duration::days(365)).format(&f).unwrap();
    let mut out = String::with_capacity(entries.len() * 90);
    for (i, e) in entries.iter().enumerate() {
        let reason = match e.reason {
            Reason::KeyCompromise => ",keyCompromise",
            Reason::Superseded => ",superseded",
            _ => "",
        };
        let _ = writeln!(
            out,
            "R\t{expiry}\t{}{reason}\t{}\tunknown\t/CN=bench {i}",
            e.revoked_at.format(&f).unwrap(),
            e.serial.hex().to_uppercase()
        );
    }
    std::fs::File::create(path).unwrap().write_all(out.as_bytes()).unwrap();
}
