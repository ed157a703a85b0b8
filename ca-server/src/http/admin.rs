//! The admin API under `/v1/admin/`, authenticated by the mTLS client certificate (see
//! `app/identity.rs`): approval queue, revocation, certificate search, tokens, audit log.
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ca_core::pem;
use ca_core::revocation::Reason;
use ca_store::audit::AuditLog;
use ca_store::queue::{Actor, RequestStatus};
use ca_store::{CertFilter, CertRecord, CertStatus};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::{blocking, PeerCert};
use crate::app::{now, App, AppError, Approved};

/// Routes of this surface.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/v1/admin/whoami", get(whoami))
        .route("/v1/admin/requests", get(list_requests))
        .route("/v1/admin/requests/{id}", get(show_request))
        .route("/v1/admin/requests/{id}/approve", post(approve))
        .route("/v1/admin/requests/{id}/deny", post(deny))
        .route("/v1/admin/certificates", get(certificates))
        .route("/v1/admin/certificates/{serial}/revoke", post(revoke))
        .route("/v1/admin/certificates/{serial}/unrevoke", post(unrevoke))
        .route("/v1/admin/tokens", post(create_token))
        .route("/v1/admin/acme/eab", post(create_eab).get(list_eab))
        .route("/v1/admin/audit", get(audit))
        .route("/v1/admin/audit/verify", get(audit_verify))
}

/// An authenticated administrator.
pub struct Admin(pub Actor);

impl FromRequestParts<Arc<App>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<PeerCert>().cloned().unwrap_or_default();
        let app = app.clone();
        let actor = blocking(&app, move |app| {
            app.authenticate_admin(peer.0.as_deref().map(|v| v.as_slice()), now().unix_timestamp())
        })
        .await?;
        Ok(Admin(actor))
    }
}

async fn whoami(Admin(actor): Admin) -> Json<Actor> {
    Json(actor)
}

#[derive(Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    limit: Option<usize>,
}

fn parse_status(s: &str) -> Result<RequestStatus, ApiError> {
    match s {
        "pending" => Ok(RequestStatus::Pending),
        "issued" => Ok(RequestStatus::Issued),
        "denied" => Ok(RequestStatus::Denied),
        other => Err(ApiError::bad_request(format!(
            "unknown status {other:?}: use pending, issued or denied"
        ))),
    }
}

async fn list_requests(
    State(app): State<Arc<App>>,
    _a: Admin,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let status = q.status.as_deref().map(parse_status).transpose()?;
    let list = blocking(&app, move |app| app.list_requests(status, q.limit)).await?;
    let rows: Vec<_> = list
        .iter()
        .map(|r| {
            json!({
                "request_id": r.id, "status": r.status, "template": r.request.template, "subject": r.request.subject,
                "sans": r.request.sans, "submitted_at": r.request.submitted_at, "approvals": r.approvals.len(),
                "source": r.request.source, "submitter": r.request.submitter,
            })
        })
        .collect();
    Ok(Json(rows).into_response())
}

async fn show_request(State(app): State<Arc<App>>, _a: Admin, Path(id): Path<u64>) -> Result<Response, ApiError> {
    let view = blocking(&app, move |app| app.request_view(id)).await?;
    let mut v = serde_json::to_value(&view).map_err(|e| ApiError::bad_request(e.to_string()))?;
    // The CSR as PEM rather than a byte array.
    v["record"]["request"]["csr"] = json!(pem::encode("CERTIFICATE REQUEST", &view.record.request.csr));
    Ok(Json(v).into_response())
}

async fn approve(State(app): State<Arc<App>>, Admin(actor): Admin, Path(id): Path<u64>) -> Result<Response, ApiError> {
    let outcome = blocking(&app, move |app| app.approve(id, &actor, now())).await?;
    Ok(match outcome {
        Approved::Issued(cert) => Json(json!({
            "request_id": id, "status": "issued", "issuer": cert.record.issuer, "serial": cert.record.serial_hex(),
        }))
        .into_response(),
        Approved::Waiting { have, need } => (
            StatusCode::ACCEPTED,
            Json(json!({"request_id": id, "status": "pending", "approvals": have, "approvals_required": need})),
        )
            .into_response(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DenyBody {
    reason: String,
}

async fn deny(
    State(app): State<Arc<App>>,
    Admin(actor): Admin,
    Path(id): Path<u64>,
    body: Result<Json<DenyBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::bad_request(format!("malformed JSON: {}", e.body_text())))?;
    let rec = blocking(&app, move |app| {
        app.deny(id, &actor, &body.reason, now().unix_timestamp())
    })
    .await?;
    Ok(
        Json(json!({"request_id": rec.id, "status": rec.status, "reason": rec.denial.map(|d| d.reason)}))
            .into_response(),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    reason: String,
    issuer: Option<String>,
    /// Revocation time, unix seconds (default now).
    time: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UnrevokeBody {
    issuer: Option<String>,
}

async fn unrevoke(
    State(app): State<Arc<App>>,
    Admin(actor): Admin,
    Path(serial): Path<String>,
    body: Result<Json<UnrevokeBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::bad_request(format!("malformed JSON: {}", e.body_text())))?;
    let rec = blocking(&app, move |app| {
        app.unrevoke(&serial, body.issuer.as_deref(), &actor, now().unix_timestamp())
    })
    .await?;
    Ok(Json(cert_json(&rec, now().unix_timestamp(), false)).into_response())
}

async fn revoke(
    State(app): State<Arc<App>>,
    Admin(actor): Admin,
    Path(serial): Path<String>,
    body: Result<Json<RevokeBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::bad_request(format!("malformed JSON: {}", e.body_text())))?;
    let reason: Reason = body.reason.parse().map_err(ApiError::bad_request)?;
    let rec = blocking(&app, move |app| {
        app.revoke(
            &serial,
            body.issuer.as_deref(),
            reason,
            body.time,
            &actor,
            now().unix_timestamp(),
        )
    })
    .await?;
    Ok(Json(cert_json(&rec, now().unix_timestamp(), false)).into_response())
}

#[derive(Deserialize, Default)]
struct CertQuery {
    status: Option<String>,
    profile: Option<String>,
    issuer: Option<String>,
    search: Option<String>,
    serial: Option<String>,
    expiring_within_days: Option<i64>,
    limit: Option<usize>,
    /// `root` or `intermediate`: which key of the issuer signed (needs `issuer`).
    signer: Option<String>,
}

async fn certificates(
    State(app): State<Arc<App>>,
    _a: Admin,
    Query(q): Query<CertQuery>,
) -> Result<Response, ApiError> {
    let t = now().unix_timestamp();
    let status = match q.status.as_deref() {
        None => None,
        Some("valid") => Some(CertStatus::Valid),
        Some("revoked") => Some(CertStatus::Revoked),
        Some("expired") => Some(CertStatus::Expired),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown status {other:?}: use valid, revoked or expired"
            )))
        }
    };
    let signer = match q.signer.as_deref() {
        None => None,
        Some(s @ ("root" | "intermediate")) => {
            let Some(issuer) = q.issuer.clone() else {
                return Err(ApiError::bad_request("signer needs issuer".to_string()));
            };
            Some((issuer, s == "root"))
        }
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown signer {other:?}: use root or intermediate"
            )))
        }
    };
    let with_pem = q.serial.is_some();
    let list = blocking(&app, move |app| {
        if let Some(serial) = &q.serial {
            return app.find_certificate(serial, q.issuer.as_deref()).map(|r| vec![r]);
        }
        let filter = CertFilter {
            issuer: q.issuer,
            status,
            profile: q.profile,
            text: q.search,
            expiring_within: q.expiring_within_days.map(|d| d * 86_400),
            now: t,
            limit: q.limit,
        };
        let mut list = app.certificates(&filter)?;
        if let Some((issuer, root)) = signer {
            if !app.cas.contains_key(&issuer) {
                return Err(AppError::NotFound(format!("no issuer {issuer}")));
            }
            list.retain(|r| app.root_signed(r) == root);
        }
        Ok(list)
    })
    .await?;
    Ok(Json(list.iter().map(|r| cert_json(r, t, with_pem)).collect::<Vec<_>>()).into_response())
}

/// A certificate as the admin API shows it; with `with_pem` (single-serial lookups) the
/// certificate itself too.
fn cert_json(r: &CertRecord, now: i64, with_pem: bool) -> serde_json::Value {
    let mut v = json!({
        "serial": r.serial_hex(), "issuer": r.issuer, "status": r.status(now), "subject": r.subject, "sans": r.sans,
        "profile": r.profile, "not_before": r.not_before, "not_after": r.not_after, "request_id": r.request_id,
        "revocation": r.revocation.as_ref().map(|v| json!({"time": v.time, "reason": Reason::from_code(v.reason).map(|x| x.name()), "invalidity_date": v.invalidity_date})),
    });
    if with_pem {
        v["certificate"] = json!(pem::encode("CERTIFICATE", &r.der));
    }
    v
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    template: String,
    cn: Option<String>,
    #[serde(default)]
    sans: Vec<String>,
    ttl_seconds: Option<i64>,
}

async fn create_token(
    State(app): State<Arc<App>>,
    Admin(actor): Admin,
    body: Result<Json<TokenBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(|e| ApiError::bad_request(format!("malformed JSON: {}", e.body_text())))?;
    let (secret, rec) = blocking(&app, move |app| {
        app.create_token(
            &actor,
            &b.template,
            b.cn,
            b.sans,
            b.ttl_seconds.unwrap_or(3600),
            now().unix_timestamp(),
        )
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"token": secret, "template": rec.template, "cn": rec.cn, "sans": rec.sans, "expires_at": rec.expires_at})),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EabBody {
    endpoint: String,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    ttl_seconds: Option<i64>,
}

async fn create_eab(
    State(app): State<Arc<App>>,
    Admin(actor): Admin,
    body: Result<Json<EabBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(|e| ApiError::bad_request(format!("malformed JSON: {}", e.body_text())))?;
    let rec = blocking(&app, move |app| {
        let req = crate::app::NewEab {
            endpoint: b.endpoint,
            template: b.template,
            names: b.names,
            ttl_seconds: b.ttl_seconds,
        };
        app.create_eab(&actor, req, now().unix_timestamp())
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "key_id": rec.key_id,
            "hmac_key": ca_core::acme::base64url::encode(&rec.hmac_key),
            "endpoint": rec.endpoint,
            "template": rec.template,
            "names": rec.names,
            "expires_at": rec.expires_at,
        })),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
struct EabQuery {
    endpoint: Option<String>,
}

/// EAB keys without their HMAC keys: id, endpoint, binding, expiry, and the account that used it.
async fn list_eab(State(app): State<Arc<App>>, _a: Admin, Query(q): Query<EabQuery>) -> Result<Response, ApiError> {
    let keys = blocking(&app, move |app| {
        Ok(ca_store::AcmeStore::list_eab_keys(&*app.store, q.endpoint.as_deref())?)
    })
    .await?;
    let rows: Vec<_> = keys
        .iter()
        .map(|k| {
            json!({"key_id": k.key_id, "endpoint": k.endpoint, "template": k.template, "names": k.names,
                   "created_at": k.created_at, "created_by": k.created_by, "expires_at": k.expires_at,
                   "used_by_account": k.used_by_account})
        })
        .collect();
    Ok(Json(rows).into_response())
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    from: Option<u64>,
    limit: Option<usize>,
}

async fn audit(State(app): State<Arc<App>>, _a: Admin, Query(q): Query<AuditQuery>) -> Result<Response, ApiError> {
    let entries = blocking(&app, move |app| Ok(app.store.entries(q.from.unwrap_or(1), q.limit)?)).await?;
    Ok(Json(entries).into_response())
}

async fn audit_verify(State(app): State<Arc<App>>, _a: Admin) -> Result<Response, ApiError> {
    let report = blocking(&app, |app| Ok(app.store.verify_chain()?)).await?;
    match &report.broken {
        Some((seq, why)) => Err(ApiError(AppError::Conflict(format!(
            "audit log is broken at entry {seq} of {}: {why}",
            report.entries
        )))),
        None => Ok(Json(report).into_response()),
    }
}
