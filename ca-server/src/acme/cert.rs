//! Certificate download (RFC 8555 7.4.2, with an alternate chain via `Link`) and revokeCert
//! (7.6, by the account that ordered it or by the certificate's own key).
use ca_core::acme::{base64url, ProblemType};
use ca_core::pem;
use ca_core::revocation::Reason;
use ca_store::queue::Actor;
use ca_store::{AcmeStore, CertIndex, CertRecord};
use serde::Deserialize;

use super::auth::Authed;
use super::objects::cert_url;
use super::order::{issued_to, own_order};
use super::{app_failure, Body, Ctx, Failure, Outcome, Reply};
use crate::app::{App, AppError};

/// POST-as-GET to `cert/{order}` (leaf and intermediate) or `cert/{order}/1` (the same chain
/// with the root appended, for clients that want the full path).
pub fn download(app: &App, ctx: &Ctx, authed: Authed, order_id: &str, alternate: bool) -> Outcome {
    let account = authed.account()?;
    let order = own_order(app, ctx, account, order_id)?;
    let Some((issuer, serial)) = &order.certificate else {
        return Err(Failure::not_found("certificate (the order is not valid yet)"));
    };
    let rec = app
        .store
        .get(issuer, serial)?
        .ok_or_else(|| Failure::internal("the order's certificate is missing from the index"))?;
    let mut chain = app.chain_for(rec);
    if !alternate && chain.len() > 1 {
        chain.pop();
    }
    let text: String = chain.iter().map(|der| pem::encode("CERTIFICATE", der)).collect();
    let base = cert_url(ctx, &order.id);
    let other = if alternate { base.clone() } else { format!("{base}/1") };
    Ok(Reply {
        status: 200,
        body: Body::Pem(text),
        location: None,
        links: vec![(other, "alternate")],
        retry_after: None,
    })
}

#[derive(Deserialize)]
struct Revoke {
    certificate: String,
    #[serde(default)]
    reason: Option<u8>,
}

/// revokeCert.
pub fn revoke(app: &App, ctx: &Ctx, authed: Authed) -> Outcome {
    let body: Revoke = authed.jws.payload_json()?;
    let der = base64url::decode(body.certificate.trim_end_matches('='))
        .map_err(|_| Failure::malformed("certificate is not base64url DER"))?;
    let rec = find_issued(app, &der)?;
    let reason = match body.reason.unwrap_or(0) {
        0 => Reason::Unspecified,
        1 => Reason::KeyCompromise,
        3 => Reason::AffiliationChanged,
        4 => Reason::Superseded,
        5 => Reason::CessationOfOperation,
        other => {
            return Err(Failure::new(
                ProblemType::BadRevocationReason,
                format!("revocation reason {other} is not allowed (use 0, 1, 3, 4 or 5)"),
            ))
        }
    };
    let actor = match &authed.account {
        Some(account) => {
            if !issued_to(app, &rec, account)? && !holds_all_names(app, account, &rec)? {
                return Err(Failure::unauthorized(
                    "this account neither ordered the certificate nor holds authorizations for all its names",
                ));
            }
            Actor {
                subject: format!("ACME account {} ({})", account.id, ctx.ep.name),
                fingerprint: account.thumbprint.clone(),
            }
        }
        None => {
            let (_, spki) = parse_certificate(&der)?;
            if !authed.jws.key.matches_spki(&spki) {
                return Err(Failure::unauthorized(
                    "the request is signed neither by an account nor by the certificate's key",
                ));
            }
            Actor {
                subject: format!("holder of the certificate key ({})", ctx.ep.name),
                fingerprint: authed.jws.key.thumbprint(),
            }
        }
    };
    match app.revoke(&rec.serial_hex(), Some(&rec.issuer), reason, None, &actor, ctx.t()) {
        Ok(_) => {}
        Err(AppError::Conflict(m)) => return Err(Failure::new(ProblemType::AlreadyRevoked, m)),
        Err(e) => return Err(app_failure(e, false)),
    }
    tracing::info!(endpoint = %ctx.ep.name, serial = %rec.serial_hex(), reason = reason.name(), "revoked over ACME");
    Ok(Reply {
        status: 200,
        body: Body::Empty,
        location: None,
        links: Vec::new(),
        retry_after: None,
    })
}

/// The index record of a certificate this CA issued, matched byte for byte.
fn find_issued(app: &App, der: &[u8]) -> Outcome<CertRecord> {
    let (serial, _) = parse_certificate(der)?;
    for issuer in app.cas.keys() {
        if let Some(rec) = app.store.get(issuer, &serial)? {
            if rec.der == der {
                return Ok(rec);
            }
        }
    }
    Err(Failure::not_found("certificate issued by this CA"))
}

/// RFC 8555 7.6: an account holding valid authorizations for every name of the certificate
/// may revoke it too.
fn holds_all_names(app: &App, account: &ca_store::AcmeAccount, rec: &CertRecord) -> Outcome<bool> {
    let mut names: Vec<String> = rec
        .sans
        .iter()
        .filter_map(|s| {
            s.strip_prefix("DNS:")
                .or_else(|| s.strip_prefix("IP:"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(false);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut held = std::collections::BTreeSet::new();
    for id in app.store.orders_of_account(&account.id, 1000)? {
        let Some(order) = app.store.get_order(&id)? else {
            continue;
        };
        for authz_id in &order.authz_ids {
            if let Some(a) = app.store.get_authz(authz_id)? {
                if a.status == ca_core::acme::order::AuthzStatus::Valid && a.expires > now {
                    held.insert(a.identifier.value());
                }
            }
        }
    }
    Ok(names.iter().all(|n| held.contains(n)))
}

/// The serial (INTEGER content bytes) and SubjectPublicKeyInfo DER of a certificate.
fn parse_certificate(der: &[u8]) -> Outcome<(Vec<u8>, Vec<u8>)> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (rest, cert) = X509Certificate::from_der(der)
        .map_err(|e| Failure::malformed(format!("certificate does not parse as DER X.509: {e}")))?;
    if !rest.is_empty() {
        return Err(Failure::malformed("certificate has trailing data"));
    }
    Ok((
        cert.tbs_certificate.raw_serial().to_vec(),
        cert.public_key().raw.to_vec(),
    ))
}
