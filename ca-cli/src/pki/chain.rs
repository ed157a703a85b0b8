//! `verify CERT [BUNDLE] [CA]` and `bundle CERT [CHAIN...] --out F`.
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use ca_core::toolbox::chain::{label, order};
use ca_core::toolbox::verify::{self, Options, Purpose};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::args::{BundleArgs, PurposeArg, VerifyArgs};
use super::files;

fn certs_of(path: &Path) -> Result<Vec<Vec<u8>>> {
    ca_core::pem::certificates(&files::read(path)?).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// `2025-06-01`, `2025-06-01T12:00:00Z` or unix seconds.
fn parse_at(s: &str) -> Result<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &f)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .map_err(|_| anyhow!("--at {s:?} is not a date (2025-06-01), an RFC 3339 time or unix seconds"))
}

pub fn verify(a: VerifyArgs) -> Result<()> {
    let mut leaf_file = certs_of(&a.cert)?;
    let leaf = leaf_file.remove(0);
    let mut untrusted = leaf_file;
    for b in a.bundle.iter().chain(a.chain.iter()) {
        untrusted.extend(certs_of(b)?);
    }
    let anchors = match &a.ca {
        Some(c) => certs_of(c)?,
        None => Vec::new(),
    };
    let opts = Options {
        purpose: match a.purpose {
            PurposeArg::Server => Purpose::Server,
            PurposeArg::Client => Purpose::Client,
            PurposeArg::Any => Purpose::Any,
        },
        name: a.name.clone(),
        at: match &a.at {
            Some(s) => parse_at(s)?,
            None => crate::util::now().unix_timestamp(),
        },
    };
    let mut report = verify::verify(&leaf, &untrusted, &anchors, &opts)?;
    if super::revocation::wanted(&a) {
        let candidates: Vec<Vec<u8>> = untrusted.iter().chain(anchors.iter()).cloned().collect();
        let findings = super::revocation::check(&a, &leaf, &candidates, opts.at)?;
        let (problems, notes) = super::revocation::judge(&findings, a.fallback);
        report.problems.extend(problems);
        report.notes.extend(notes);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let quoted: Vec<String> = report.path.iter().map(|p| format!("'{p}'")).collect();
        println!("chain: {}", quoted.join(" <- "));
        for n in &report.notes {
            println!("note: {n}");
        }
    }
    if report.ok() {
        if !a.json {
            println!("OK: {} verifies", a.cert.display());
        }
        return Ok(());
    }
    bail!(
        "{} does not verify:\n  {}",
        a.cert.display(),
        report.problems.join("\n  ")
    )
}

pub fn bundle(a: BundleArgs) -> Result<()> {
    let mut all = certs_of(&a.cert)?;
    for c in &a.chain {
        all.extend(certs_of(c)?);
    }
    let o = order(all, a.include_root)?;
    let refs: Vec<&[u8]> = o.chain.iter().map(Vec::as_slice).collect();
    files::write_public(&a.out, ca_core::pem::chain(&refs).as_bytes())?;
    let labels: Vec<String> = o.chain.iter().map(|c| format!("'{}'", label(c))).collect();
    println!(
        "Wrote {} ({} certificates): {}",
        a.out.display(),
        o.chain.len(),
        labels.join(" <- ")
    );
    if let Some(r) = &o.root {
        if !a.include_root {
            println!("  root '{}' left out (--include-root to add it)", label(r));
        }
    } else {
        println!(
            "  note: no root found; the chain ends at '{}'",
            label(o.chain.last().expect("leaf"))
        );
    }
    for d in &o.duplicates {
        println!("  dropped duplicate '{d}'");
    }
    for u in &o.unrelated {
        println!("  dropped unrelated '{u}' (not on the path of the certificate)");
    }
    Ok(())
}
