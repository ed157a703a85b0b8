//! The one place where errors become HTTP statuses and JSON bodies `{"error": "...", "kind": "..."}`.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ca_core::Error as CoreError;
use ca_store::home::HomeError;
use ca_store::StoreError;

/// An error a handler returns.
#[derive(Debug)]
pub enum ApiError {
    NotFound(String),
    BadRequest(String),
    Home(HomeError),
}

impl From<HomeError> for ApiError {
    fn from(e: HomeError) -> Self {
        ApiError::Home(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, msg) = match self {
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Home(e) => {
                let (status, kind) = classify(&e);
                (status, kind, e.to_string())
            }
        };
        if status.is_server_error() {
            tracing::error!("{kind}: {msg}");
        }
        (status, Json(serde_json::json!({ "error": msg, "kind": kind }))).into_response()
    }
}

fn classify(e: &HomeError) -> (StatusCode, &'static str) {
    match e {
        HomeError::Core(CoreError::Csr(_)) => (StatusCode::BAD_REQUEST, "bad_csr"),
        HomeError::Core(CoreError::Policy(_)) => (StatusCode::UNPROCESSABLE_ENTITY, "policy"),
        HomeError::Core(CoreError::Profile(ca_core::error::ProfileError::Unknown(_))) => {
            (StatusCode::BAD_REQUEST, "unknown_template")
        }
        HomeError::UnknownIssuer { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_issuer"),
        HomeError::Store(StoreError::NotFound { .. }) => (StatusCode::NOT_FOUND, "not_found"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}
