//! HTTP surfaces, one router per concern; `error.rs` is the only place errors become statuses.
pub mod acme;
pub mod admin;
pub mod ca;
pub mod crl;
pub mod enroll;
pub mod error;
pub mod ocsp;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;

use crate::app::{App, AppError};
use error::ApiError;

/// Largest request body accepted anywhere (a CSR is a few KiB).
pub const MAX_BODY: usize = 64 * 1024;

/// The client certificate presented on this connection, if any (HTTPS only).
#[derive(Clone, Debug, Default)]
pub struct PeerCert(pub Option<Arc<Vec<u8>>>);

/// What relying parties fetch without TLS: CA certificates, CRLs, OCSP and health.
pub fn public_router(app: Arc<App>) -> Router {
    ca::router()
        .merge(crl::router())
        .merge(ocsp::router())
        .with_state(app)
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// Everything served over HTTPS.
pub fn https_router(app: Arc<App>) -> Router {
    ca::router()
        .merge(crl::router())
        .merge(ocsp::router())
        .merge(enroll::router())
        .merge(admin::router())
        .merge(acme::router())
        .with_state(app)
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// Runs blocking service work (store commits, signatures) off the async workers.
pub async fn blocking<T, F>(app: &Arc<App>, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&App) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| ApiError(AppError::BadRequest(format!("worker failed: {e}"))))?
        .map_err(ApiError)
}
