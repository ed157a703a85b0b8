//! The OCSP responder: `POST /ocsp` (body: DER OCSPRequest) and `GET /ocsp/{base64}` (RFC 6960
//! A.1; the whole remaining path is the request, since base64 may contain `/`).
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ca_core::revocation::{decode_get_path, error_response, ErrorStatus};

use crate::app::{now, App};
use crate::revocation::ocsp_service::OcspStep;

/// Routes of this surface.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/ocsp", post(ocsp_post))
        .route("/ocsp/", post(ocsp_post))
        .route("/ocsp/{*request}", get(ocsp_get))
}

async fn ocsp_post(State(app): State<Arc<App>>, body: Bytes) -> Response {
    answer(app, body.to_vec()).await
}

async fn ocsp_get(State(app): State<Arc<App>>, uri: Uri) -> Response {
    // The raw (still percent-encoded) path: axum's extractor would decode `%2F` into `/`
    // before we see it, and decode_get_path undoes the escapes itself.
    let raw = uri.path().strip_prefix("/ocsp/").unwrap_or("");
    match decode_get_path(raw) {
        Ok(der) => answer(app, der).await,
        Err(_) => reply(Arc::new(error_response(ErrorStatus::MalformedRequest))),
    }
}

/// Cached answers and errors come straight back; only signing goes to the blocking pool.
async fn answer(app: Arc<App>, der: Vec<u8>) -> Response {
    let (request, issuer) = match app.ocsp_lookup(&der, now()) {
        OcspStep::Ready(der) => return reply(der),
        OcspStep::Sign { request, issuer } => (request, issuer),
    };
    let der = match tokio::task::spawn_blocking(move || app.ocsp_sign(&request, &issuer, now())).await {
        Ok(d) => d,
        Err(_) => Arc::new(error_response(ErrorStatus::InternalError)),
    };
    reply(der)
}

fn reply(der: Arc<Vec<u8>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/ocsp-response")],
        der.as_ref().clone(),
    )
        .into_response()
}
