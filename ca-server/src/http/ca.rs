//! Publication of CA certificates (`/ca/{issuer}/root.pem`, `.der`, `intermediate.*`,
//! `chain.pem`) and `/health`.
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ca_core::pem;

use super::error::ApiError;
use crate::app::App;

/// Routes of this surface.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/ca/{issuer}/{file}", get(ca_file))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
}

async fn ca_file(
    State(app): State<Arc<App>>,
    Path((issuer, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ca = app
        .cas
        .get(&issuer)
        .ok_or_else(|| ApiError::not_found(format!("no issuer {issuer}")))?;
    let pem_type = [(header::CONTENT_TYPE, "application/x-pem-file")];
    let der_type = [(header::CONTENT_TYPE, "application/pkix-cert")];
    Ok(match file.as_str() {
        "root.pem" => (pem_type, pem::encode("CERTIFICATE", &ca.root_der)).into_response(),
        "root.der" => (der_type, ca.root_der.clone()).into_response(),
        "intermediate.pem" => (pem_type, pem::encode("CERTIFICATE", &ca.intermediate_der)).into_response(),
        "intermediate.der" => (der_type, ca.intermediate_der.clone()).into_response(),
        "chain.pem" => (pem_type, pem::chain(&[&ca.intermediate_der, &ca.root_der])).into_response(),
        other => return Err(ApiError::not_found(format!("no file {other} for issuer {issuer}"))),
    })
}

/// 200 when everything served is fresh; 503 naming each CRL near (or past) its nextUpdate.
async fn health(State(app): State<Arc<App>>) -> impl IntoResponse {
    let problems = app.crl_health(crate::app::now());
    let status = if problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Json(serde_json::json!({
        "status": if problems.is_empty() { "ok" } else { "unhealthy" },
        "problems": problems,
        "issuers": app.cas.keys().collect::<Vec<_>>(),
        "uptime_seconds": app.started.elapsed().as_secs(),
    }));
    (status, body)
}

async fn metrics(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let pending = super::blocking(&app, |app| {
        app.list_requests(Some(ca_store::RequestStatus::Pending), None)
    })
    .await?;
    crate::metrics::queue_length(pending.len());
    app.crl_health(crate::app::now());
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::handle().render(),
    )
        .into_response())
}
