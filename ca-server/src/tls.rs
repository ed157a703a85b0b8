//! rustls configuration of the HTTPS listener. Client certificates are optional (enrollment is
//! open) and any certificate is accepted at the TLS layer as long as the client proves it holds
//! the key (the handshake signature, checked as usual). Whether that certificate makes the
//! caller an administrator is decided by the application against the index, so a certificate
//! from another CA gets a clear 403 instead of a failed handshake.
use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};

use crate::server_cert::TlsIdentity;

/// Accepts any client certificate; delegates the proof-of-possession checks.
#[derive(Debug)]
struct AppDecides {
    inner: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for AppDecides {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The HTTPS server config; `client_roots` are offered as hints so clients pick our admin cert.
pub fn server_config(identity: TlsIdentity, client_roots: &[Vec<u8>]) -> Result<Arc<rustls::ServerConfig>> {
    let mut roots = RootCertStore::empty();
    for der in client_roots {
        roots
            .add(der.clone().into())
            .context("adding a CA root to the client verifier")?;
    }
    let inner = WebPkiClientVerifier::builder(Arc::new(roots))
        .allow_unauthenticated()
        .build()
        .context("building the client certificate verifier")?;
    let mut cfg = rustls::ServerConfig::builder()
        .with_client_cert_verifier(Arc::new(AppDecides { inner }))
        .with_single_cert(identity.chain, identity.key)
        .context("loading the HTTPS certificate")?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
