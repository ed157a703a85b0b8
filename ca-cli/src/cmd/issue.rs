//! `issue`: offline issuance through the same pipeline and index as the daemon.
use std::sync::Arc;

use anyhow::{Context, Result};
use ca_core::pem;
use ca_store::home::authority::{Authority, KeyScope};
use ca_store::home::{files, CaHome};

use crate::cli::IssueArgs;
use crate::util::{self, now};

pub fn issue(a: IssueArgs) -> Result<()> {
    let home = CaHome::open(&a.home.home)?;
    let csr = std::fs::read(&a.csr).with_context(|| format!("reading CSR {}", a.csr.display()))?;
    // Unlock only the key this template signs with.
    let profiles = home.load_profiles()?;
    let profile = profiles.get(&a.profile)?.clone();
    home.issuer_config(&profile.issuer)
        .map_err(|e| anyhow::anyhow!("{e} (template {} signs with it)", profile.name))?;
    let pass = util::passphrase(&home, a.home.passphrase_file.as_deref())?;
    let index = Arc::new(home.open_index()?);
    let auth = Authority::open(home, index, &pass, &KeyScope::for_profile(&profile))?;
    let issued = auth.issue(&csr, &a.profile, a.days, None, now())?;
    let leaf = pem::encode("CERTIFICATE", &issued.record.der);
    files::write_atomic(&a.out, leaf.as_bytes())?;
    if let Some(path) = &a.chain_out {
        let refs: Vec<&[u8]> = issued.chain.iter().map(|c| c.as_slice()).collect();
        files::write_atomic(path, pem::chain(&refs).as_bytes())?;
    }
    let r = &issued.record;
    println!("Issued serial {} with template {}", r.serial_hex(), r.profile);
    println!("  subject:   {}", r.subject);
    if !r.sans.is_empty() {
        println!("  SAN:       {}", r.sans.join(", "));
    }
    println!(
        "  valid:     {} to {}",
        util::fmt_time(r.not_before),
        util::fmt_time(r.not_after)
    );
    println!("  written:   {}", a.out.display());
    Ok(())
}
