//! tls-alpn-01 (RFC 8737; IP identifiers RFC 8738 6): a TLS handshake offering only ALPN
//! `acme-tls/1`, with the identifier (or its reverse DNS name) as SNI, must present a
//! self-signed certificate carrying the key authorization digest. The certificate is the
//! proof, so the TLS layer accepts any certificate whose key signs the handshake; the chain is
//! not checked. The same client setup (with ALPN `http/1.1`) serves http-01 redirects to https,
//! whose certificates RFC 8555 8.3 also leaves unchecked.
use std::sync::Arc;

use ca_core::acme::tls_alpn::{check_certificate, sni, ACME_TLS_ALPN_PROTOCOL};
use ca_core::acme::{Identifier, ProblemType};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::Resumption;
use rustls::crypto::{verify_tls13_signature_with_raw_key, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, PeerMisbehaved, SignatureScheme};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use webpki::RawPublicKeyEntity;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{resolve, within, ValidationConfig, ValidationFailure};

/// The TLS client configurations of a validator, built once.
#[derive(Clone, Debug)]
pub(super) struct ClientConfigs {
    /// ALPN `acme-tls/1` only: the tls-alpn-01 handshake.
    pub(super) acme: Arc<ClientConfig>,
    /// ALPN `http/1.1`: https targets of http-01 redirects.
    pub(super) https: Arc<ClientConfig>,
}

impl ClientConfigs {
    pub(super) fn new() -> Self {
        ClientConfigs {
            acme: client_config(ACME_TLS_ALPN_PROTOCOL),
            https: client_config(b"http/1.1"),
        }
    }
}

/// TLS 1.2 and 1.3 on aws-lc-rs, any certificate, `alpn` only, and no session resumption: a
/// resumed session presents no certificate, and every validation must see the current one.
fn client_config(alpn: &[u8]) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(AnyCertificate {
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("aws-lc-rs supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    config.resumption = Resumption::disabled();
    Arc::new(config)
}

/// Accepts any server certificate but still checks that its key signed the handshake, so the
/// peer holds the key of the certificate it presented. The signature is checked against the
/// certificate's raw SubjectPublicKeyInfo with the provider's algorithms, as rustls itself does
/// for raw public keys: rustls's certificate-based helpers parse the certificate with webpki,
/// which refuses the critical acmeIdentifier extension every tls-alpn-01 certificate carries.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // As rustls's verify_tls12_signature: a TLS 1.2 scheme may map to several algorithms
        // (e.g. ECDSA with SHA-256 on P-256 or P-384 keys); the one fitting the key decides.
        let candidates = self
            .algorithms
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == dss.scheme)
            .map(|(_, algorithms)| *algorithms)
            .ok_or(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme)?;
        let spki = public_key(cert)?;
        let key = RawPublicKeyEntity::try_from(&spki).map_err(|_| CertificateError::BadEncoding)?;
        for algorithm in candidates {
            match key.verify_signature(*algorithm, message, dss.signature()) {
                Ok(()) => return Ok(HandshakeSignatureValid::assertion()),
                Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => continue,
                Err(_) => return Err(CertificateError::BadSignature.into()),
            }
        }
        Err(CertificateError::BadSignature.into())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature_with_raw_key(message, &public_key(cert)?, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The SubjectPublicKeyInfo of `cert`, read with x509-parser (which, unlike webpki, accepts
/// unknown critical extensions).
fn public_key(cert: &CertificateDer<'_>) -> Result<SubjectPublicKeyInfoDer<'static>, rustls::Error> {
    let (_, parsed) = X509Certificate::from_der(cert).map_err(|_| CertificateError::BadEncoding)?;
    Ok(SubjectPublicKeyInfoDer::from(parsed.public_key().raw.to_vec()))
}

/// The client handshake over `stream`; `what` names the peer in failures (`tls` problems).
pub(super) async fn handshake(
    config: Arc<ClientConfig>,
    stream: TcpStream,
    server_name: ServerName<'static>,
    what: &str,
    deadline: Instant,
) -> Result<TlsStream<TcpStream>, ValidationFailure> {
    let connecting = TlsConnector::from(config).connect(server_name, stream);
    within(deadline, ProblemType::Connection, what, connecting)
        .await?
        .map_err(|e| ValidationFailure::new(ProblemType::Tls, format!("{what}: {e}")))
}

/// One tls-alpn-01 attempt.
pub(super) async fn validate(
    config: &ValidationConfig,
    tls: &ClientConfigs,
    identifier: &Identifier,
    key_authorization: &str,
    deadline: Instant,
) -> Result<(), ValidationFailure> {
    let ips = resolve::addresses(config, &identifier.value(), deadline).await?;
    let (stream, peer) = resolve::connect(&ips, config.tls_alpn01_port, deadline).await?;
    let sni = sni(identifier);
    let what = format!("tls-alpn-01 handshake with {peer} (SNI {sni})");
    let server_name = ServerName::try_from(sni.clone())
        .map_err(|e| ValidationFailure::new(ProblemType::Malformed, format!("{what}: bad SNI name: {e}")))?;
    let stream = handshake(tls.acme.clone(), stream, server_name, &what, deadline).await?;
    let (_, conn) = stream.get_ref();
    if conn.alpn_protocol() != Some(ACME_TLS_ALPN_PROTOCOL) {
        let got = conn.alpn_protocol().map(String::from_utf8_lossy);
        return Err(ValidationFailure::new(
            ProblemType::Tls,
            format!("{what}: the server did not negotiate ALPN acme-tls/1 (negotiated {got:?})"),
        ));
    }
    let cert = conn
        .peer_certificates()
        .and_then(|chain| chain.first())
        .ok_or_else(|| ValidationFailure::new(ProblemType::Tls, format!("{what}: no certificate was presented")))?;
    check_certificate(cert, identifier, key_authorization).map_err(|e| ValidationFailure::rejected(e, &what))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::{IpAddr, SocketAddr};
    use std::time::Duration;

    use ca_core::acme::challenge::ChallengeType;
    use ca_core::acme::tls_alpn::acme_identifier_digest;
    use rcgen::{CertificateParams, CustomExtension, KeyPair};
    use rustls::pki_types::PrivateKeyDer;
    use rustls::server::{ClientHello, ResolvesServerCert};
    use rustls::sign::CertifiedKey;
    use rustls::ServerConfig;
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;
    use tokio_rustls::TlsAcceptor;

    use super::super::Validator;
    use super::*;

    /// A self-signed certificate for `san`, with the RFC 8737 extension when `key_auth` is set.
    fn certificate(san: &str, key_auth: Option<&str>) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![san.to_string()]).unwrap();
        if let Some(key_auth) = key_auth {
            params.custom_extensions = vec![CustomExtension::new_acme_identifier(&acme_identifier_digest(key_auth))];
        }
        let cert = params.self_signed(&key).unwrap();
        (cert.der().clone(), PrivateKeyDer::Pkcs8(key.serialize_der().into()))
    }

    /// Always presents one certificate. (`with_single_cert` would refuse ours: webpki rejects
    /// the critical acmeIdentifier extension it does not know.)
    #[derive(Debug)]
    struct Fixed(Arc<CertifiedKey>);

    impl ResolvesServerCert for Fixed {
        fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
            Some(self.0.clone())
        }
    }

    /// A responder on a free port presenting `cert` with `alpn`; reports the SNI it saw.
    async fn responder(
        cert: (CertificateDer<'static>, PrivateKeyDer<'static>),
        alpn: &[u8],
    ) -> (SocketAddr, mpsc::UnboundedReceiver<Option<String>>) {
        responder_with(cert, alpn, &[&rustls::version::TLS13]).await
    }

    async fn responder_with(
        cert: (CertificateDer<'static>, PrivateKeyDer<'static>),
        alpn: &[u8],
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> (SocketAddr, mpsc::UnboundedReceiver<Option<String>>) {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = provider.key_provider.load_private_key(cert.1).unwrap();
        let fixed = Fixed(Arc::new(CertifiedKey::new(vec![cert.0], key)));
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(fixed));
        config.alpn_protocols = vec![alpn.to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (sni_tx, sni_rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                if let Ok(tls) = acceptor.accept(stream).await {
                    let _ = sni_tx.send(tls.get_ref().1.server_name().map(str::to_string));
                }
            }
        });
        (addr, sni_rx)
    }

    fn validator(port: u16) -> Validator {
        Validator::new(ValidationConfig {
            tls_alpn01_port: port,
            hosts: BTreeMap::from([("www.privca.test".to_string(), vec![IpAddr::from([127, 0, 0, 1])])]),
            timeout: Duration::from_secs(2),
            attempts: 1,
            ..ValidationConfig::default()
        })
    }

    const KEY_AUTH: &str = "tok.thumb";

    #[tokio::test]
    async fn dns_identifier_with_the_acme_certificate() {
        let (addr, mut sni) = responder(certificate("www.privca.test", Some(KEY_AUTH)), ACME_TLS_ALPN_PROTOCOL).await;
        let id = Identifier::parse("dns", "www.privca.test").unwrap();
        validator(addr.port())
            .validate(ChallengeType::TlsAlpn01, &id, "tok", KEY_AUTH)
            .await
            .unwrap();
        assert_eq!(sni.recv().await.unwrap().as_deref(), Some("www.privca.test"));
    }

    #[tokio::test]
    async fn tls12_responder() {
        let cert = certificate("www.privca.test", Some(KEY_AUTH));
        let (addr, _sni) = responder_with(cert, ACME_TLS_ALPN_PROTOCOL, &[&rustls::version::TLS12]).await;
        let id = Identifier::parse("dns", "www.privca.test").unwrap();
        validator(addr.port())
            .validate(ChallengeType::TlsAlpn01, &id, "tok", KEY_AUTH)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn handshake_signed_by_another_key_is_a_tls_failure() {
        // The certificate is right, but the server signs with a key it does not name: the
        // handshake signature check must catch it, on both protocol versions.
        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            let (cert, _) = certificate("www.privca.test", Some(KEY_AUTH));
            let (_, other_key) = certificate("www.privca.test", Some(KEY_AUTH));
            let (addr, _sni) = responder_with((cert, other_key), ACME_TLS_ALPN_PROTOCOL, &[version]).await;
            let id = Identifier::parse("dns", "www.privca.test").unwrap();
            let err = validator(addr.port())
                .validate(ChallengeType::TlsAlpn01, &id, "tok", KEY_AUTH)
                .await
                .unwrap_err();
            assert_eq!(err.problem, ProblemType::Tls, "{version:?}: {err}");
        }
    }

    #[tokio::test]
    async fn ip_identifier_sends_the_reverse_name() {
        let (addr, mut sni) = responder(certificate("127.0.0.1", Some(KEY_AUTH)), ACME_TLS_ALPN_PROTOCOL).await;
        let id = Identifier::parse("ip", "127.0.0.1").unwrap();
        validator(addr.port())
            .validate(ChallengeType::TlsAlpn01, &id, "tok", KEY_AUTH)
            .await
            .unwrap();
        assert_eq!(sni.recv().await.unwrap().as_deref(), Some("1.0.0.127.in-addr.arpa"));
    }

    #[tokio::test]
    async fn certificate_without_the_extension_is_incorrect() {
        let (addr, _sni) = responder(certificate("www.privca.test", None), ACME_TLS_ALPN_PROTOCOL).await;
        let id = Identifier::parse("dns", "www.privca.test").unwrap();
        let err = validator(addr.port())
            .validate(ChallengeType::TlsAlpn01, &id, "tok", KEY_AUTH)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::IncorrectResponse, "{err}");
        assert!(err.detail.contains("no acmeIdentifier extension"), "{err}");
        assert!(err.detail.contains(&addr.to_string()), "{err}");
    }

    #[tokio::test]
    async fn digest_of_another_key_authorization_is_incorrect() {
        let (addr, _sni) = responder(
            certificate("www.privca.test", Some("tok.other")),
            ACME_TLS_ALPN_PROTOCOL,
        )
        .await;
        let id = Identifier::parse("dns", "www.privca.test").unwrap();
        let err = validator(addr.port())
            .validate(ChallengeType::TlsAlpn01, &id, "tok", KEY_AUTH)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::IncorrectResponse, "{err}");
    }

    #[tokio::test]
    async fn server_without_acme_alpn_is_a_tls_failure() {
        let (addr, _sni) = responder(certificate("www.privca.test", Some(KEY_AUTH)), b"http/1.1").await;
        let id = Identifier::parse("dns", "www.privca.test").unwrap();
        let err = validator(addr.port())
            .validate(ChallengeType::TlsAlpn01, &id, "tok", KEY_AUTH)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::Tls, "{err}");
    }
}
