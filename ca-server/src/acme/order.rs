//! Orders (RFC 8555 7.4): newOrder with identifier policy from the template, order reads
//! that bring the status up to date (authorizations, the approval queue), and finalize
//! through the same pipeline and queue as the enrollment API.
use std::collections::BTreeSet;

use ca_core::acme::base64url;
use ca_core::acme::challenge::{allowed_challenges, new_token};
use ca_core::acme::order::{
    authz_status_from_challenges, order_status_from_authz, AuthzStatus, ChallengeStatus, OrderStatus,
};
use ca_core::acme::{Identifier, Problem, ProblemType, StatusError};
use ca_core::csr::{CertRequest, San};
use ca_core::profile::{Approval, Profile};
use ca_store::home::acme_config::AcmeApproval;
use ca_store::queue::{RequestQueue, RequestStatus};
use ca_store::{AcmeAccount, AcmeAuthz, AcmeChallenge, AcmeOrder, AcmeStore, CertIndex, StoreError};
use serde::Deserialize;

use super::auth::Authed;
use super::objects::{order_json, order_url, parse_rfc3339, stored};
use super::{app_failure, new_id, Ctx, Failure, Outcome, Reply};
use crate::app::{App, Recording, Submitted};

/// Most identifiers in one order.
const MAX_IDENTIFIERS: usize = 100;
/// Seconds a client is told to wait before polling a processing order.
pub const RETRY_AFTER_SECS: u64 = 3;

/// How a request's submitter names the ACME account it came from; revocation and ARI
/// `replaces` check ownership with it.
pub fn account_tag(account: &AcmeAccount) -> String {
    format!("acme-account:{}", account.id)
}

/// Whether `cert` was issued to `account` (its request's submitter is the account).
pub fn issued_to(app: &App, cert: &ca_store::CertRecord, account: &AcmeAccount) -> Outcome<bool> {
    let owner = match cert.request_id {
        Some(id) => app.store.get_request(id)?.and_then(|r| r.request.submitter),
        None => None,
    };
    Ok(owner.as_deref() == Some(account_tag(account).as_str()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewOrder {
    identifiers: Vec<serde_json::Value>,
    #[serde(default)]
    not_before: Option<String>,
    #[serde(default)]
    not_after: Option<String>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    replaces: Option<String>,
}

/// newOrder.
pub fn new_order(app: &App, ctx: &Ctx, authed: Authed) -> Outcome {
    let account = authed.account()?.clone();
    let req: NewOrder = authed.jws.payload_json()?;
    if req.identifiers.is_empty() {
        return Err(Failure::malformed("an order needs at least one identifier"));
    }
    if req.identifiers.len() > MAX_IDENTIFIERS {
        return Err(Failure::malformed(format!(
            "at most {MAX_IDENTIFIERS} identifiers per order"
        )));
    }
    let mut identifiers: Vec<Identifier> = Vec::new();
    for raw in &req.identifiers {
        let kind = raw.get("type").and_then(|v| v.as_str()).unwrap_or_default();
        let value = raw.get("value").and_then(|v| v.as_str()).unwrap_or_default();
        let id = Identifier::parse(kind, value)?;
        if !identifiers.contains(&id) {
            identifiers.push(id);
        }
    }
    let (template, names_allowed) = order_template(app, ctx, &account, req.profile.as_deref())?;
    let profile = profile(app, &template)?;
    let mut rejected = Vec::new();
    for id in &identifiers {
        if let Err(why) = identifier_allowed(id, &profile, &names_allowed) {
            rejected.push(Problem::new(ProblemType::RejectedIdentifier, why).with_identifier(id.clone()));
        }
    }
    if !rejected.is_empty() {
        let detail = rejected.iter().map(|p| p.detail.clone()).collect::<Vec<_>>().join("; ");
        let problem = if rejected.len() == 1 {
            rejected.remove(0)
        } else {
            Problem::new(ProblemType::RejectedIdentifier, detail).with_subproblems(rejected)
        };
        return Err(Failure {
            problem: Box::new(problem),
            location: None,
            status: None,
        });
    }
    let not_before = parse_time(req.not_before.as_deref(), "notBefore")?;
    let not_after = parse_time(req.not_after.as_deref(), "notAfter")?;
    if not_before.is_some_and(|t| t > ctx.t() + 60) {
        return Err(Failure::malformed(
            "notBefore in the future is not supported: certificates start now",
        ));
    }
    if not_after.is_some_and(|t| t <= ctx.t()) {
        return Err(Failure::malformed("notAfter must be in the future"));
    }
    if let Some(cert_id) = &req.replaces {
        super::ari::check_replaces(app, ctx, &account, cert_id)?;
    }
    let expires = ctx.t() + ctx.ep.order_lifetime_secs;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut authzs = Vec::new();
    for id in &identifiers {
        let (base, wildcard) = id.for_authorization();
        let mut challenges = Vec::new();
        for kind in allowed_challenges(id) {
            if ctx.ep.challenges.contains(kind) {
                challenges.push(AcmeChallenge {
                    kind: kind.as_str().to_string(),
                    token: new_token(&rng).map_err(|_| Failure::internal("no randomness for a token"))?,
                    status: ChallengeStatus::Pending,
                    validated: None,
                    error: None,
                });
            }
        }
        if challenges.is_empty() {
            return Err(Failure::new(
                ProblemType::RejectedIdentifier,
                format!("none of this endpoint's challenge types can validate {id}"),
            ));
        }
        authzs.push(AcmeAuthz {
            id: new_id()?,
            account_id: account.id.clone(),
            endpoint: ctx.ep.name.clone(),
            identifier: base,
            wildcard,
            status: AuthzStatus::Pending,
            expires,
            challenges,
        });
    }
    let order = AcmeOrder {
        id: new_id()?,
        account_id: account.id.clone(),
        endpoint: ctx.ep.name.clone(),
        status: OrderStatus::Pending,
        identifiers,
        authz_ids: authzs.iter().map(|a| a.id.clone()).collect(),
        template,
        profile: req.profile.clone(),
        not_before,
        not_after,
        expires,
        replaces: req.replaces.clone(),
        request_id: None,
        certificate: None,
        error: None,
        created_at: ctx.t(),
    };
    match app.store.create_order(order.clone(), authzs) {
        Ok(()) => {}
        Err(StoreError::Conflict(why)) if order.replaces.is_some() => {
            let mut f = Failure::new(ProblemType::AlreadyReplaced, why);
            f.status = Some(409);
            return Err(f);
        }
        Err(e) => return Err(e.into()),
    }
    let url = order_url(ctx, &order.id);
    Ok(Reply::json(201, order_json(ctx, &order)).location(url))
}

fn parse_time(text: Option<&str>, field: &str) -> Outcome<Option<i64>> {
    text.map(|t| parse_rfc3339(t).ok_or_else(|| Failure::malformed(format!("{field} {t:?} is not an RFC 3339 time"))))
        .transpose()
}

/// The template of a new order (the endpoint's, the requested ACME profile's, or the one an
/// EAB key binds the account to) and the names the EAB key allows (empty: any).
fn order_template(
    app: &App,
    ctx: &Ctx,
    account: &AcmeAccount,
    requested: Option<&str>,
) -> Outcome<(String, Vec<String>)> {
    let mut template = match requested {
        None => ctx.ep.template.clone(),
        Some(p) => ctx.ep.profiles.get(p).cloned().ok_or_else(|| {
            Failure::new(
                ProblemType::InvalidProfile,
                format!(
                    "no ACME profile {p:?} here (offered: {})",
                    ctx.ep.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        })?,
    };
    let mut names = Vec::new();
    if let Some(kid) = &account.eab_key_id {
        if let Some(key) = app.store.get_eab_key(kid)? {
            if let Some(t) = key.template {
                if requested.is_some_and(|p| ctx.ep.profiles.get(p) != Some(&t)) {
                    return Err(Failure::new(
                        ProblemType::InvalidProfile,
                        format!("this account is bound to template {t}"),
                    ));
                }
                template = t;
            }
            names = key.names;
        }
    }
    Ok((template, names))
}

fn profile(app: &App, template: &str) -> Outcome<Profile> {
    app.auth
        .profiles()
        .get(template)
        .cloned()
        .map_err(|e| Failure::internal(format!("template {template}: {e}")))
}

/// Whether the template (and the account's EAB key) allow an identifier.
fn identifier_allowed(id: &Identifier, profile: &Profile, eab_names: &[String]) -> Result<(), String> {
    let san = match id {
        Identifier::Dns(d) => San::Dns(d.clone()),
        Identifier::Ip(ip) => San::Ip(*ip),
    };
    ca_core::policy::check_san(&san, profile).map_err(|e| e.to_string())?;
    if !eab_names.is_empty() {
        let value = id.value();
        let ok = eab_names.iter().any(|n| {
            n == &value
                || n.strip_prefix("*.").is_some_and(|suffix| {
                    value
                        .strip_prefix("*.")
                        .unwrap_or(&value)
                        .ends_with(&format!(".{suffix}"))
                })
        });
        if !ok {
            return Err(format!(
                "{value} is not among the names this account's External Account Binding key allows"
            ));
        }
    }
    Ok(())
}

/// The order of `id` if it belongs to this account (else 404: other accounts' orders do not
/// exist for this one).
pub fn own_order(app: &App, ctx: &Ctx, account: &AcmeAccount, id: &str) -> Outcome<AcmeOrder> {
    match app.store.get_order(id)? {
        Some(o) if o.account_id == account.id && o.endpoint == ctx.ep.name => Ok(o),
        _ => Err(Failure::not_found("order")),
    }
}

/// The authorizations of an order with their statuses brought up to date.
fn current_authzs(app: &App, ctx: &Ctx, order: &AcmeOrder) -> Outcome<Vec<AcmeAuthz>> {
    let mut out = Vec::with_capacity(order.authz_ids.len());
    for id in &order.authz_ids {
        let Some(mut a) = app.store.get_authz(id)? else {
            return Err(Failure::internal(format!(
                "order {} lost its authorization {id}",
                order.id
            )));
        };
        a.status = current_authz_status(ctx, &a);
        out.push(a);
    }
    Ok(out)
}

pub fn current_authz_status(ctx: &Ctx, a: &AcmeAuthz) -> AuthzStatus {
    let statuses: Vec<ChallengeStatus> = a.challenges.iter().map(|c| c.status).collect();
    let expires = time::OffsetDateTime::from_unix_timestamp(a.expires).unwrap_or(ctx.now);
    authz_status_from_challenges(a.status, &statuses, ctx.now, expires)
}

/// Brings an order's status up to date: from its authorizations while pending or ready,
/// from its request in the approval queue while processing. Changes that end a state
/// (invalid, valid) are stored.
pub fn refresh(app: &App, ctx: &Ctx, mut order: AcmeOrder) -> Outcome<AcmeOrder> {
    match order.status {
        OrderStatus::Pending | OrderStatus::Ready => {
            let authzs = current_authzs(app, ctx, &order)?;
            let statuses: Vec<AuthzStatus> = authzs.iter().map(|a| a.status).collect();
            let expires = time::OffsetDateTime::from_unix_timestamp(order.expires).unwrap_or(ctx.now);
            let status = order_status_from_authz(order.status, &statuses, ctx.now, expires);
            if status == OrderStatus::Invalid {
                let why = authzs
                    .iter()
                    .filter(|a| a.status != AuthzStatus::Valid)
                    .find_map(|a| a.challenges.iter().find_map(|c| c.error.clone()))
                    .unwrap_or_else(|| {
                        stored(&Problem::new(
                            ProblemType::Unauthorized,
                            "an authorization of the order failed or expired, or the order expired",
                        ))
                    });
                order.status = OrderStatus::Invalid;
                order.error = Some(why);
                app.store.update_order(order.clone())?;
            } else {
                order.status = status;
            }
        }
        OrderStatus::Processing => {
            let Some(request_id) = order.request_id else {
                return Ok(order);
            };
            let Some(request) = app.store.get_request(request_id)? else {
                return Ok(order);
            };
            match request.status {
                RequestStatus::Pending => {}
                RequestStatus::Issued => {
                    order.status = OrderStatus::Valid;
                    order.certificate = request.issued;
                    app.store.update_order(order.clone())?;
                }
                RequestStatus::Denied => {
                    let reason = request.denial.map(|d| d.reason).unwrap_or_default();
                    order.status = OrderStatus::Invalid;
                    order.error = Some(stored(&Problem::new(
                        ProblemType::Unauthorized,
                        format!("request {request_id} was denied by an administrator: {reason}"),
                    )));
                    app.store.update_order(order.clone())?;
                }
            }
        }
        OrderStatus::Valid | OrderStatus::Invalid => {}
    }
    Ok(order)
}

/// The reply for an order: its JSON, Location, and Retry-After while processing.
pub fn order_reply(ctx: &Ctx, order: &AcmeOrder, status: u16) -> Reply {
    let reply = Reply::json(status, order_json(ctx, order)).location(order_url(ctx, &order.id));
    if order.status == OrderStatus::Processing {
        reply.retry_after(RETRY_AFTER_SECS)
    } else {
        reply
    }
}

/// POST-as-GET to an order.
pub fn get_order(app: &App, ctx: &Ctx, authed: Authed, id: &str) -> Outcome {
    let account = authed.account()?;
    let order = refresh(app, ctx, own_order(app, ctx, account, id)?)?;
    Ok(order_reply(ctx, &order, 200))
}

#[derive(Deserialize)]
struct Finalize {
    csr: String,
}

/// finalize: the CSR must name exactly the order's identifiers; the request then enters
/// the queue and is issued at once or waits for approval (the order stays processing).
pub fn finalize(app: &App, ctx: &Ctx, authed: Authed, id: &str) -> Outcome {
    let account = authed.account()?.clone();
    let Some(_claim) = app.acme.claim(format!("order:{id}")) else {
        return Err(Failure::new(
            ProblemType::OrderNotReady,
            "the order is already being finalized",
        ));
    };
    // refresh derives a pending/ready order's status from its authorizations and expiry.
    let order = refresh(app, ctx, own_order(app, ctx, &account, id)?)?;
    if order.status != OrderStatus::Ready {
        return Err(StatusError::OrderNotReady {
            status: order.status.to_string(),
        }
        .into());
    }
    let body: Finalize = authed.jws.payload_json()?;
    let der = base64url::decode(body.csr.trim_end_matches('='))
        .map_err(|_| Failure::new(ProblemType::BadCsr, "csr is not base64url"))?;
    let profile = profile(app, &order.template)?;
    let req = CertRequest::parse(&der).map_err(|e| app_failure(ca_core::Error::from(e).into(), true))?;
    let days = order.not_after.map(|t| ((t - ctx.t()) as f64 / 86400.0).ceil() as i64);
    let plan = app
        .auth
        .signer_for(&profile)
        .map_err(|e| app_failure(e.into(), true))?
        .check(&req, &profile, days)
        .map_err(|e| app_failure(e.into(), true))?;
    check_names(&plan.sans, &order.identifiers)?;
    let auto = match ctx.ep.approval {
        AcmeApproval::Auto => true,
        AcmeApproval::Template => {
            profile.approval == Approval::Auto
                || (profile.acme_renewal_auto && holds_same_names(app, ctx, &account, &order)?)
        }
    };
    let source = format!("acme:{}", ctx.ep.name);
    let started = std::time::Instant::now();
    let outcome = app
        .record_and_issue(
            Recording {
                req: &req,
                profile: &profile,
                plan: &plan,
                days,
                token_hash: None,
                auto,
                source: &source,
                submitter: Some(account_tag(&account)),
            },
            ctx.now,
        )
        .map_err(|e| app_failure(e, true))?;
    let mut order = order;
    match outcome {
        Submitted::Issued { request_id, cert } => {
            crate::metrics::issuance(started.elapsed());
            crate::metrics::request(&profile.name, "issued");
            order.status = OrderStatus::Valid;
            order.request_id = Some(request_id);
            order.certificate = Some((cert.record.issuer.clone(), cert.record.serial.clone()));
        }
        Submitted::Pending { request_id } => {
            crate::metrics::request(&profile.name, "pending");
            order.status = OrderStatus::Processing;
            order.request_id = Some(request_id);
        }
    }
    app.store.update_order(order.clone())?;
    Ok(order_reply(ctx, &order, 200))
}

/// RFC 8555 7.4: the CSR must ask for exactly the order's identifiers.
fn check_names(sans: &[San], identifiers: &[Identifier]) -> Outcome<()> {
    let wanted: BTreeSet<String> = identifiers
        .iter()
        .map(|i| format!("{}:{}", i.kind(), i.value()))
        .collect();
    let mut got = BTreeSet::new();
    for s in sans {
        got.insert(match s {
            San::Dns(d) => format!("dns:{d}"),
            San::Ip(ip) => format!("ip:{ip}"),
            San::Email(e) => {
                return Err(Failure::new(
                    ProblemType::BadCsr,
                    format!("the CSR asks for e-mail address {e}, which is not an order identifier"),
                ))
            }
        });
    }
    if got != wanted {
        let extra: Vec<_> = got.difference(&wanted).cloned().collect();
        let missing: Vec<_> = wanted.difference(&got).cloned().collect();
        return Err(Failure::new(
            ProblemType::BadCsr,
            format!(
                "the CSR's names must be exactly the order's identifiers (not in the order: [{}]; missing from the CSR: [{}])",
                extra.join(", "),
                missing.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Whether the account already holds a live (valid, unrevoked, unexpired) certificate of
/// the same template for exactly the same names.
fn holds_same_names(app: &App, ctx: &Ctx, account: &AcmeAccount, order: &AcmeOrder) -> Outcome<bool> {
    let wanted: BTreeSet<&Identifier> = order.identifiers.iter().collect();
    let now = ctx.t();
    for id in app.store.orders_of_account(&account.id, 1000)?.iter().rev() {
        let Some(o) = app.store.get_order(id)? else { continue };
        if o.status != OrderStatus::Valid || o.template != order.template {
            continue;
        }
        if o.identifiers.iter().collect::<BTreeSet<_>>() != wanted {
            continue;
        }
        let Some((issuer, serial)) = &o.certificate else {
            continue;
        };
        if let Some(rec) = app.store.get(issuer, serial)? {
            if rec.revocation.is_none() && rec.not_after > now {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
