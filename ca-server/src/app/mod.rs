//! The service layer of the daemon: what handlers call. It owns the [`Authority`] (templates,
//! unlocked issuing keys, index), the store's queue/audit/token views, and the published CA
//! certificates. Blocking store work runs here, called from `spawn_blocking` by handlers.
mod acme_admin;
mod admin;
mod enroll;
mod error;
mod identity;
mod renew;
mod tokens;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use ca_store::home::authority::Authority;
use ca_store::home::signed_by::RootSigned;
use ca_store::home::CaHome;
use ca_store::{CertRecord, RedbIndex};

pub use acme_admin::NewEab;
pub use admin::Approved;
pub use enroll::{Recording, SubmitInput, Submitted};
pub use error::AppError;

/// Root and intermediate certificates of one issuer, as published.
#[derive(Clone, Debug)]
pub struct CaFiles {
    pub root_der: Vec<u8>,
    pub intermediate_der: Vec<u8>,
    /// Tells what the root signed (intermediate, subordinate CAs) from the intermediate's.
    pub root_signed: RootSigned,
}

/// Shared state of the daemon.
pub struct App {
    pub auth: Authority,
    pub store: Arc<RedbIndex>,
    pub cas: BTreeMap<String, CaFiles>,
    pub started: Instant,
    /// CRLs, root CRLs and the OCSP responder state.
    pub revocation: crate::revocation::RevocationState,
    /// The ACME front doors.
    pub acme: Arc<crate::acme::AcmeState>,
}

impl App {
    /// Whether `rec` was signed by its issuer's root rather than the intermediate: such
    /// certificates are on the root's CRL only and the intermediate's OCSP answers unknown.
    pub fn root_signed(&self, rec: &CertRecord) -> bool {
        self.cas.get(&rec.issuer).is_some_and(|ca| ca.root_signed.record(rec))
    }

    /// Wraps an opened authority and loads the certificates it publishes.
    pub fn new(auth: Authority, store: Arc<RedbIndex>) -> anyhow::Result<App> {
        let home: &CaHome = auth.home();
        let mut cas = BTreeMap::new();
        for name in home.config.issuers.keys() {
            let root_der = home.root_der(name)?;
            cas.insert(
                name.clone(),
                CaFiles {
                    root_signed: RootSigned::new(&root_der).map_err(|e| anyhow::anyhow!("issuer {name}: {e}"))?,
                    root_der,
                    intermediate_der: home.intermediate_der(name)?,
                },
            );
        }
        let revocation = crate::revocation::RevocationState::new(&cas)?;
        let mut by_aki = BTreeMap::new();
        for (name, ca) in &cas {
            for der in [&ca.intermediate_der, &ca.root_der] {
                if let Some(ski) = subject_key_id(der) {
                    by_aki.entry(hex::encode(ski)).or_insert_with(|| name.clone());
                }
            }
        }
        let acme = Arc::new(crate::acme::AcmeState::new(&home.config, auth.profiles(), by_aki)?);
        Ok(App {
            auth,
            store,
            cas,
            started: Instant::now(),
            revocation,
            acme,
        })
    }

    /// The chain of an issued certificate: leaf, intermediate (unless its template signs
    /// with the root), root.
    pub fn chain_for(&self, cert: ca_store::CertRecord) -> Vec<Vec<u8>> {
        let signed_by_root = self
            .auth
            .profiles()
            .get(&cert.profile)
            .map(|p| p.sign_with_root)
            .unwrap_or(false);
        let mut chain = vec![cert.der];
        if let Some(ca) = self.cas.get(&cert.issuer) {
            if !signed_by_root {
                chain.push(ca.intermediate_der.clone());
            }
            chain.push(ca.root_der.clone());
        }
        chain
    }
}

/// Unix seconds now; the daemon's one clock read.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// The subjectKeyIdentifier of a CA certificate (what its leaves carry as AKI).
fn subject_key_id(der: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::extensions::ParsedExtension;
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
        _ => None,
    })
}
