//! ACME Renewal Information (RFC 9773): `GET renewal-info/{certID}` answers the suggested
//! window of one of this CA's certificates, and a newOrder's `replaces` must name a
//! certificate of the same account.
use ca_core::acme::ari::{parse_cert_id, suggested_window};
use ca_core::acme::ProblemType;
use ca_store::{AcmeAccount, CertIndex, CertRecord};
use serde_json::json;

use super::objects::rfc3339;
use super::order::issued_to;
use super::{Ctx, Failure, Outcome, Reply};
use crate::app::App;

/// Seconds clients should wait before asking again.
const RETRY_AFTER_SECS: u64 = 6 * 3600;

/// The certificate a certID names, if this CA issued it.
fn lookup(app: &App, cert_id: &str) -> Outcome<CertRecord> {
    let (aki, serial) = parse_cert_id(cert_id).map_err(Failure::malformed)?;
    let issuer = app
        .acme
        .issuers_by_aki
        .get(&hex::encode(&aki))
        .ok_or_else(|| Failure::not_found("certificate (unknown authority key identifier)"))?;
    app.store
        .get(issuer, &serial)?
        .ok_or_else(|| Failure::not_found("certificate"))
}

/// `GET renewal-info/{certID}`.
pub fn renewal_info(app: &App, ctx: &Ctx, cert_id: &str) -> Outcome {
    let rec = lookup(app, cert_id)?;
    let w = suggested_window(rec.not_before, rec.not_after, rec.revocation.is_some(), ctx.t());
    Ok(Reply::json(
        200,
        json!({ "suggestedWindow": { "start": rfc3339(w.start), "end": rfc3339(w.end) } }),
    )
    .retry_after(RETRY_AFTER_SECS))
}

/// A newOrder's `replaces`: the certificate must exist and have been issued to this account.
pub fn check_replaces(app: &App, _ctx: &Ctx, account: &AcmeAccount, cert_id: &str) -> Outcome<()> {
    let rec = lookup(app, cert_id).map_err(|f| Failure::malformed(format!("replaces: {}", f.problem.detail)))?;
    if !issued_to(app, &rec, account)? {
        return Err(Failure::new(
            ProblemType::Unauthorized,
            "replaces names a certificate that was not issued to this account",
        ));
    }
    Ok(())
}
