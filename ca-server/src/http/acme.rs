//! The ACME HTTP surface: `/acme/{endpoint}/...` on the HTTPS listener. Every response
//! carries a fresh `Replay-Nonce`, `Link: <directory>;rel="index"` and `Cache-Control:
//! no-store`; errors are RFC 7807 problem documents (`application/problem+json`).
use std::sync::Arc;

use axum::body::{Body as AxumBody, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ca_core::acme::problem::PROBLEM_CONTENT_TYPE;
use ca_core::acme::ProblemType;
use serde_json::json;

use crate::acme::auth::{authenticate, Expect};
use crate::acme::{account, ari, authz, cert, order, Body, Ctx, Failure, Outcome, Reply};
use crate::app::{now, App};

/// Routes of this surface.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/acme/{ep}/directory", get(directory))
        .route("/acme/{ep}/new-nonce", get(new_nonce_get).head(new_nonce_head))
        .route("/acme/{ep}/renewal-info/{cert_id}", get(renewal_info))
        .route("/acme/{ep}/{*resource}", post(post_resource))
}

/// The endpoint and base URL of a request, or the 404 problem of an unknown endpoint.
fn context(app: &App, ep: &str, uri: &Uri, headers: &HeaderMap) -> Result<Ctx, Failure> {
    let Some(endpoint) = app.acme.endpoints.get(ep) else {
        return Err(Failure::not_found(&format!("ACME endpoint {ep:?}")));
    };
    let host = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "localhost".into());
    Ok(Ctx {
        ep: Arc::clone(endpoint),
        base: format!("https://{host}/acme/{ep}"),
        now: now(),
    })
}

async fn directory(State(app): State<Arc<App>>, Path(ep): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    let ctx = match context(&app, &ep, &uri, &headers) {
        Ok(c) => c,
        Err(f) => return problem_response(&app, None, f),
    };
    let e = &ctx.ep;
    let mut meta = json!({
        "externalAccountRequired": e.eab_required,
        "profiles": e.profiles.iter().map(|(name, template)| {
            let description = app.auth.profiles().get(template).map(|p| p.description.clone()).unwrap_or_default();
            (name.clone(), json!(format!("template {template}: {description}")))
        }).collect::<serde_json::Map<_, _>>(),
    });
    if let Some(tos) = &e.terms_of_service {
        meta["termsOfService"] = json!(tos);
    }
    if let Some(site) = &e.website {
        meta["website"] = json!(site);
    }
    let body = json!({
        "newNonce": ctx.url("new-nonce"),
        "newAccount": ctx.url("new-account"),
        "newOrder": ctx.url("new-order"),
        "revokeCert": ctx.url("revoke-cert"),
        "keyChange": ctx.url("key-change"),
        "renewalInfo": ctx.url("renewal-info"),
        "meta": meta,
    });
    // The directory is cacheable and carries no nonce (RFC 8555 7.1.1 does not ask for one).
    let mut r = (StatusCode::OK, axum::Json(body)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    r
}

async fn new_nonce_head(State(app): State<Arc<App>>, Path(ep): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    nonce_response(&app, &ep, &uri, &headers, StatusCode::OK)
}

async fn new_nonce_get(State(app): State<Arc<App>>, Path(ep): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    nonce_response(&app, &ep, &uri, &headers, StatusCode::NO_CONTENT)
}

fn nonce_response(app: &App, ep: &str, uri: &Uri, headers: &HeaderMap, status: StatusCode) -> Response {
    let ctx = match context(app, ep, uri, headers) {
        Ok(c) => c,
        Err(f) => return problem_response(app, None, f),
    };
    let mut r = status.into_response();
    decorate(app, Some(&ctx), &mut r);
    r
}

async fn renewal_info(
    State(app): State<Arc<App>>,
    Path((ep, cert_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let ctx = match context(&app, &ep, &uri, &headers) {
        Ok(c) => c,
        Err(f) => return problem_response(&app, None, f),
    };
    let app2 = Arc::clone(&app);
    let outcome = run_blocking(move || {
        let ctx = ctx;
        let out = ari::renewal_info(&app2, &ctx, &cert_id);
        (ctx, out)
    })
    .await;
    finish(&app, outcome)
}

/// Every POST: authenticate, then dispatch on the resource path.
async fn post_resource(
    State(app): State<Arc<App>>,
    Path((ep, resource)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ctx = match context(&app, &ep, &uri, &headers) {
        Ok(c) => c,
        Err(f) => return problem_response(&app, None, f),
    };
    // An oversized (or unreadable) body is an ACME problem like any other bad request.
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let mut f = Failure::malformed(format!("the request body was refused: {}", e.body_text()));
            f.status = Some(e.status().as_u16());
            return problem_response(&app, Some(&ctx), f);
        }
    };
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // The media type without parameters (`; charset=...`).
    let media = ctype.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/jose+json") {
        let mut f = Failure::malformed(format!(
            "ACME requests must have Content-Type application/jose+json, not {ctype:?}"
        ));
        f.status = Some(415);
        return problem_response(&app, Some(&ctx), f);
    }
    let kind = Resource::label(&resource);
    let app2 = Arc::clone(&app);
    let outcome = run_blocking(move || {
        let ctx = ctx;
        let out = dispatch(&app2, &ctx, &resource, &body);
        (ctx, out)
    })
    .await;
    let response = finish(&app, outcome);
    crate::metrics::acme_request(&ep, kind, response.status().as_u16());
    response
}

/// Runs one request's synchronous work (store commits, signatures) on the blocking pool.
async fn run_blocking<F>(f: F) -> Option<(Ctx, Outcome)>
where
    F: FnOnce() -> (Ctx, Outcome) + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.ok()
}

fn finish(app: &App, outcome: Option<(Ctx, Outcome)>) -> Response {
    match outcome {
        Some((ctx, Ok(reply))) => reply_response(app, &ctx, reply),
        Some((ctx, Err(f))) => problem_response(app, Some(&ctx), f),
        None => problem_response(app, None, Failure::internal("the request's worker failed")),
    }
}

/// A POSTed ACME resource, parsed from the path after `/acme/{endpoint}/`.
enum Resource<'a> {
    NewAccount,
    RevokeCert,
    KeyChange,
    NewOrder,
    Account(&'a str),
    AccountOrders(&'a str),
    Order(&'a str),
    Finalize(&'a str),
    Authz(&'a str),
    Challenge(&'a str, &'a str),
    Certificate(&'a str, bool),
}

impl<'a> Resource<'a> {
    fn parse(path: &'a str) -> Option<Resource<'a>> {
        let parts: Vec<&str> = path.split('/').collect();
        Some(match parts.as_slice() {
            ["new-account"] => Resource::NewAccount,
            ["revoke-cert"] => Resource::RevokeCert,
            ["key-change"] => Resource::KeyChange,
            ["new-order"] => Resource::NewOrder,
            ["acct", id] => Resource::Account(id),
            ["acct", id, "orders"] => Resource::AccountOrders(id),
            ["order", id] => Resource::Order(id),
            ["order", id, "finalize"] => Resource::Finalize(id),
            ["authz", id] => Resource::Authz(id),
            ["chall", id, index] => Resource::Challenge(id, index),
            ["cert", id] => Resource::Certificate(id, false),
            ["cert", id, "1"] => Resource::Certificate(id, true),
            _ => return None,
        })
    }

    /// Which key reference the request must carry.
    fn expect(&self) -> Expect {
        match self {
            Resource::NewAccount => Expect::Jwk,
            Resource::RevokeCert => Expect::Either,
            _ => Expect::Kid,
        }
    }

    /// The label in `privca_acme_requests_total`.
    fn label(path: &str) -> &'static str {
        match Resource::parse(path) {
            Some(Resource::NewAccount) => "new-account",
            Some(Resource::RevokeCert) => "revoke-cert",
            Some(Resource::KeyChange) => "key-change",
            Some(Resource::NewOrder) => "new-order",
            Some(Resource::Account(_) | Resource::AccountOrders(_)) => "account",
            Some(Resource::Order(_)) => "order",
            Some(Resource::Finalize(_)) => "finalize",
            Some(Resource::Authz(_)) => "authz",
            Some(Resource::Challenge(..)) => "challenge",
            Some(Resource::Certificate(..)) => "certificate",
            None => "unknown",
        }
    }
}

fn dispatch(app: &Arc<App>, ctx: &Ctx, path: &str, body: &[u8]) -> Outcome {
    // Unknown resources are refused before any authentication work.
    let resource = Resource::parse(path).ok_or_else(|| Failure::not_found(&format!("ACME resource {path:?}")))?;
    let url = ctx.url(path);
    let authed = authenticate(app, ctx, &url, body, resource.expect())?;
    match resource {
        Resource::NewAccount => account::new_account(app, ctx, authed),
        Resource::RevokeCert => cert::revoke(app, ctx, authed),
        Resource::KeyChange => account::key_change(app, ctx, authed, &url),
        Resource::NewOrder => order::new_order(app, ctx, authed),
        Resource::Account(id) => account::account(app, ctx, authed, id),
        Resource::AccountOrders(id) => account::orders(app, ctx, authed, id),
        Resource::Order(id) => order::get_order(app, ctx, authed, id),
        Resource::Finalize(id) => order::finalize(app, ctx, authed, id),
        Resource::Authz(id) => authz::authz(app, ctx, authed, id),
        Resource::Challenge(id, index) => {
            let index: usize = index.parse().map_err(|_| Failure::not_found("challenge"))?;
            authz::challenge(app, ctx, authed, id, index)
        }
        Resource::Certificate(id, alternate) => cert::download(app, ctx, authed, id, alternate),
    }
}

fn reply_response(app: &App, ctx: &Ctx, reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let mut r = match reply.body {
        Body::Json(v) => (status, axum::Json(v)).into_response(),
        Body::Pem(text) => {
            let mut r = (status, text).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pem-certificate-chain"),
            );
            r
        }
        Body::Empty => Response::builder()
            .status(status)
            .body(AxumBody::empty())
            .unwrap_or_default(),
    };
    let h = r.headers_mut();
    if let Some(loc) = reply.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        h.insert(header::LOCATION, loc);
    }
    for (url, rel) in reply.links {
        if let Ok(v) = HeaderValue::from_str(&format!("<{url}>;rel=\"{rel}\"")) {
            h.append(header::LINK, v);
        }
    }
    if let Some(secs) = reply.retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    decorate(app, Some(ctx), &mut r);
    r
}

fn problem_response(app: &App, ctx: Option<&Ctx>, f: Failure) -> Response {
    let status = StatusCode::from_u16(f.status.unwrap_or(f.problem.status())).unwrap_or(StatusCode::BAD_REQUEST);
    if status.is_server_error() {
        tracing::error!("ACME: {}", f.problem.detail);
    }
    let mut doc = serde_json::to_value(&f.problem).unwrap_or_else(|_| json!({}));
    doc["status"] = json!(status.as_u16());
    let mut r = (status, doc.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
    if let Some(loc) = f.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        h.insert(header::LOCATION, loc);
    }
    if f.problem.kind == ProblemType::BadNonce {
        tracing::debug!("ACME badNonce: {}", f.problem.detail);
    }
    decorate(app, ctx, &mut r);
    r
}

/// Replay-Nonce, the index link, and no caching: on every ACME response but the directory.
fn decorate(app: &App, ctx: Option<&Ctx>, r: &mut Response) {
    let h = r.headers_mut();
    let t = now().unix_timestamp();
    if let Ok(v) = HeaderValue::from_str(&app.acme.nonces.mint(t)) {
        h.insert("replay-nonce", v);
    }
    if let Some(ctx) = ctx {
        if let Ok(v) = HeaderValue::from_str(&format!("<{}>;rel=\"index\"", ctx.url("directory"))) {
            h.append(header::LINK, v);
        }
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
