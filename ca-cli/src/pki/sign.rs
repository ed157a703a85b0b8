//! `sign CSRNAME CANAME`: guide 004's `pki sign dbserver dbca`. The request goes through the
//! same issuance pipeline as the daemon (policy of a shipped template, extensions from the
//! template only), signed by CANAME.key/CANAME.crt with a random serial.
use anyhow::{anyhow, Context, Result};
use aws_lc_rs::rand::SystemRandom;
use ca_core::csr::CertRequest;
use ca_core::issue::{IssuerUrls, IssuingCa};
use ca_core::profile::Profile;
use ca_core::serial::Serial;
use ca_store::home::DEFAULT_PROFILES;

use super::args::SignArgs;
use super::files;

/// A shipped template by name (file stem, case-insensitive).
fn shipped_profile(name: &str) -> Result<Profile> {
    let names: Vec<&str> = DEFAULT_PROFILES
        .iter()
        .map(|(f, _)| f.trim_end_matches(".toml"))
        .collect();
    let (file, text) = DEFAULT_PROFILES
        .iter()
        .find(|(f, _)| f.trim_end_matches(".toml").eq_ignore_ascii_case(name))
        .ok_or_else(|| anyhow!("unknown template {name:?} (shipped: {})", names.join(", ")))?;
    Ok(Profile::from_toml(file, file.trim_end_matches(".toml"), text)?)
}

pub fn sign(a: SignArgs) -> Result<()> {
    let csr_path = files::with_ext(&a.csr_name, "csr");
    let ca_cert_path = files::with_ext(&a.ca_name, "crt");
    let ca_key_path = files::with_ext(&a.ca_name, "key");
    let req =
        CertRequest::parse(&files::read(&csr_path)?).with_context(|| format!("reading {}", csr_path.display()))?;
    let ca_certs = ca_core::pem::certificates(&files::read(&ca_cert_path)?)
        .map_err(|e| anyhow!("{}: {e}", ca_cert_path.display()))?;
    let signer = files::load_signer(&ca_key_path, &a.password)?;
    let mut profile = shipped_profile(&a.profile)?;
    // The template's issuer is a CA-home name; here the issuer is the CA files given.
    profile.issuer = a.ca_name.clone();
    let ca = IssuingCa::new(&a.ca_name, ca_certs[0].clone(), Box::new(signer), IssuerUrls::default())
        .map_err(|e| anyhow!("{e} ({} and {})", ca_key_path.display(), ca_cert_path.display()))?;
    let now = crate::util::now();
    let serial = Serial::random(&SystemRandom::new(), now)?;
    let issued = ca
        .issue(&req, &profile, a.days, serial, now)
        .with_context(|| format!("signing {} with template {}", csr_path.display(), profile.name))?;
    let out = files::with_ext(&a.csr_name, "crt");
    files::write_public(&out, &files::encode("CERTIFICATE", &issued.der, a.der))?;
    println!(
        "Signed {} with {} (template {})",
        csr_path.display(),
        a.ca_name,
        profile.name
    );
    println!("  subject: {}", issued.subject);
    if !issued.sans.is_empty() {
        println!("  SAN:     {}", issued.sans.join(", "));
    }
    println!("  serial:  {}", issued.serial);
    println!(
        "  valid:   {} to {}",
        crate::util::fmt_time(issued.not_before.unix_timestamp()),
        crate::util::fmt_time(issued.not_after.unix_timestamp())
    );
    println!("Wrote {}", out.display());
    Ok(())
}
