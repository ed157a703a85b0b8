//! rustls configuration of the HTTPS listener. Client certificates are optional at the TLS
//! layer (enrollment is open to anyone); the admin API checks the presented identity itself.
use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;

use crate::server_cert::TlsIdentity;

/// A server config whose client-certificate verifier trusts the roots of every issuer.
pub fn server_config(identity: TlsIdentity, client_roots: &[Vec<u8>]) -> Result<Arc<rustls::ServerConfig>> {
    let mut roots = RootCertStore::empty();
    for der in client_roots {
        roots.add(der.clone().into()).context("adding a CA root to the client verifier")?;
    }
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .allow_unauthenticated()
        .build()
        .context("building the client certificate verifier")?;
    let mut cfg = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(identity.chain, identity.key)
        .context("loading the HTTPS certificate")?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
