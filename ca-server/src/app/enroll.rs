//! Enrollment: a CSR and a template in; a certificate at once (auto templates, or a valid
//! token) or a RequestId "taken under submission". Policy runs before anything is stored, so a
//! request that could never be issued never enters the queue.
use ca_core::csr::CertRequest;
use ca_core::name::display_name;
use ca_core::policy::Plan;
use ca_core::profile::{Approval, Enroll, Profile};
use ca_store::home::authority::IssuedCert;
use ca_store::queue::{NewRequest, RequestQueue, RequestRecord, RequestStatus};
use ca_store::CertIndex;
use time::OffsetDateTime;

use super::{App, AppError};

/// One submission.
#[derive(Debug)]
pub struct SubmitInput<'a> {
    pub csr: &'a [u8],
    pub template: &'a str,
    pub days: Option<i64>,
    pub token: Option<&'a str>,
    /// Front door: "api", "renewal", "acme:<name>".
    pub source: &'a str,
    pub submitter: Option<String>,
}

/// A checked request on its way into the queue (see [`App::record_and_issue`]).
pub struct Recording<'a> {
    pub req: &'a CertRequest,
    pub profile: &'a Profile,
    pub plan: &'a Plan,
    pub days: Option<i64>,
    pub token_hash: Option<&'a str>,
    /// Issue at once instead of waiting for approval.
    pub auto: bool,
    pub source: &'a str,
    pub submitter: Option<String>,
}

/// What became of a submission.
#[derive(Debug)]
pub enum Submitted {
    Issued { request_id: u64, cert: Box<IssuedCert> },
    Pending { request_id: u64 },
}

impl App {
    /// Validates, records and (when allowed) issues a request.
    pub fn submit(&self, input: SubmitInput<'_>, now: OffsetDateTime) -> Result<Submitted, AppError> {
        let template = input.template.to_string();
        let started = std::time::Instant::now();
        let result = self.submit_inner(input, now);
        match &result {
            Ok(Submitted::Issued { .. }) => {
                crate::metrics::issuance(started.elapsed());
                crate::metrics::request(&template, "issued");
            }
            Ok(Submitted::Pending { .. }) => crate::metrics::request(&template, "pending"),
            Err(_) => crate::metrics::request(&template, "refused"),
        }
        result
    }

    fn submit_inner(&self, input: SubmitInput<'_>, now: OffsetDateTime) -> Result<Submitted, AppError> {
        let profile = self
            .auth
            .profiles()
            .get(input.template)
            .map_err(ca_core::Error::from)?
            .clone();
        let req = CertRequest::parse(input.csr).map_err(ca_core::Error::from)?;
        let plan = self.auth.signer_for(&profile)?.check(&req, &profile, input.days)?;
        let t = now.unix_timestamp();
        let token_hash = match (input.token, profile.enroll) {
            (Some(secret), _) => Some(self.check_token(secret, &profile.name, &plan, t)?),
            (None, Enroll::Token) => {
                return Err(AppError::Forbidden(format!(
                    "template {} needs an enrollment token (ca-cli token create --template {})",
                    profile.name, profile.name
                )))
            }
            (None, Enroll::Open) => None,
        };
        let auto = profile.approval == Approval::Auto || token_hash.is_some();
        self.record_and_issue(
            Recording {
                req: &req,
                profile: &profile,
                plan: &plan,
                days: input.days,
                token_hash: token_hash.as_deref(),
                auto,
                source: input.source,
                submitter: input.submitter,
            },
            now,
        )
    }

    /// Stores a checked request in the queue and, when `auto`, issues it at once (the
    /// certificate's commit marks the request issued). Every front door ends here.
    pub fn record_and_issue(&self, r: Recording<'_>, now: OffsetDateTime) -> Result<Submitted, AppError> {
        let request = NewRequest {
            template: r.profile.name.clone(),
            csr: r.req.der().to_vec(),
            days: r.days,
            subject: display_name(&r.plan.subject),
            sans: r.plan.sans.iter().map(|s| s.to_string()).collect(),
            source: r.source.to_string(),
            submitter: r.submitter,
            submitted_at: now.unix_timestamp(),
        };
        if !r.auto {
            let record = self.store.submit(request, r.token_hash)?;
            tracing::info!(request = record.id, template = %r.profile.name, source = r.source, "request taken under submission");
            return Ok(Submitted::Pending { request_id: record.id });
        }
        // Issued at once: the request and its certificate go into one durable commit.
        let (cert, record) =
            self.auth
                .issue_new_request(r.plan, r.req.spki_der(), r.profile, &request, r.token_hash, now)?;
        tracing::info!(request = record.id, serial = %cert.record.serial_hex(), template = %r.profile.name, source = r.source, "issued");
        Ok(Submitted::Issued {
            request_id: record.id,
            cert: Box::new(cert),
        })
    }

    /// One request.
    pub fn request(&self, id: u64) -> Result<RequestRecord, AppError> {
        self.store
            .get_request(id)?
            .ok_or_else(|| AppError::NotFound(format!("no request {id}")))
    }

    /// The certificate of an issued request with its chain (leaf first, root last).
    pub fn request_chain(&self, id: u64) -> Result<Vec<Vec<u8>>, AppError> {
        let rec = self.request(id)?;
        match (&rec.status, &rec.issued) {
            (RequestStatus::Issued, Some((issuer, serial))) => {
                let cert = self.store.get(issuer, serial)?.ok_or_else(|| {
                    AppError::NotFound(format!("the certificate of request {id} is missing from the index"))
                })?;
                Ok(self.chain_for(cert))
            }
            (RequestStatus::Pending, _) => Err(AppError::Conflict(format!(
                "request {id} is pending: taken under submission"
            ))),
            (RequestStatus::Denied, _) => Err(AppError::Conflict(format!(
                "request {id} was denied: {}",
                rec.denial
                    .as_ref()
                    .map(|d| d.reason.as_str())
                    .unwrap_or("no reason given")
            ))),
            _ => Err(AppError::NotFound(format!("request {id} has no certificate"))),
        }
    }
}
