//! HTTP surfaces, one router per concern; `error.rs` is the only place errors become statuses.
pub mod ca;
pub mod error;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;

use crate::app::App;

/// Largest request body accepted anywhere (a CSR is a few KiB).
pub const MAX_BODY: usize = 64 * 1024;

/// The client certificate presented on this connection, if any (HTTPS only).
#[derive(Clone, Debug, Default)]
pub struct PeerCert(pub Option<Arc<Vec<u8>>>);

/// What relying parties fetch without TLS: CA certificates and health.
pub fn public_router(app: Arc<App>) -> Router {
    ca::router().with_state(app).layer(DefaultBodyLimit::max(MAX_BODY))
}

/// Everything served over HTTPS.
pub fn https_router(app: Arc<App>) -> Router {
    ca::router().with_state(app).layer(DefaultBodyLimit::max(MAX_BODY))
}
