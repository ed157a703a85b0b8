//! The service layer of the daemon: what handlers call. It owns the [`Authority`] (templates,
//! unlocked issuing keys, index) and the published CA certificates; handlers stay thin.
use std::collections::BTreeMap;
use std::time::Instant;

use ca_store::home::authority::Authority;
use ca_store::home::CaHome;

/// Root and intermediate certificates of one issuer, as published.
#[derive(Clone, Debug)]
pub struct CaFiles {
    pub root_der: Vec<u8>,
    pub intermediate_der: Vec<u8>,
}

/// Shared state of the daemon.
pub struct App {
    pub auth: Authority,
    pub cas: BTreeMap<String, CaFiles>,
    pub started: Instant,
}

impl App {
    /// Wraps an opened authority and loads the certificates it publishes.
    pub fn new(auth: Authority) -> anyhow::Result<App> {
        let home: &CaHome = auth.home();
        let mut cas = BTreeMap::new();
        for name in home.config.issuers.keys() {
            cas.insert(
                name.clone(),
                CaFiles { root_der: home.root_der(name)?, intermediate_der: home.intermediate_der(name)? },
            );
        }
        Ok(App { auth, cas, started: Instant::now() })
    }
}
