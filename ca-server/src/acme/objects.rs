//! The JSON resources of RFC 8555 7.1 (account, order, authorization, challenge) rendered
//! from stored records, and the URLs that name them.
use ca_core::acme::Identifier;
use ca_store::{AcmeAccount, AcmeAuthz, AcmeChallenge, AcmeOrder, StoredProblem};
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Ctx;

pub fn account_url(ctx: &Ctx, id: &str) -> String {
    ctx.url(&format!("acct/{id}"))
}
pub fn order_url(ctx: &Ctx, id: &str) -> String {
    ctx.url(&format!("order/{id}"))
}
pub fn authz_url(ctx: &Ctx, id: &str) -> String {
    ctx.url(&format!("authz/{id}"))
}
pub fn challenge_url(ctx: &Ctx, authz: &str, index: usize) -> String {
    ctx.url(&format!("chall/{authz}/{index}"))
}
pub fn cert_url(ctx: &Ctx, order: &str) -> String {
    ctx.url(&format!("cert/{order}"))
}

/// RFC 3339 text of unix seconds.
pub fn rfc3339(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Parses an RFC 3339 timestamp of a newOrder (notBefore / notAfter).
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

pub fn problem_json(p: &StoredProblem) -> Value {
    json!({ "type": p.kind, "detail": p.detail, "status": p.status })
}

/// The stored form of a problem.
pub fn stored(p: &ca_core::acme::Problem) -> StoredProblem {
    StoredProblem {
        kind: p.kind.urn(),
        detail: p.detail.clone(),
        status: p.status(),
    }
}

pub fn account_json(ctx: &Ctx, a: &AcmeAccount) -> Value {
    let mut v = json!({
        "status": a.status.as_str(),
        "contact": a.contact,
        "orders": ctx.url(&format!("acct/{}/orders", a.id)),
        "createdAt": rfc3339(a.created_at),
    });
    if let Some(kid) = &a.eab_key_id {
        v["externalAccountBinding"] = json!({ "kid": kid });
    }
    v
}

fn identifier_json(i: &Identifier) -> Value {
    json!({ "type": i.kind(), "value": i.value() })
}

pub fn order_json(ctx: &Ctx, o: &AcmeOrder) -> Value {
    let mut v = Map::new();
    v.insert("status".into(), o.status.as_str().into());
    v.insert("expires".into(), rfc3339(o.expires).into());
    v.insert(
        "identifiers".into(),
        o.identifiers.iter().map(identifier_json).collect::<Vec<_>>().into(),
    );
    v.insert(
        "authorizations".into(),
        o.authz_ids
            .iter()
            .map(|id| authz_url(ctx, id))
            .collect::<Vec<_>>()
            .into(),
    );
    v.insert("finalize".into(), ctx.url(&format!("order/{}/finalize", o.id)).into());
    if let Some(t) = o.not_before {
        v.insert("notBefore".into(), rfc3339(t).into());
    }
    if let Some(t) = o.not_after {
        v.insert("notAfter".into(), rfc3339(t).into());
    }
    if let Some(p) = &o.profile {
        v.insert("profile".into(), p.clone().into());
    }
    if let Some(r) = &o.replaces {
        v.insert("replaces".into(), r.clone().into());
    }
    if o.certificate.is_some() {
        v.insert("certificate".into(), cert_url(ctx, &o.id).into());
    }
    if let Some(e) = &o.error {
        v.insert("error".into(), problem_json(e));
    }
    Value::Object(v)
}

pub fn challenge_json(ctx: &Ctx, authz: &AcmeAuthz, index: usize, c: &AcmeChallenge) -> Value {
    let mut v = json!({
        "type": c.kind,
        "url": challenge_url(ctx, &authz.id, index),
        "status": c.status.as_str(),
        "token": c.token,
    });
    if let Some(t) = c.validated {
        v["validated"] = rfc3339(t).into();
    }
    if let Some(e) = &c.error {
        v["error"] = problem_json(e);
    }
    v
}

pub fn authz_json(ctx: &Ctx, a: &AcmeAuthz) -> Value {
    let mut v = json!({
        "identifier": identifier_json(&a.identifier),
        "status": a.status.as_str(),
        "expires": rfc3339(a.expires),
        "challenges": a.challenges.iter().enumerate().map(|(i, c)| challenge_json(ctx, a, i, c)).collect::<Vec<_>>(),
    });
    if a.wildcard {
        v["wildcard"] = true.into();
    }
    v
}
