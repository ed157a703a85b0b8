//! The one place where errors become HTTP statuses and JSON bodies `{"error": "...", "kind": "..."}`.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ca_core::error::ProfileError;
use ca_core::Error as CoreError;
use ca_store::home::HomeError;

use crate::app::AppError;

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl ApiError {
    /// A 400 naming the problem.
    pub fn bad_request(msg: impl Into<String>) -> ApiError {
        ApiError(AppError::BadRequest(msg.into()))
    }
    /// A 404 naming what is missing.
    pub fn not_found(msg: impl Into<String>) -> ApiError {
        ApiError(AppError::NotFound(msg.into()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind) = classify(&self.0);
        let msg = self.0.to_string();
        if status.is_server_error() {
            tracing::error!("{kind}: {msg}");
        }
        (status, Json(serde_json::json!({ "error": msg, "kind": kind }))).into_response()
    }
}

fn classify(e: &AppError) -> (StatusCode, &'static str) {
    match e {
        AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
        AppError::Home(h) => match h {
            HomeError::Core(CoreError::Csr(_)) => (StatusCode::BAD_REQUEST, "bad_csr"),
            HomeError::Core(CoreError::Policy(_)) => (StatusCode::UNPROCESSABLE_ENTITY, "policy"),
            HomeError::Core(CoreError::Profile(ProfileError::Unknown(_))) => {
                (StatusCode::BAD_REQUEST, "unknown_template")
            }
            HomeError::UnknownIssuer { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_issuer"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        },
    }
}
