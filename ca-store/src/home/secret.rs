//! Where the key passphrase comes from: an explicit file, `PRIVCA_PASSPHRASE`, the home's own
//! passphrase file (development homes), or an interactive prompt, in that order.
use std::io::IsTerminal;
use std::path::Path;

use zeroize::Zeroizing;

use super::{files, HomeError};

/// The environment variable that may hold the passphrase (CI, containers).
pub const ENV: &str = "PRIVCA_PASSPHRASE";

/// Resolves the passphrase. `confirm` asks twice at a prompt (when creating keys).
pub fn resolve(
    explicit_file: Option<&Path>,
    home_file: Option<&Path>,
    confirm: bool,
) -> Result<Zeroizing<Vec<u8>>, HomeError> {
    if let Some(f) = explicit_file {
        return from_file(f);
    }
    if let Ok(v) = std::env::var(ENV) {
        return check(Zeroizing::new(v.into_bytes()), ENV);
    }
    if let Some(f) = home_file {
        return from_file(f);
    }
    if !std::io::stdin().is_terminal() {
        return Err(HomeError::Passphrase(format!(
            "no passphrase: give --passphrase-file, set {ENV}, or run on a terminal to be prompted"
        )));
    }
    let first = Zeroizing::new(
        rpassword::prompt_password("CA key passphrase: ").map_err(|e| HomeError::Passphrase(e.to_string()))?,
    );
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("Repeat passphrase: ").map_err(|e| HomeError::Passphrase(e.to_string()))?,
        );
        if *first != *again {
            return Err(HomeError::Passphrase("the two passphrases differ".into()));
        }
    }
    check(Zeroizing::new(first.as_bytes().to_vec()), "prompt")
}

/// Asks once on the terminal, showing `label` (the pki verbs say which file the password is
/// for: "Password for site.key: "). No length rule: the password may open a file made elsewhere.
/// Unlike [`resolve`] it reads no file and no environment: callers do that first.
pub fn prompt(label: &str) -> Result<Zeroizing<Vec<u8>>, HomeError> {
    if !std::io::stdin().is_terminal() {
        return Err(HomeError::Passphrase(format!(
            "no password: give --password-file, set {ENV}, or run on a terminal to be prompted"
        )));
    }
    rpassword::prompt_password(label)
        .map(|p| Zeroizing::new(p.into_bytes()))
        .map_err(|e| HomeError::Passphrase(e.to_string()))
}

fn from_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, HomeError> {
    let mut data = Zeroizing::new(files::read(path)?);
    while data.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        data.pop();
    }
    check(data, &path.display().to_string())
}

fn check(p: Zeroizing<Vec<u8>>, from: &str) -> Result<Zeroizing<Vec<u8>>, HomeError> {
    if p.len() < 8 {
        return Err(HomeError::Passphrase(format!(
            "the passphrase from {from} is shorter than 8 characters"
        )));
    }
    Ok(p)
}
