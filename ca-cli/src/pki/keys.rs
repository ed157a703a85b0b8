//! `keygen`, `unlock` and `lock`: private key files.
use anyhow::{bail, Context, Result};
use aws_lc_rs::rand::SystemRandom;
use ca_core::keys::{self, KeyPair, KeyType};
use ca_core::signer::Signer;
use ca_core::toolbox::{describe, keyfile};

use super::args::{KeygenArgs, LockArgs, UnlockArgs};
use super::files;

/// Generates a key and returns its file contents (encrypted PEM when a password is given).
pub fn new_key_pem(kind: KeyType, password: Option<&[u8]>) -> Result<(zeroize::Zeroizing<String>, KeyPair)> {
    let rng = SystemRandom::new();
    let der = keys::generate_pkcs8(kind, &rng)?;
    let kp = KeyPair::from_pkcs8_der(&der)?;
    let pem = match password {
        Some(p) => keys::encrypt_pkcs8_pem(&der, p, &rng)?,
        None => keys::pkcs8_pem(&der)?,
    };
    Ok((pem, kp))
}

/// `keygen NAME`.
pub fn keygen(a: KeygenArgs) -> Result<()> {
    let kind: KeyType = a.key_type.parse()?;
    let path = files::with_ext(&a.name, "key");
    if path.exists() {
        bail!("{} already exists; refusing to overwrite a private key", path.display());
    }
    let pass = if a.encrypt {
        Some(files::new_password(&a.password, &path)?)
    } else {
        None
    };
    let (pem, kp) = new_key_pem(kind, pass.as_deref().map(|v| v.as_slice()))?;
    files::write_key(&path, pem.as_bytes())?;
    println!(
        "Wrote {} ({}{}, mode 0600)",
        path.display(),
        describe::spki_description(kp.public_key_der())?,
        if a.encrypt { ", encrypted" } else { "" }
    );
    Ok(())
}

/// `unlock KEY`: decrypts to unencrypted PKCS#8, replacing KEY unless --out is given.
pub fn unlock(a: UnlockArgs) -> Result<()> {
    let data = files::read(&a.key)?;
    let kf = keyfile::read_key(&data).with_context(|| format!("{} holds no private key", a.key.display()))?;
    if !kf.is_encrypted() {
        bail!("{} is not encrypted; nothing to unlock", a.key.display());
    }
    let storage = kf.storage();
    let der = files::load_pkcs8(&a.key, &a.password)?;
    let kp =
        KeyPair::from_pkcs8_der(&der).with_context(|| format!("{} decrypted to an unusable key", a.key.display()))?;
    let pem = keys::pkcs8_pem(&der)?;
    match &a.out {
        Some(out) => files::write_key(out, pem.as_bytes())?,
        None => files::replace_key(&a.key, pem.as_bytes())?,
    }
    println!(
        "Unlocked {} ({storage}) -> {} ({}, unencrypted PKCS#8, mode 0600)",
        a.key.display(),
        a.out.as_deref().unwrap_or(&a.key).display(),
        describe::spki_description(kp.public_key_der())?
    );
    Ok(())
}

/// `lock KEY`: encrypts with PBES2 (PBKDF2-SHA256, AES-256-CBC).
pub fn lock(a: LockArgs) -> Result<()> {
    let data = files::read(&a.key)?;
    let kf = keyfile::read_key(&data).with_context(|| format!("{} holds no private key", a.key.display()))?;
    if kf.is_encrypted() {
        bail!("{} is already encrypted ({})", a.key.display(), kf.storage());
    }
    let der = kf.pkcs8(None)?;
    KeyPair::from_pkcs8_der(&der).with_context(|| format!("{} holds an unusable key", a.key.display()))?;
    let pass = files::new_password(&a.password, a.out.as_deref().unwrap_or(&a.key))?;
    let pem = keys::encrypt_pkcs8_pem(&der, &pass, &SystemRandom::new())?;
    match &a.out {
        Some(out) => files::write_key(out, pem.as_bytes())?,
        None => files::replace_key(&a.key, pem.as_bytes())?,
    }
    println!(
        "Locked {} (PKCS#8 PBES2, AES-256-CBC, mode 0600)",
        a.out.as_deref().unwrap_or(&a.key).display()
    );
    Ok(())
}
