//! Who is calling the admin API: the client certificate of the TLS connection must be one this
//! CA issued with the `admin` template, still valid and not revoked, byte for byte as indexed.
use aws_lc_rs::digest::{digest, SHA256};
use ca_store::queue::Actor;
use ca_store::{CertIndex, CertRecord, CertStatus};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{App, AppError};

/// The template whose certificates may use the admin API.
pub const ADMIN_TEMPLATE: &str = "admin";

impl App {
    /// Authenticates a presented client certificate as an administrator.
    pub fn authenticate_admin(&self, cert_der: Option<&[u8]>, now: i64) -> Result<Actor, AppError> {
        let der = cert_der.ok_or_else(|| {
            AppError::Unauthenticated("the admin API needs a client certificate from the admin template (mTLS)".into())
        })?;
        let record = self.presented_record(der)?;
        if !record.profile.eq_ignore_ascii_case(ADMIN_TEMPLATE) {
            return Err(AppError::Forbidden(format!(
                "the client certificate was issued with template {}, not {ADMIN_TEMPLATE}",
                record.profile
            )));
        }
        match record.status(now) {
            CertStatus::Valid => {}
            CertStatus::Revoked => return Err(AppError::Forbidden("the admin certificate is revoked".into())),
            CertStatus::Expired => return Err(AppError::Forbidden("the admin certificate has expired".into())),
        }
        Ok(Actor {
            subject: record.subject,
            fingerprint: hex::encode(digest(&SHA256, der)),
        })
    }

    /// The index record of a presented client certificate: it must be one this CA issued,
    /// byte for byte.
    pub fn presented_record(&self, der: &[u8]) -> Result<CertRecord, AppError> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|_| AppError::Forbidden("the client certificate cannot be parsed".into()))?;
        let issuer = self
            .cas
            .iter()
            .find(|(_, ca)| {
                X509Certificate::from_der(&ca.intermediate_der)
                    .map(|(_, i)| i.subject().as_raw() == cert.issuer().as_raw())
                    .unwrap_or(false)
            })
            .map(|(name, _)| name.clone())
            .ok_or_else(|| AppError::Forbidden("the client certificate was not issued by this CA".into()))?;
        let record = self
            .store
            .get(&issuer, cert.raw_serial())?
            .filter(|r| r.der == der)
            .ok_or_else(|| AppError::Forbidden("the client certificate is not in this CA's index".into()))?;
        Ok(record)
    }
}
