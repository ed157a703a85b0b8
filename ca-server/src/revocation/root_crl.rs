//! The root's CRL, signed offline by `ca-cli crl root` into HOME/issuers/NAME/root.crl. The
//! daemon serves the latest file, re-reading it whenever its modification time changes.
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::Published;

/// Where `ca-cli crl root` writes the root CRL of `issuer`.
pub fn path(home: &Path, issuer: &str) -> std::path::PathBuf {
    home.join("issuers").join(issuer).join("root.crl")
}

/// Root CRLs as last read, by issuer.
#[derive(Default)]
pub struct RootCrls {
    cache: Mutex<HashMap<String, (SystemTime, Arc<Published>)>>,
}

impl RootCrls {
    /// The current root CRL of `issuer`, or `None` when no file exists (or it does not parse).
    pub fn get(&self, home: &Path, issuer: &str) -> Option<Arc<Published>> {
        let file = path(home, issuer);
        let mtime = std::fs::metadata(&file).and_then(|m| m.modified()).ok()?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, p)) = cache.get(issuer) {
            if *seen == mtime {
                return Some(p.clone());
            }
        }
        let data = std::fs::read(&file).ok()?;
        let der = match ca_core::pem::decode_all(&String::from_utf8_lossy(&data)) {
            Ok(blocks) if !blocks.is_empty() => blocks[0].1.clone(),
            _ => data,
        };
        let published = Arc::new(parse(der)?);
        cache.insert(issuer.to_string(), (mtime, published.clone()));
        Some(published)
    }
}

fn parse(der: Vec<u8>) -> Option<Published> {
    use x509_parser::prelude::FromDer;
    let (_, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(&der).ok()?;
    let this = time::OffsetDateTime::from_unix_timestamp(crl.last_update().timestamp()).ok()?;
    let next = crl
        .next_update()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.timestamp()).ok())
        .unwrap_or(this);
    let number = crl
        .crl_number()
        .and_then(|n| n.to_u64_digits().first().copied())
        .unwrap_or(0);
    Some(Published::new(der, number, this, next))
}
