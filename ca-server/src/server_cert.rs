//! The daemon's own HTTPS certificate, issued from its own CA (issuer `default`) through the
//! normal pipeline and index, kept in HOME/server/ and renewed when it nears expiry or the
//! names it must cover change.
use std::net::IpAddr;

use anyhow::{Context, Result};
use aws_lc_rs::rand::SystemRandom;
use ca_core::csr::{CertRequest, San};
use ca_core::keys::{decrypt_pkcs8, encrypt_pkcs8_pem, generate_pkcs8, KeyPair, KeyType};
use ca_core::profile::Profile;
use ca_core::{csrbuild, ext, name, pem};
use ca_store::home::authority::Authority;
use ca_store::home::files;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The built-in template of the daemon's TLS certificate (not an administrator's file).
const TLS_PROFILE: &str = r#"
description = "privca's own HTTPS listener"
issuer = "default"
key_usage = ["digitalSignature"]
extended_key_usage = ["serverAuth"]
validity = { default_days = 90, max_days = 90 }
[subject]
cn = "optional"
[san]
include_cn = false
allow_ip = true
"#;

/// Renew when fewer than this many days remain.
const RENEW_DAYS: i64 = 30;

/// A certificate chain and key for rustls.
pub struct TlsIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// The names the certificate must cover: loopback, localhost, and the public host.
pub fn names(listen: &std::net::SocketAddr, public_url: &str) -> Vec<San> {
    let mut v = vec![
        San::Dns("localhost".into()),
        San::Ip(IpAddr::from([127, 0, 0, 1])),
        San::Ip("::1".parse().expect("ip")),
    ];
    if !listen.ip().is_unspecified() && !v.contains(&San::Ip(listen.ip())) {
        v.push(San::Ip(listen.ip()));
    }
    let host = public_url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    let san = match host.parse::<IpAddr>() {
        Ok(ip) => San::Ip(ip),
        Err(_) => San::Dns(host.to_ascii_lowercase()),
    };
    if !host.is_empty() && !v.contains(&san) {
        v.push(san);
    }
    v
}

/// Loads the current certificate, or issues a new one when it is missing, expiring or stale.
pub fn ensure(auth: &Authority, passphrase: &[u8], wanted: &[San], now: OffsetDateTime) -> Result<TlsIdentity> {
    let dir = auth.home().dir.join("server");
    let (cert_path, key_path) = (dir.join("tls.crt"), dir.join("tls.key"));
    if cert_path.exists() && key_path.exists() {
        let chain = pem::certificates(&files::read(&cert_path)?).map_err(anyhow::Error::msg)?;
        let int = auth.home().intermediate_der("default")?;
        if still_good(&chain, &int, wanted, now) {
            let key = decrypt_pkcs8(&files::read(&key_path)?, passphrase)?;
            return Ok(identity(chain, key.to_vec()));
        }
        tracing::info!("renewing the HTTPS certificate in {}", cert_path.display());
    }
    files::create_private_dir(&dir)?;
    let rng = SystemRandom::new();
    let pkcs8 = generate_pkcs8(KeyType::EcdsaP256, &rng)?;
    let kp = KeyPair::from_pkcs8_der(&pkcs8)?;
    let subject = name::parse_dn("CN=privca server").expect("static name");
    let csr = csrbuild::build_csr(&subject, vec![ext::subject_alt_name(wanted, false)?], &kp)?;
    let req = CertRequest::parse(&csr)?;
    let profile = Profile::from_toml("built-in privca-tls", "privca-tls", TLS_PROFILE)?;
    let issued = auth
        .issue_request(&req, &profile, None, None, now)
        .context("issuing the HTTPS certificate")?;
    // Serve leaf + intermediate; clients hold the root.
    let chain: Vec<Vec<u8>> = issued.chain[..issued.chain.len().saturating_sub(1).max(1)].to_vec();
    let refs: Vec<&[u8]> = chain.iter().map(|c| c.as_slice()).collect();
    files::replace_secret(&key_path, encrypt_pkcs8_pem(&pkcs8, passphrase, &rng)?.as_bytes())?;
    files::write_atomic(&cert_path, pem::chain(&refs).as_bytes())?;
    Ok(identity(chain, pkcs8.to_vec()))
}

fn still_good(chain: &[Vec<u8>], intermediate: &[u8], wanted: &[San], now: OffsetDateTime) -> bool {
    let Some(Ok((_, leaf))) = chain.first().map(|d| X509Certificate::from_der(d)) else {
        return false;
    };
    let Ok((_, int)) = X509Certificate::from_der(intermediate) else {
        return false;
    };
    if leaf.issuer().as_raw() != int.subject().as_raw() || leaf.verify_signature(Some(int.public_key())).is_err() {
        return false;
    }
    if leaf.validity().not_after.timestamp() - now.unix_timestamp() < RENEW_DAYS * 86_400 {
        return false;
    }
    let have = ca_core::csr::certificate_sans(&chain[0]).unwrap_or_default();
    wanted.iter().all(|w| have.contains(w))
}

fn identity(chain: Vec<Vec<u8>>, key: Vec<u8>) -> TlsIdentity {
    TlsIdentity {
        chain: chain.into_iter().map(CertificateDer::from).collect(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
    }
}
