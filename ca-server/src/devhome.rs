//! Zero-configuration start: a development CA home in ./privca-data whose passphrase is generated
//! into a 0600 file beside the keys. Convenient, and said loudly to be unfit for production.
use std::path::Path;

use anyhow::{Context, Result};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use ca_store::home::{files, CaHome, InitOptions};

/// Name of the generated passphrase file inside a development home.
const PASSPHRASE_FILE: &str = "passphrase";

/// Opens `dir` as a CA home, creating a development home there first if it has none.
pub fn open_or_create(dir: &Path) -> Result<CaHome> {
    if dir.join("ca.toml").exists() {
        return Ok(CaHome::open(dir)?);
    }
    tracing::warn!(
        "creating a DEVELOPMENT CA in {} (passphrase stored beside the keys); production CAs are made with `ca-cli init`",
        dir.display()
    );
    files::create_private_dir(dir)?;
    let mut raw = [0u8; 24];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| anyhow::anyhow!("no randomness"))?;
    let pass = hex::encode(raw);
    let pass_path = dir.join(PASSPHRASE_FILE);
    if !pass_path.exists() {
        files::write_secret(&pass_path, pass.as_bytes())?;
    }
    let pass = std::fs::read(&pass_path).with_context(|| format!("reading {}", pass_path.display()))?;
    let opts = InitOptions {
        subject: "CN=privca Development Root CA,O=privca development".into(),
        passphrase_file: Some(PASSPHRASE_FILE.into()),
        ..InitOptions::default()
    };
    Ok(CaHome::create(dir, &opts, &pass, time::OffsetDateTime::now_utc())?)
}
