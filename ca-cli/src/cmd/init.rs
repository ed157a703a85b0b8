//! `init` and `issuer create|list`: CA bootstrap.
use anyhow::{Context, Result};
use ca_core::keys::KeyType;
use ca_store::home::{secret, CaHome, InitOptions};

use crate::cli::{InitArgs, IssuerCreateArgs, IssuerListArgs};
use crate::util::{self, now};

pub fn init(a: InitArgs) -> Result<()> {
    let key_type: KeyType = a.key_type.parse()?;
    let opts = InitOptions {
        key_type,
        subject: a.subject,
        intermediate_subject: a.intermediate_subject,
        public_url: a.public_url,
        ..InitOptions::default()
    };
    if a.home.home.join("ca.toml").exists() {
        anyhow::bail!(
            "{} already holds a CA home; refusing to overwrite it",
            a.home.home.display()
        );
    }
    let pass = secret::resolve(a.home.passphrase_file.as_deref(), None, true)?;
    let home = CaHome::create(&a.home.home, &opts, &pass, now())
        .with_context(|| format!("creating CA home {}", a.home.home.display()))?;
    let c = home.issuer_config("default")?;
    println!("Created CA home {} ({key_type})", home.dir.display());
    println!("  root certificate:         {}", home.dir.join(&c.root_cert).display());
    println!("  intermediate certificate: {}", home.dir.join(&c.cert).display());
    println!(
        "  chain (intermediate+root): {}",
        home.dir.join("issuers/default/chain.pem").display()
    );
    println!("  configuration:            {}", home.dir.join("ca.toml").display());
    let (crt, key) = ca_store::home::admin::paths(&home);
    println!("  admin credential (mTLS): {} + {}", crt.display(), key.display());
    println!("Keys are encrypted with your passphrase (PKCS#8 PBES2, AES-256-CBC), mode 0600.");
    Ok(())
}

pub fn issuer_create(a: IssuerCreateArgs) -> Result<()> {
    let mut home = CaHome::open(&a.home.home)?;
    let key_type: KeyType = a.key_type.parse()?;
    let opts = InitOptions {
        key_type,
        subject: a.subject.unwrap_or_else(|| format!("CN={} Root CA", a.name)),
        intermediate_subject: a.intermediate_subject,
        ..InitOptions::default()
    };
    let pass = util::passphrase(&home, a.home.passphrase_file.as_deref())?;
    home.add_issuer(&a.name, &opts, &pass, now())?;
    let c = home.issuer_config(&a.name)?;
    println!("Created issuer {} ({key_type})", a.name);
    println!("  root certificate:         {}", home.dir.join(&c.root_cert).display());
    println!("  intermediate certificate: {}", home.dir.join(&c.cert).display());
    Ok(())
}

pub fn issuer_list(a: IssuerListArgs) -> Result<()> {
    let home = CaHome::open(&a.home.home)?;
    for (name, c) in &home.config.issuers {
        println!(
            "{name}\t{}\t{}\t{}",
            c.key_type,
            home.dir.join(&c.root_cert).display(),
            home.dir.join(&c.cert).display()
        );
    }
    Ok(())
}
