//! The delegated OCSP responder certificate of each issuer (RFC 6960 4.2.2.2), issued from the
//! home's `ocsp-signer` template with its issuer set to that issuer, kept in
//! HOME/server/ocsp-{issuer}.crt/.key like the daemon's TLS certificate, and renewed when less
//! than a third of its life is left.
use anyhow::{Context, Result};
use aws_lc_rs::rand::SystemRandom;
use ca_core::csr::CertRequest;
use ca_core::keys::{decrypt_pkcs8, encrypt_pkcs8_pem, generate_pkcs8, KeyPair, KeyType};
use ca_core::{csrbuild, name, pem};
use ca_store::home::authority::Authority;
use ca_store::home::files;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::ocsp_service::ResponderKey;

/// The template the responder certificates come from.
pub const TEMPLATE: &str = "ocsp-signer";

/// Loads the responder of `issuer`, or issues a new one when missing, expiring or not from the
/// current intermediate. `Ok(None)` when the home has no `ocsp-signer` template (the issuer
/// then signs its own responses).
pub fn ensure(auth: &Authority, passphrase: &[u8], issuer: &str, now: OffsetDateTime) -> Result<Option<ResponderKey>> {
    let Ok(template) = auth.profiles().get(TEMPLATE) else {
        return Ok(None);
    };
    let dir = auth.home().dir.join("server");
    let (cert_path, key_path) = (
        dir.join(format!("ocsp-{issuer}.crt")),
        dir.join(format!("ocsp-{issuer}.key")),
    );
    let int = auth.home().intermediate_der(issuer)?;
    if cert_path.exists() && key_path.exists() {
        let certs = pem::certificates(&files::read(&cert_path)?).map_err(anyhow::Error::msg)?;
        if let Some(cert) = certs.first() {
            if let Some((nb, na)) = still_good(cert, &int, now) {
                let pkcs8 = decrypt_pkcs8(&files::read(&key_path)?, passphrase)?;
                return Ok(Some(ResponderKey {
                    key: KeyPair::from_pkcs8_der(&pkcs8)?,
                    cert_der: cert.clone(),
                    not_before: nb,
                    not_after: na,
                }));
            }
        }
        tracing::info!("renewing the OCSP responder certificate {}", cert_path.display());
    }
    files::create_private_dir(&dir)?;
    let rng = SystemRandom::new();
    let pkcs8 = generate_pkcs8(KeyType::EcdsaP256, &rng)?;
    let kp = KeyPair::from_pkcs8_der(&pkcs8)?;
    let subject = name::parse_dn(&format!("CN=privca OCSP responder {issuer}"))
        .map_err(|e| anyhow::anyhow!("responder name: {e}"))?;
    let req = CertRequest::parse(&csrbuild::build_csr(&subject, vec![], &kp)?)?;
    let mut profile = template.clone();
    profile.issuer = issuer.to_string();
    profile.sign_with_root = false;
    let issued = auth
        .issue_request(&req, &profile, None, None, now)
        .with_context(|| format!("issuing the OCSP responder certificate of {issuer}"))?;
    let cert = issued.record.der.clone();
    files::replace_secret(&key_path, encrypt_pkcs8_pem(&pkcs8, passphrase, &rng)?.as_bytes())?;
    files::write_atomic(&cert_path, pem::encode("CERTIFICATE", &cert).as_bytes())?;
    let (nb, na) = still_good(&cert, &int, now).context("the new responder certificate does not check")?;
    Ok(Some(ResponderKey {
        key: kp,
        cert_der: cert,
        not_before: nb,
        not_after: na,
    }))
}

/// Whether a responder certificate needs renewing at `now`.
pub fn due(key: &ResponderKey, now: OffsetDateTime) -> bool {
    let life = key.not_after - key.not_before;
    key.not_after - now < life / 3
}

/// notBefore/notAfter when `cert` is signed by `intermediate` and has more than a third of
/// its life left.
fn still_good(cert: &[u8], intermediate: &[u8], now: OffsetDateTime) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let (_, leaf) = X509Certificate::from_der(cert).ok()?;
    let (_, int) = X509Certificate::from_der(intermediate).ok()?;
    if leaf.issuer().as_raw() != int.subject().as_raw() || leaf.verify_signature(Some(int.public_key())).is_err() {
        return None;
    }
    let nb = OffsetDateTime::from_unix_timestamp(leaf.validity().not_before.timestamp()).ok()?;
    let na = OffsetDateTime::from_unix_timestamp(leaf.validity().not_after.timestamp()).ok()?;
    (na - now > (na - nb) / 3).then_some((nb, na))
}
