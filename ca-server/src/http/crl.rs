//! CRL publication: `/crl/{issuer}.crl|.pem` (full), `/crl/{issuer}-delta.crl|.pem` and
//! `/crl/{issuer}-root.crl|.pem` (the offline root CRL), with ETag and Last-Modified.
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use crate::app::App;
use crate::revocation::published::http_date;
use crate::revocation::Published;

/// Routes of this surface.
pub fn router() -> Router<Arc<App>> {
    Router::new().route("/crl/{file}", get(crl_file))
}

async fn crl_file(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (stem, pem) = match (file.strip_suffix(".crl"), file.strip_suffix(".pem")) {
        (Some(s), _) => (s, false),
        (_, Some(s)) => (s, true),
        _ => return Err(ApiError::not_found(format!("no CRL {file}"))),
    };
    let published = app
        .crl_file(stem)
        .ok_or_else(|| ApiError::not_found(format!("no CRL {file}")))?;
    Ok(serve(&published, pem, &headers))
}

fn serve(p: &Published, pem: bool, headers: &HeaderMap) -> Response {
    let validators = [
        (header::ETAG, p.etag.clone()),
        (header::LAST_MODIFIED, http_date(p.this_update)),
        (header::CACHE_CONTROL, "public, max-age=60, no-transform".to_string()),
    ];
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == p.etag || t.trim() == "*"));
    if not_modified {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    if pem {
        (
            validators,
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            p.pem.clone(),
        )
            .into_response()
    } else {
        (
            validators,
            [(header::CONTENT_TYPE, "application/pkix-crl")],
            p.der.clone(),
        )
            .into_response()
    }
}
