//! `pkcs12 split`, `pkcs12 create` and `pkcs12-to-ssh` (issue 4 item 9; guide 002 Appendix 3,
//! guide 004 Appendix C). The PKCS#12 logic is in `ca_core::toolbox::pkcs12`.
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use aws_lc_rs::rand::SystemRandom;
use ca_core::toolbox::pkcs12::{self, BagContent, BagInfo, CreateParams, Pkcs12};
use ca_core::toolbox::{chain, ssh};
use clap::{Args, Subcommand};

use super::args::PasswordArgs;
use super::files;

/// The PKCS#12 (.pfx/.p12) verbs.
#[derive(Debug, Subcommand)]
pub enum Pkcs12Command {
    /// Split a .pfx into NAME.key (unencrypted), NAME.crt (the key's certificate) and NAME-chain.crt.
    Split(SplitArgs),
    /// Build a .pfx from a key, its certificate and the chain (AES-256; --legacy for old Windows).
    Create(CreateArgs),
}

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The .pfx/.p12 file; NAME is its file stem.
    pub file: PathBuf,
    /// Directory for the output files (default: the current directory).
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The private key (PEM or DER; an encrypted key asks for --key-password-file or a prompt).
    #[arg(long)]
    pub key: PathBuf,
    /// The key's certificate.
    #[arg(long)]
    pub cert: PathBuf,
    /// Intermediate and root certificates, in any order (repeatable).
    #[arg(long)]
    pub chain: Vec<PathBuf>,
    /// The .pfx to write.
    #[arg(long)]
    pub out: PathBuf,
    /// 3DES (pbeWithSHAAnd3-KeyTripleDES-CBC) and a SHA-1 MAC, for Windows before Server 2019.
    #[arg(long)]
    pub legacy: bool,
    /// Friendly name (Windows shows it; Java uses it as the alias).
    #[arg(long)]
    pub name: Option<String>,
    /// File holding the password for the new .pfx (at least 8 characters; else a prompt).
    #[command(flatten)]
    pub password: PasswordArgs,
    /// File holding the password of an encrypted --key.
    #[arg(long)]
    pub key_password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ToSshArgs {
    /// The .pfx/.p12 file.
    pub file: PathBuf,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Runs `pkcs12 split|create`.
pub fn run(cmd: Pkcs12Command) -> Result<()> {
    match cmd {
        Pkcs12Command::Split(a) => split(a),
        Pkcs12Command::Create(a) => create(a),
    }
}

/// Reads and decrypts a .pfx, naming the file in errors.
pub fn open(path: &Path, password: &PasswordArgs) -> Result<Pkcs12> {
    let data = files::read(path)?;
    let pass = files::read_password(password, path)?;
    pkcs12::read(&data, &pass).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn split(a: SplitArgs) -> Result<()> {
    let p = open(&a.file, &a.password)?;
    let parts = pkcs12::split(&p).map_err(|e| anyhow!("{}: {e}", a.file.display()))?;
    let stem = a
        .file
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| anyhow!("{}: cannot take a base name from this file name", a.file.display()))?;
    let dir = a.out_dir.clone().unwrap_or_default();
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key_path = dir.join(format!("{stem}.key"));
    let crt_path = dir.join(format!("{stem}.crt"));
    let chain_path = dir.join(format!("{stem}-chain.crt"));
    files::write_key(&key_path, ca_core::keys::pkcs8_pem(&parts.key)?.as_bytes())?;
    files::write_public(&crt_path, ca_core::pem::encode("CERTIFICATE", &parts.leaf).as_bytes())?;
    println!(
        "Wrote {} ({}, unencrypted PKCS#8, mode 0600)",
        key_path.display(),
        parts.key_description
    );
    println!("Wrote {} ('{}')", crt_path.display(), chain::label(&parts.leaf));
    if parts.chain.is_empty() {
        println!(
            "No chain: the file holds no issuer certificates of '{}'",
            chain::label(&parts.leaf)
        );
    } else {
        let refs: Vec<&[u8]> = parts.chain.iter().map(Vec::as_slice).collect();
        files::write_public(&chain_path, ca_core::pem::chain(&refs).as_bytes())?;
        let labels: Vec<String> = parts.chain.iter().map(|c| format!("'{}'", chain::label(c))).collect();
        println!(
            "Wrote {} ({} certificate(s), issuer first): {}",
            chain_path.display(),
            parts.chain.len(),
            labels.join(" <- ")
        );
    }
    for u in &parts.unrelated {
        println!("  left out '{u}': not an issuer of '{}'", chain::label(&parts.leaf));
    }
    Ok(())
}

fn create(a: CreateArgs) -> Result<()> {
    let key_pass = PasswordArgs {
        password_file: a.key_password_file.clone(),
    };
    let key = files::load_pkcs8(&a.key, &key_pass)?;
    let cert = first_cert(&a.cert)?;
    let mut chain_certs = Vec::new();
    for c in &a.chain {
        chain_certs.extend(ca_core::pem::certificates(&files::read(c)?).map_err(|e| anyhow!("{}: {e}", c.display()))?);
    }
    if a.out.exists() {
        bail!("{} already exists; refusing to overwrite", a.out.display());
    }
    let pass = files::new_password(&a.password, &a.out)?;
    let params = CreateParams {
        key: &key,
        cert: &cert,
        chain: chain_certs,
        friendly_name: a.name.as_deref(),
        legacy: a.legacy,
    };
    let made = pkcs12::create(params, &pass, &SystemRandom::new())?;
    files::write_key(&a.out, &made.der)?;
    println!(
        "Wrote {} (key, certificate '{}' and {} chain certificate(s); {}, mode 0600)",
        a.out.display(),
        chain::label(&cert),
        made.chain_len,
        if a.legacy {
            "3DES with SHA-1 MAC for old Windows"
        } else {
            "AES-256-CBC, PBKDF2-SHA256, SHA-256 MAC"
        }
    );
    for u in &made.unrelated {
        println!("  left out '{u}': not an issuer of the certificate");
    }
    Ok(())
}

/// The certificate of a --cert file (the first one if it holds a bundle).
fn first_cert(path: &Path) -> Result<Vec<u8>> {
    let certs = ca_core::pem::certificates(&files::read(path)?).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let first = certs.into_iter().next().expect("certificates() returns at least one");
    chain::parse(&first).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(first)
}

/// `pkcs12-to-ssh FILE`: prints the OpenSSH public key line of the file's private key.
pub fn to_ssh(a: ToSshArgs) -> Result<()> {
    let p = open(&a.file, &a.password)?;
    let keys: Vec<&[u8]> = p.keys().collect();
    let key = match keys.as_slice() {
        [one] => *one,
        [] => bail!(
            "{}: {}",
            a.file.display(),
            pkcs12::Pkcs12Error::NoKey {
                certs: p.certificates().count()
            }
        ),
        many => bail!(
            "{}: the file holds {} private keys; expected one",
            a.file.display(),
            many.len()
        ),
    };
    let spki = pkcs12::public_key_of(key).map_err(|e| anyhow!("{}: {e}", a.file.display()))?;
    // The key's friendly name (if any) becomes the comment, as ssh-keygen puts one after a key.
    let comment = p
        .bags
        .iter()
        .find(|b| matches!(b.content, BagContent::Key(_)))
        .and_then(|b| b.friendly_name.clone())
        .unwrap_or_default();
    println!("{}", ssh::openssh_line(&spki, &comment)?);
    Ok(())
}

/// Whether `inspect` has a .pfx password without prompting (file or environment).
pub fn password_given(p: &PasswordArgs) -> bool {
    p.password_file.is_some() || std::env::var_os(ca_store::home::secret::ENV).is_some()
}

/// `inspect FILE.pfx --password-file F`: every bag, keys with the certificate they belong to.
pub fn inspect(path: &Path, password: &PasswordArgs, json: bool) -> Result<()> {
    let p = open(path, password)?;
    let bags = pkcs12::describe(&p, crate::util::now().unix_timestamp());
    if json {
        let doc = serde_json::json!({ "type": "pkcs12", "mac": p.mac, "bags": bags });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "{}: PKCS#12 file, {} bag(s), integrity: {}",
        path.display(),
        bags.len(),
        p.mac.as_deref().unwrap_or("none (no MAC)")
    );
    for (n, bag) in bags.iter().enumerate() {
        let attrs = match bag {
            BagInfo::PrivateKey { attrs, .. } | BagInfo::Certificate { attrs, .. } | BagInfo::Other { attrs, .. } => {
                attrs
            }
        };
        println!("[{}]", n + 1);
        match bag {
            BagInfo::PrivateKey { key, certificate, .. } => {
                println!("Private key: {key}");
                match certificate {
                    Some(c) => println!("  certificate: '{c}' (same public key)"),
                    None => println!("  certificate: none in the file has this key's public key"),
                }
            }
            BagInfo::Certificate { certificate, .. } => super::look::print_cert(certificate),
            BagInfo::Other { what, .. } => println!("Other bag: {what}"),
        }
        if let Some(f) = &attrs.friendly_name {
            println!("  friendly name: {f}");
        }
        if let Some(id) = &attrs.local_key_id {
            println!("  local key id:  {id}");
        }
        println!("  encryption:    {}", attrs.encryption.as_deref().unwrap_or("none"));
    }
    Ok(())
}
