//! `inspect FILE` and `match KEY CERT` (guide 004 Appendix C).
use anyhow::{anyhow, bail, Result};
use ca_core::signer::Signer;
use ca_core::toolbox::describe::{self, CertInfo};
use ca_core::toolbox::inspect::{inspect as inspect_data, Item};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::args::{InspectArgs, MatchArgs};
use super::files;

pub fn inspect(a: InspectArgs) -> Result<()> {
    let data = files::read(&a.file)?;
    if ca_core::toolbox::inspect::looks_like_pkcs12(&data) && super::pkcs12::password_given(&a.password) {
        return super::pkcs12::inspect(&a.file, &a.password, a.json);
    }
    let items =
        inspect_data(&data, crate::util::now().unix_timestamp()).map_err(|e| anyhow!("{}: {e}", a.file.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(());
    }
    let certs = items.iter().filter(|i| matches!(i, Item::Certificate(_))).count();
    if certs > 1 {
        println!("{}: bundle of {certs} certificates", a.file.display());
    }
    for (n, item) in items.iter().enumerate() {
        if items.len() > 1 {
            println!("[{}]", n + 1);
        }
        print_item(item);
    }
    Ok(())
}

fn print_item(item: &Item) {
    match item {
        Item::PrivateKey {
            storage,
            encrypted,
            key,
        } => {
            println!(
                "Private key: {}",
                key.as_deref().unwrap_or("(encrypted: type unknown until unlocked)")
            );
            println!("  format:    {storage}");
            if *encrypted {
                println!("  encrypted: yes (use `ca-cli unlock` to remove the password)");
            }
        }
        Item::PublicKey { key, sha256 } => println!("Public key: {key}\n  SHA-256:   {sha256}"),
        Item::Certificate(c) => print_cert(c),
        Item::Csr {
            subject,
            key,
            san,
            signature_valid,
        } => {
            println!("Certificate request (CSR)");
            println!("  subject:   {subject}");
            println!("  key:       {key}");
            if !san.is_empty() {
                println!("  SAN:       {}", san.join(", "));
            }
            println!(
                "  signature: {}",
                if *signature_valid {
                    "valid"
                } else {
                    "INVALID (the request was altered or damaged)"
                }
            );
        }
        Item::Crl {
            issuer,
            this_update,
            next_update,
            revoked,
        } => {
            println!("Certificate revocation list (CRL)");
            println!("  issuer:      {issuer}");
            println!("  this update: {this_update}");
            if let Some(n) = next_update {
                println!("  next update: {n}");
            }
            println!("  revoked:     {revoked}");
        }
        Item::Pkcs12 => println!(
            "PKCS#12 (.pfx/.p12) file: its contents are password-protected (add --password-file F to show them)"
        ),
        Item::Unknown { what } => println!("Unknown: {what}"),
    }
}

pub(super) fn print_cert(c: &CertInfo) {
    println!("Certificate{}", if c.self_signed { " (self-signed)" } else { "" });
    println!("  subject:    {}", c.subject);
    println!("  issuer:     {}", c.issuer);
    println!("  serial:     {}", c.serial);
    println!("  not before: {}", c.not_before);
    let warn = match c.status.as_str() {
        "expired" => format!("  EXPIRED {} days ago", -c.days_left),
        "expires-soon" => format!("  WARNING: expires soon ({} days left)", c.days_left),
        "not-yet-valid" => "  NOT YET VALID".to_string(),
        _ => format!("  ({} days left)", c.days_left),
    };
    println!("  not after:  {}{warn}", c.not_after);
    println!("  key:        {}", c.key);
    println!("  signature:  {}", c.signature_algorithm);
    if !c.san.is_empty() {
        println!("  SAN:        {}", c.san.join(", "));
    }
    if let Some(bc) = &c.basic_constraints {
        println!("  basic constraints: {bc}");
    }
    if !c.key_usage.is_empty() {
        println!("  key usage:  {}", c.key_usage.join(", "));
    }
    if !c.extended_key_usage.is_empty() {
        println!("  extended key usage: {}", c.extended_key_usage.join(", "));
    }
    if let Some(s) = &c.subject_key_id {
        println!("  subject key id:   {s}");
    }
    if let Some(s) = &c.authority_key_id {
        println!("  authority key id: {s}");
    }
    if !c.crl_distribution_points.is_empty() {
        println!("  CRL:        {}", c.crl_distribution_points.join(", "));
    }
    if !c.ocsp.is_empty() {
        println!("  OCSP:       {}", c.ocsp.join(", "));
    }
    if !c.ca_issuers.is_empty() {
        println!("  CA issuers: {}", c.ca_issuers.join(", "));
    }
    println!("  SHA-256 fingerprint: {}", c.sha256_fingerprint);
    println!("  SHA-1 fingerprint:   {}", c.sha1_fingerprint);
}

/// Algorithm OID and public key bits: comparing these, not whole SPKI DER, ignores encoding
/// differences such as absent vs NULL parameters.
fn key_id(spki_der: &[u8]) -> Result<(String, Vec<u8>)> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der).map_err(|e| anyhow!("public key is malformed: {e}"))?;
    Ok((
        spki.algorithm.algorithm.to_id_string(),
        spki.subject_public_key.data.to_vec(),
    ))
}

pub fn matches(a: MatchArgs) -> Result<()> {
    let kp = files::load_signer(&a.key, &a.password)?;
    let key_spki = kp.public_key_der();
    let certs = ca_core::pem::certificates(&files::read(&a.cert)?).map_err(|e| anyhow!("{}: {e}", a.cert.display()))?;
    let key_desc = describe::spki_description(key_spki)?;
    let mine = key_id(key_spki)?;
    let mut cert_spkis = Vec::new();
    for der in &certs {
        let c = ca_core::toolbox::chain::parse(der)?;
        cert_spkis.push(c.public_key().raw.to_vec());
    }
    if key_id(&cert_spkis[0])? == mine {
        println!(
            "Key and certificate pair match ({key_desc}, certificate '{}')",
            ca_core::toolbox::chain::label(&certs[0])
        );
        return Ok(());
    }
    let fp = |spki: &[u8]| describe::fingerprint(spki, false);
    if let Some(i) = cert_spkis.iter().position(|s| key_id(s).is_ok_and(|k| k == mine)) {
        bail!(
            "Key and certificate do not match: the key belongs to certificate {} ('{}') of {}, not the first one",
            i + 1,
            ca_core::toolbox::chain::label(&certs[i]),
            a.cert.display()
        );
    }
    bail!(
        "Key and certificate do not match: key is {key_desc} (public key SHA-256 {}), certificate's key is {} (public key SHA-256 {})",
        fp(key_spki),
        describe::spki_description(&cert_spkis[0])?,
        fp(&cert_spkis[0])
    )
}
