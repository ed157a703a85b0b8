//! The certreq-style enrollment API: `POST /v1/requests` (JSON or `application/pkcs10`),
//! `GET /v1/requests/{id}`, `GET /v1/requests/{id}/certificate[?format=der]`.
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ca_core::pem;
use ca_store::home::authority::IssuedCert;
use ca_store::queue::RequestStatus;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::{blocking, PeerCert};
use crate::app::{now, App, SubmitInput, Submitted};

/// Routes of this surface.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/v1/requests", post(submit))
        .route("/v1/requests/{id}", get(status))
        .route("/v1/requests/{id}/certificate", get(certificate))
        .route("/v1/renew", post(renew))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSubmit {
    csr: String,
    template: String,
    days: Option<i64>,
    token: Option<String>,
}

#[derive(Deserialize, Default)]
struct SubmitQuery {
    template: Option<String>,
    days: Option<i64>,
    token: Option<String>,
}

async fn submit(
    State(app): State<Arc<App>>,
    Query(q): Query<SubmitQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (csr, template, days, token) = if ctype.starts_with("application/pkcs10") {
        let template = q
            .template
            .ok_or_else(|| ApiError::bad_request("a PKCS#10 body needs ?template=NAME"))?;
        (body.to_vec(), template, q.days, q.token)
    } else if ctype.starts_with("application/json") || ctype.is_empty() {
        let j: JsonSubmit =
            serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
        (j.csr.into_bytes(), j.template, j.days, j.token)
    } else {
        return Err(ApiError::bad_request(format!(
            "unsupported content type {ctype:?}: use application/json or application/pkcs10"
        )));
    };
    let outcome = blocking(&app, move |app| {
        let input = SubmitInput {
            csr: &csr,
            template: &template,
            days,
            token: token.as_deref(),
            source: "api",
            submitter: None,
        };
        app.submit(input, now())
    })
    .await?;
    Ok(match outcome {
        Submitted::Issued { request_id, cert } => {
            let refs: Vec<&[u8]> = cert.chain.iter().map(|c| c.as_slice()).collect();
            let body = json!({
                "request_id": request_id,
                "status": "issued",
                "serial": cert.record.serial_hex(),
                "issuer": cert.record.issuer,
                "certificate": pem::encode("CERTIFICATE", &cert.record.der),
                "chain": pem::chain(&refs),
            });
            (
                StatusCode::CREATED,
                [(header::LOCATION, format!("/v1/requests/{request_id}"))],
                Json(body),
            )
                .into_response()
        }
        Submitted::Pending { request_id } => {
            let body = json!({
                "request_id": request_id,
                "status": "pending",
                "message": format!("Certificate request is pending: Taken Under Submission ({request_id})"),
            });
            (
                StatusCode::ACCEPTED,
                [(header::LOCATION, format!("/v1/requests/{request_id}"))],
                Json(body),
            )
                .into_response()
        }
    })
}

async fn status(State(app): State<Arc<App>>, Path(id): Path<u64>) -> Result<Response, ApiError> {
    let rec = blocking(&app, move |app| app.request(id)).await?;
    let mut body = json!({
        "request_id": rec.id,
        "status": rec.status,
        "template": rec.request.template,
        "subject": rec.request.subject,
        "sans": rec.request.sans,
        "submitted_at": rec.request.submitted_at,
        "approvals": rec.approvals.len(),
    });
    if let Some(d) = &rec.denial {
        body["denial_reason"] = json!(d.reason);
    }
    if let (RequestStatus::Issued, Some((issuer, serial))) = (rec.status, &rec.issued) {
        body["issuer"] = json!(issuer);
        body["serial"] = json!(ca_store::serial_to_hex(serial));
    }
    Ok(Json(body).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RenewBody {
    csr: Option<String>,
}

async fn renew(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<PeerCert>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: RenewBody = if body.is_empty() {
        RenewBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?
    };
    let cert = blocking(&app, move |app| {
        app.renew(
            peer.0.as_deref().map(|v| v.as_slice()),
            b.csr.as_deref().map(str::as_bytes),
            now(),
        )
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(issued_json(cert.record.request_id.unwrap_or(0), &cert)),
    )
        .into_response())
}

fn issued_json(request_id: u64, cert: &IssuedCert) -> serde_json::Value {
    let refs: Vec<&[u8]> = cert.chain.iter().map(|c| c.as_slice()).collect();
    json!({
        "request_id": request_id,
        "status": "issued",
        "serial": cert.record.serial_hex(),
        "issuer": cert.record.issuer,
        "certificate": pem::encode("CERTIFICATE", &cert.record.der),
        "chain": pem::chain(&refs),
    })
}

#[derive(Deserialize, Default)]
struct CertQuery {
    format: Option<String>,
}

async fn certificate(
    State(app): State<Arc<App>>,
    Path(id): Path<u64>,
    Query(q): Query<CertQuery>,
) -> Result<Response, ApiError> {
    let chain = blocking(&app, move |app| app.request_chain(id)).await?;
    match q.format.as_deref() {
        Some("der") => Ok(([(header::CONTENT_TYPE, "application/pkix-cert")], chain[0].clone()).into_response()),
        None | Some("pem") => {
            let refs: Vec<&[u8]> = chain.iter().map(|c| c.as_slice()).collect();
            Ok((
                [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
                pem::chain(&refs),
            )
                .into_response())
        }
        Some(other) => Err(ApiError::bad_request(format!(
            "unknown format {other:?}: use pem or der"
        ))),
    }
}
