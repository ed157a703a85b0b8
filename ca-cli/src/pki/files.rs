//! File and password handling shared by the pki verbs: reading inputs with their names in
//! errors, writing keys 0600 without overwriting, and loading keys in any supported form.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ca_core::keys::KeyPair;
use ca_core::toolbox::keyfile;
use ca_core::toolbox::ToolError;
use ca_store::home::{files, secret};
use zeroize::Zeroizing;

use super::args::PasswordArgs;

/// `NAME` + `.ext`, keeping any directory part of NAME.
pub fn with_ext(name: &str, ext: &str) -> PathBuf {
    PathBuf::from(format!("{name}.{ext}"))
}

/// Reads a whole input file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes a new secret file (0600); refuses to overwrite an existing key.
pub fn write_key(path: &Path, data: &[u8]) -> Result<()> {
    if path.exists() {
        bail!("{} already exists; refusing to overwrite a private key", path.display());
    }
    files::write_secret(path, data)?;
    Ok(())
}

/// Replaces an existing key file in place, keeping it 0600 throughout (temporary file + rename).
pub fn replace_key(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("key-tmp");
    let _ = std::fs::remove_file(&tmp);
    files::write_secret(&tmp, data)?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

/// Writes a public file (certificate, CSR, bundle) atomically.
pub fn write_public(path: &Path, data: &[u8]) -> Result<()> {
    files::write_atomic(path, data)?;
    Ok(())
}

/// The password to decrypt `target` (a key or .pfx): the file as is (no length rule: files made
/// elsewhere may have short ones), else PRIVCA_PASSPHRASE, else a "Password for FILE: " prompt.
pub fn read_password(p: &PasswordArgs, target: &Path) -> Result<Zeroizing<Vec<u8>>> {
    if let Some(f) = &p.password_file {
        let mut data = Zeroizing::new(read(f)?);
        while data.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            data.pop();
        }
        return Ok(data);
    }
    if let Ok(v) = std::env::var(secret::ENV) {
        return Ok(Zeroizing::new(v.into_bytes()));
    }
    Ok(secret::prompt(&format!("Password for {}: ", target.display()))?)
}

/// The password for `target` being encrypted (at least 8 characters; asked twice at a prompt).
pub fn new_password(p: &PasswordArgs, target: &Path) -> Result<Zeroizing<Vec<u8>>> {
    if p.password_file.is_some() || std::env::var_os(secret::ENV).is_some() {
        return Ok(secret::resolve(p.password_file.as_deref(), None, true)?);
    }
    let first = secret::prompt(&format!("Password for {}: ", target.display()))?;
    if first.len() < 8 {
        bail!("the password is shorter than 8 characters");
    }
    let again = secret::prompt(&format!("Repeat password for {}: ", target.display()))?;
    if *first != *again {
        bail!("the two passwords differ");
    }
    Ok(first)
}

/// Loads a private key file of any supported form as unencrypted PKCS#8 DER, asking for the
/// password only when the key is encrypted.
pub fn load_pkcs8(path: &Path, p: &PasswordArgs) -> Result<Zeroizing<Vec<u8>>> {
    let data = read(path)?;
    let kf = keyfile::read_key(&data).with_context(|| format!("{} holds no usable private key", path.display()))?;
    let pass = if kf.is_encrypted() {
        Some(read_password(p, path)?)
    } else {
        None
    };
    kf.pkcs8(pass.as_deref().map(|v| v.as_slice())).map_err(|e| match e {
        ToolError::Decrypt => anyhow::anyhow!("{}: {e}", path.display()),
        other => anyhow::Error::from(other).context(format!("loading {}", path.display())),
    })
}

/// Loads a private key file as a signer.
pub fn load_signer(path: &Path, p: &PasswordArgs) -> Result<KeyPair> {
    let der = load_pkcs8(path, p)?;
    KeyPair::from_pkcs8_der(&der).with_context(|| format!("loading {}", path.display()))
}

/// PEM or DER bytes of one object.
pub fn encode(label: &str, der: &[u8], as_der: bool) -> Vec<u8> {
    if as_der {
        der.to_vec()
    } else {
        ca_core::pem::encode(label, der).into_bytes()
    }
}
