//! Administrator actions: the approval queue (list, inspect with the template's verdict,
//! approve with re-checked policy, deny), revocation, certificate search. Every action is
//! written to the hash-chained audit log.
use ca_core::csr::CertRequest;
use ca_core::name::display_name;
use ca_core::revocation::Reason;
use ca_core::serial::Serial;
use ca_store::audit::{AuditEvent, AuditLog};
use ca_store::home::authority::IssuedCert;
use ca_store::queue::{Actor, Approval, Denial, RequestQueue, RequestRecord, RequestStatus};
use ca_store::{CertFilter, CertIndex, CertRecord, Revocation};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use super::{App, AppError};

/// A request with its decoded CSR and what the template says about it now.
#[derive(Debug, Serialize)]
pub struct RequestView {
    pub record: RequestRecord,
    pub csr_subject: String,
    pub csr_sans: Vec<String>,
    pub csr_key: String,
    pub approvals_required: u32,
    /// `ok` with what would be issued, or the refusal.
    pub verdict: String,
}

/// Outcome of an approval.
#[derive(Debug)]
pub enum Approved {
    Issued(Box<IssuedCert>),
    /// More distinct approvers are needed.
    Waiting {
        have: usize,
        need: u32,
    },
}

impl App {
    /// Writes one audit entry.
    pub fn audit(&self, actor: &Actor, action: &str, details: serde_json::Value, now: i64) -> Result<(), AppError> {
        self.store.append(AuditEvent {
            at: now,
            actor: actor.clone(),
            action: action.into(),
            details,
        })?;
        Ok(())
    }

    /// Requests by status, oldest first.
    pub fn list_requests(
        &self,
        status: Option<RequestStatus>,
        limit: Option<usize>,
    ) -> Result<Vec<RequestRecord>, AppError> {
        Ok(self.store.list_requests(status, limit)?)
    }

    /// One request, decoded, with the template's current verdict.
    pub fn request_view(&self, id: u64) -> Result<RequestView, AppError> {
        let record = self.request(id)?;
        let req = CertRequest::parse(&record.request.csr).map_err(ca_core::Error::from)?;
        let profile = self
            .auth
            .profiles()
            .get(&record.request.template)
            .map_err(ca_core::Error::from)?;
        let verdict = match self.auth.signer_for(profile).map_err(AppError::from).and_then(|ca| {
            ca.check(&req, profile, record.request.days)
                .map_err(|e| AppError::from(ca_store::home::HomeError::Core(e)))
        }) {
            Ok(plan) => format!(
                "ok: would issue {} with SAN [{}] for {} days",
                display_name(&plan.subject),
                plan.sans.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
                plan.days
            ),
            Err(e) => format!("refused: {e}"),
        };
        Ok(RequestView {
            csr_subject: display_name(req.subject()),
            csr_sans: req.requested_sans().iter().map(|s| s.to_string()).collect(),
            csr_key: req.key().to_string(),
            approvals_required: profile.approvals,
            verdict,
            record,
        })
    }

    /// Approves a pending request; issues once enough distinct administrators approved. The
    /// whole policy runs again now: templates may have changed since submission.
    pub fn approve(&self, id: u64, actor: &Actor, now: OffsetDateTime) -> Result<Approved, AppError> {
        let t = now.unix_timestamp();
        let record = self.request(id)?;
        if record.status != RequestStatus::Pending {
            return Err(AppError::Conflict(format!(
                "request {id} is {}, not pending",
                status_word(record.status)
            )));
        }
        let profile = self
            .auth
            .profiles()
            .get(&record.request.template)
            .map_err(ca_core::Error::from)?
            .clone();
        let req = CertRequest::parse(&record.request.csr).map_err(ca_core::Error::from)?;
        self.auth
            .signer_for(&profile)?
            .check(&req, &profile, record.request.days)?;
        let updated = self.store.approve(
            id,
            Approval {
                by: actor.clone(),
                at: t,
            },
        )?;
        let have = updated.approvals.len();
        if have < profile.approvals as usize {
            self.audit(
                actor,
                "request.approve",
                json!({"request_id": id, "approvals": have, "required": profile.approvals}),
                t,
            )?;
            return Ok(Approved::Waiting {
                have,
                need: profile.approvals,
            });
        }
        let cert = self
            .auth
            .issue_request(&req, &profile, record.request.days, Some(id), now)?;
        self.audit(
            actor,
            "request.approve",
            json!({"request_id": id, "issued": true, "issuer": cert.record.issuer, "serial": cert.record.serial_hex()}),
            t,
        )?;
        Ok(Approved::Issued(Box::new(cert)))
    }

    /// Denies a pending request.
    pub fn deny(&self, id: u64, actor: &Actor, reason: &str, now: i64) -> Result<RequestRecord, AppError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::BadRequest("a denial needs a reason".into()));
        }
        let rec = self.store.deny(
            id,
            Denial {
                by: actor.clone(),
                at: now,
                reason: reason.into(),
            },
        )?;
        self.audit(actor, "request.deny", json!({"request_id": id, "reason": reason}), now)?;
        Ok(rec)
    }

    /// Revokes a certificate by serial (hex) with an RFC 5280 reason.
    pub fn revoke(
        &self,
        serial: &str,
        issuer: Option<&str>,
        reason: Reason,
        at: Option<i64>,
        actor: &Actor,
        now: i64,
    ) -> Result<CertRecord, AppError> {
        let target = self.find_certificate(serial, issuer)?;
        if let Some(r) = &target.revocation {
            if r.reason != Reason::CertificateHold.code() || reason == Reason::CertificateHold {
                return Err(AppError::Conflict(format!(
                    "certificate {} is already revoked",
                    target.serial_hex()
                )));
            }
        }
        let updated = self.store.set_revocation(
            &target.issuer,
            &target.serial,
            Some(Revocation {
                time: at.unwrap_or(now),
                reason: reason.code(),
                invalidity_date: None,
            }),
        )?;
        self.revocation.mark_changed(&updated.issuer, &updated.serial);
        self.audit(
            actor,
            "cert.revoke",
            json!({"issuer": updated.issuer, "serial": updated.serial_hex(), "reason": reason.name()}),
            now,
        )?;
        Ok(updated)
    }

    /// Releases a certificateHold (the next delta CRL lists it as removeFromCRL).
    pub fn unrevoke(
        &self,
        serial: &str,
        issuer: Option<&str>,
        actor: &Actor,
        now: i64,
    ) -> Result<CertRecord, AppError> {
        let target = self.find_certificate(serial, issuer)?;
        match &target.revocation {
            Some(r) if r.reason == Reason::CertificateHold.code() => {}
            Some(_) => {
                return Err(AppError::Conflict(format!(
                    "certificate {} is revoked for good; only a certificateHold can be released",
                    target.serial_hex()
                )))
            }
            None => {
                return Err(AppError::Conflict(format!(
                    "certificate {} is not revoked",
                    target.serial_hex()
                )))
            }
        }
        let updated = self.store.set_revocation(&target.issuer, &target.serial, None)?;
        self.revocation.mark_changed(&updated.issuer, &updated.serial);
        self.audit(
            actor,
            "cert.unrevoke",
            json!({"issuer": updated.issuer, "serial": updated.serial_hex()}),
            now,
        )?;
        Ok(updated)
    }

    /// The one certificate with this serial (hex), optionally under a given issuer.
    pub fn find_certificate(&self, serial: &str, issuer: Option<&str>) -> Result<CertRecord, AppError> {
        let s = Serial::from_hex(serial)
            .ok_or_else(|| AppError::BadRequest(format!("{serial:?} is not a hexadecimal serial number")))?;
        let mut found = self.store.find_serial(s.as_bytes())?;
        if let Some(i) = issuer {
            found.retain(|r| r.issuer == i);
        }
        match found.len() {
            0 => Err(AppError::NotFound(format!("no certificate with serial {}", s.hex()))),
            1 => Ok(found.remove(0)),
            _ => Err(AppError::BadRequest(format!(
                "serial {} exists under several issuers; name the issuer",
                s.hex()
            ))),
        }
    }

    /// Certificates matching `filter`.
    pub fn certificates(&self, filter: &CertFilter) -> Result<Vec<CertRecord>, AppError> {
        Ok(self.store.list(filter)?)
    }
}

/// Lower-case name of a request status.
pub fn status_word(s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Pending => "pending",
        RequestStatus::Issued => "issued",
        RequestStatus::Denied => "denied",
    }
}
