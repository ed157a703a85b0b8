//! Renewal over mTLS: the holder of a valid certificate presents it and gets a new one with the
//! same subject, SANs and template (new serial), for the same key or a new CSR's key. The first
//! issuance may have needed approval; renewals inside the template's window do not.
use ca_core::csr::{certificate_sans, CertRequest, KeyInfo};
use ca_core::name::display_name;
use ca_core::policy::renewal_plan;
use ca_store::home::authority::IssuedCert;
use ca_store::queue::NewRequest;
use ca_store::CertStatus;
use der::{Decode, Encode};
use time::OffsetDateTime;
use x509_cert::Certificate;

use super::{App, AppError};

impl App {
    /// Renews the certificate presented on the TLS connection.
    pub fn renew(
        &self,
        presented: Option<&[u8]>,
        csr: Option<&[u8]>,
        now: OffsetDateTime,
    ) -> Result<IssuedCert, AppError> {
        let t = now.unix_timestamp();
        let der = presented.ok_or_else(|| {
            AppError::Unauthenticated("renewal needs the current certificate as the TLS client certificate".into())
        })?;
        let record = self.presented_record(der)?;
        match record.status(t) {
            CertStatus::Valid => {}
            CertStatus::Revoked => {
                return Err(AppError::Forbidden(format!(
                    "certificate {} is revoked",
                    record.serial_hex()
                )))
            }
            CertStatus::Expired => {
                return Err(AppError::Forbidden(format!(
                    "certificate {} has expired",
                    record.serial_hex()
                )))
            }
        }
        let profile = self
            .auth
            .profiles()
            .get(&record.profile)
            .map_err(ca_core::Error::from)?
            .clone();
        let opens = record.not_after - i64::from(profile.renewal_window_days) * 86_400;
        if t < opens {
            let date = OffsetDateTime::from_unix_timestamp(opens)
                .map(|d| d.date().to_string())
                .unwrap_or_default();
            return Err(AppError::Conflict(format!(
                "certificate {} can be renewed from {date} ({} days before it expires)",
                record.serial_hex(),
                profile.renewal_window_days
            )));
        }
        let cert = Certificate::from_der(der).map_err(|e| AppError::BadRequest(e.to_string()))?;
        let old_spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        let new_req = csr.map(CertRequest::parse).transpose().map_err(ca_core::Error::from)?;
        let (spki, key) = match &new_req {
            Some(r) => (r.spki_der().to_vec(), r.key().clone()),
            None => (
                old_spki.clone(),
                KeyInfo::from_spki_der(&old_spki).map_err(ca_core::Error::from)?,
            ),
        };
        let sans = certificate_sans(der).map_err(ca_core::Error::from)?;
        let plan = renewal_plan(&cert.tbs_certificate.subject, &sans, &key, &profile).map_err(ca_core::Error::from)?;
        let request = NewRequest {
            template: profile.name.clone(),
            csr: new_req.as_ref().map(|r| r.der().to_vec()).unwrap_or_default(),
            days: None,
            subject: display_name(&plan.subject),
            sans: plan.sans.iter().map(|s| s.to_string()).collect(),
            source: "renewal".into(),
            submitter: Some(format!("renewal of {} serial {}", record.issuer, record.serial_hex())),
            submitted_at: t,
        };
        let (issued, _) = self
            .auth
            .issue_new_request(&plan, &spki, &profile, &request, None, now)?;
        tracing::info!(old = %record.serial_hex(), new = %issued.record.serial_hex(), "renewed");
        Ok(issued)
    }
}
