//! Revocation publishing in the daemon: full and delta CRLs per issuer (kept in memory, rebuilt
//! on every revocation and on a schedule so they never lapse), the offline-signed root CRL read
//! from the home, and the OCSP responder with its pre-signed response cache. The pure builders
//! live in `ca_core::revocation`; this module decides when to build what.
pub mod crl_service;
pub mod jobs;
pub mod ocsp_cert;
pub mod ocsp_service;
pub mod published;
pub mod root_crl;

use std::collections::BTreeMap;
use std::sync::Mutex;

use ca_core::revocation::IssuerHashes;
use tokio::sync::Notify;

use crate::app::CaFiles;
pub use crl_service::CrlSet;
pub use ocsp_service::OcspState;
pub use published::Published;
pub use root_crl::RootCrls;

/// Everything the daemon keeps about revocation.
pub struct RevocationState {
    /// Current full and delta CRL per issuer.
    pub crls: CrlSet,
    /// Root CRL files as last read.
    pub root_crls: RootCrls,
    /// OCSP responders and the pre-signed response cache.
    pub ocsp: OcspState,
    /// Woken by every revoke/unrevoke; the CRL job debounces it.
    pub changed: Notify,
    /// (issuer, serial) whose cached OCSP responses must be re-signed.
    pending: Mutex<Vec<(String, Vec<u8>)>>,
}

impl RevocationState {
    /// Empty state for the issuers in `cas` (CRLs are built by [`jobs::start`]).
    pub fn new(cas: &BTreeMap<String, CaFiles>) -> anyhow::Result<RevocationState> {
        let mut hashes = BTreeMap::new();
        for (name, ca) in cas {
            hashes.insert(name.clone(), IssuerHashes::from_cert_der(&ca.intermediate_der)?);
        }
        Ok(RevocationState {
            crls: CrlSet::default(),
            root_crls: RootCrls::default(),
            ocsp: OcspState::new(hashes),
            changed: Notify::new(),
            pending: Mutex::new(Vec::new()),
        })
    }

    /// Records that the revocation state of one certificate changed: drops its cached OCSP
    /// response and wakes the CRL job.
    pub fn mark_changed(&self, issuer: &str, serial: &[u8]) {
        self.ocsp.forget(issuer, serial);
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((issuer.to_string(), serial.to_vec()));
        self.changed.notify_one();
    }

    /// Takes the certificates changed since the last call.
    pub fn take_pending(&self) -> Vec<(String, Vec<u8>)> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
