//! Accounts (RFC 8555 7.3): newAccount (with onlyReturnExisting and External Account
//! Binding), account update and deactivation, the orders list, and keyChange.
use ca_core::acme::eab::ExternalAccountBinding;
use ca_core::acme::order::AccountStatus;
use ca_core::acme::{AccountKey, KeyRef, ParsedJws, ProblemType};
use ca_store::{AcmeAccount, AcmeStore, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Authed;
use super::objects::{account_json, account_url, order_url};
use super::{new_id, Ctx, Failure, Outcome, Reply};
use crate::app::App;

/// Most orders listed on an account's orders URL.
const ORDERS_LISTED: usize = 1000;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NewAccount {
    #[serde(default)]
    contact: Option<Vec<String>>,
    #[serde(default)]
    terms_of_service_agreed: Option<bool>,
    #[serde(default)]
    only_return_existing: Option<bool>,
    #[serde(default)]
    external_account_binding: Option<Value>,
}

/// newAccount.
pub fn new_account(app: &App, ctx: &Ctx, authed: Authed) -> Outcome {
    let jws = authed.jws;
    let req: NewAccount = if jws.is_post_as_get() {
        return Err(Failure::malformed("newAccount needs a JSON payload"));
    } else {
        jws.payload_json().map_err(Failure::from)?
    };
    let key = &jws.key;
    let thumbprint = key.thumbprint();
    if let Some(existing) = app.store.account_by_thumbprint(&ctx.ep.name, &thumbprint)? {
        return existing_account(ctx, existing);
    }
    if req.only_return_existing == Some(true) {
        return Err(Failure::new(
            ProblemType::AccountDoesNotExist,
            "no account exists with this key (onlyReturnExisting)",
        ));
    }
    let contact = check_contacts(req.contact.unwrap_or_default())?;
    if ctx.ep.terms_of_service.is_some() && req.terms_of_service_agreed != Some(true) {
        return Err(Failure::new(
            ProblemType::UserActionRequired,
            "the terms of service must be agreed to (termsOfServiceAgreed)",
        ));
    }
    let eab_key_id = match (&req.external_account_binding, ctx.ep.eab_required) {
        (None, true) => {
            return Err(Failure::new(
                ProblemType::ExternalAccountRequired,
                format!(
                    "endpoint {} requires External Account Binding; ask an administrator for a key (ca-cli acme eab create --endpoint {})",
                    ctx.ep.name, ctx.ep.name
                ),
            ))
        }
        (None, false) => None,
        (Some(binding), _) => {
            let jwk_json = match &jws.protected.key {
                KeyRef::Jwk { json, .. } => json.clone(),
                KeyRef::Kid(_) => return Err(Failure::malformed("newAccount must carry a jwk")),
            };
            Some(check_binding(app, ctx, binding, &jwk_json)?)
        }
    };
    let account = AcmeAccount {
        id: new_id()?,
        endpoint: ctx.ep.name.clone(),
        thumbprint: thumbprint.clone(),
        jwk: key.canonical_json(),
        status: AccountStatus::Valid,
        contact,
        eab_key_id: eab_key_id.clone(),
        created_at: ctx.t(),
    };
    match app.store.create_account(account.clone(), eab_key_id.as_deref()) {
        Ok(()) => {}
        Err(StoreError::Conflict(why)) => {
            // Two newAccount requests with one key raced: the other one's account is this one's.
            if let Some(existing) = app.store.account_by_thumbprint(&ctx.ep.name, &thumbprint)? {
                return existing_account(ctx, existing);
            }
            return Err(Failure::unauthorized(why));
        }
        Err(StoreError::AcmeNotFound(why)) => return Err(Failure::unauthorized(why)),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(endpoint = %ctx.ep.name, account = %account.id, eab = ?eab_key_id, "ACME account created");
    let url = account_url(ctx, &account.id);
    Ok(Reply::json(201, account_json(ctx, &account)).location(url))
}

/// newAccount with a key that already has an account: that account (200 + Location), unless
/// it is deactivated or revoked, whose key may authorize nothing more (RFC 8555 7.3.6).
fn existing_account(ctx: &Ctx, existing: AcmeAccount) -> Outcome {
    if existing.status != AccountStatus::Valid {
        return Err(Failure::unauthorized(format!(
            "the account of this key is {}; it cannot be used any more",
            existing.status
        )));
    }
    let url = account_url(ctx, &existing.id);
    Ok(Reply::json(200, account_json(ctx, &existing)).location(url))
}

/// Verifies an External Account Binding against its key; returns the key id.
fn check_binding(app: &App, ctx: &Ctx, binding: &Value, jwk_json: &Value) -> Outcome<String> {
    let binding = ExternalAccountBinding::parse(binding)?;
    let kid = binding.key_id().to_string();
    let unknown = || Failure::unauthorized(format!("External Account Binding key {kid:?} is not valid here"));
    let key = app.store.get_eab_key(&kid)?.ok_or_else(unknown)?;
    if key.endpoint != ctx.ep.name {
        return Err(unknown());
    }
    if key.expires_at.is_some_and(|t| ctx.t() > t) {
        return Err(Failure::unauthorized(format!(
            "External Account Binding key {kid:?} has expired"
        )));
    }
    if key.used_by_account.is_some() {
        return Err(Failure::unauthorized(format!(
            "External Account Binding key {kid:?} was already used for another account"
        )));
    }
    binding.verify(&key.hmac_key, &ctx.url("new-account"), jwk_json)?;
    Ok(kid)
}

/// Contacts must be `mailto:` URLs with one plain address each (RFC 8555 7.3).
fn check_contacts(contact: Vec<String>) -> Outcome<Vec<String>> {
    if contact.len() > 10 {
        return Err(Failure::new(ProblemType::InvalidContact, "at most 10 contacts"));
    }
    for c in &contact {
        let Some(addr) = c.strip_prefix("mailto:") else {
            return Err(Failure::new(
                ProblemType::UnsupportedContact,
                format!("contact {c:?}: only mailto: URLs are supported"),
            ));
        };
        let ok = addr.len() <= 254
            && !addr.contains(['?', ',', ' ', '<', '>'])
            && addr
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
        if !ok {
            return Err(Failure::new(
                ProblemType::InvalidContact,
                format!("contact {c:?} is not a single plain e-mail address"),
            ));
        }
    }
    Ok(contact)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountUpdate {
    #[serde(default)]
    contact: Option<Vec<String>>,
    #[serde(default)]
    status: Option<String>,
    // Clients resend these on update; they change nothing.
    #[serde(default)]
    #[allow(dead_code)]
    terms_of_service_agreed: Option<bool>,
}

/// POST to the account URL: read (POST-as-GET), update contacts, or deactivate.
pub fn account(app: &App, ctx: &Ctx, authed: Authed, id: &str) -> Outcome {
    let mut account = own_account(&authed, id)?.clone();
    let url = account_url(ctx, &account.id);
    if authed.jws.is_post_as_get() {
        return Ok(Reply::json(200, account_json(ctx, &account)).location(url));
    }
    let update: AccountUpdate = authed.jws.payload_json()?;
    if let Some(contact) = update.contact {
        account.contact = check_contacts(contact)?;
    }
    match update.status.as_deref() {
        None => {}
        Some("deactivated") => {
            account.status = account.status.transition(AccountStatus::Deactivated)?;
            tracing::info!(endpoint = %ctx.ep.name, account = %account.id, "ACME account deactivated");
        }
        Some(other) => {
            return Err(Failure::malformed(format!(
                "an account's status can only be set to \"deactivated\", not {other:?}"
            )))
        }
    }
    app.store.update_account(account.clone())?;
    Ok(Reply::json(200, account_json(ctx, &account)).location(url))
}

/// POST-as-GET to the account's orders URL.
pub fn orders(app: &App, ctx: &Ctx, authed: Authed, id: &str) -> Outcome {
    let account = own_account(&authed, id)?;
    let ids = app.store.orders_of_account(&account.id, ORDERS_LISTED)?;
    let urls: Vec<String> = ids.iter().map(|o| order_url(ctx, o)).collect();
    Ok(Reply::json(200, json!({ "orders": urls })))
}

/// The authenticated account, which must be the one the URL names.
fn own_account<'a>(authed: &'a Authed, id: &str) -> Outcome<&'a AcmeAccount> {
    let account = authed.account()?;
    if account.id != id {
        return Err(Failure::unauthorized(
            "the account URL is not the account that signed the request",
        ));
    }
    Ok(account)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyChange {
    account: String,
    old_key: Value,
}

/// keyChange (RFC 8555 7.3.5): the outer JWS by the old key (kid), the inner by the new one.
pub fn key_change(app: &App, ctx: &Ctx, authed: Authed, url: &str) -> Outcome {
    let mut account = authed.account()?.clone();
    let inner = ParsedJws::parse_key_change_inner(&authed.jws.payload)?;
    if inner.protected().url != url {
        return Err(Failure::malformed(
            "the inner JWS of a key change must have the same url as the outer one",
        ));
    }
    let inner = inner.verify()?;
    let change: KeyChange = inner.payload_json()?;
    let account_url = account_url(ctx, &account.id);
    if change.account != account_url {
        return Err(Failure::unauthorized("the key change names another account"));
    }
    let old = AccountKey::from_jwk(&change.old_key)?;
    if old != authed.jws.key {
        return Err(Failure::malformed("oldKey is not the account's current key"));
    }
    let new_key = inner.key;
    let thumbprint = new_key.thumbprint();
    if let Some(other) = app.store.account_by_thumbprint(&ctx.ep.name, &thumbprint)? {
        let mut f = Failure::malformed("the new key is already the key of an account");
        f.status = Some(409);
        f.location = Some(super::objects::account_url(ctx, &other.id));
        return Err(f);
    }
    account.thumbprint = thumbprint;
    account.jwk = new_key.canonical_json();
    match app.store.update_account(account.clone()) {
        Ok(()) => {}
        Err(StoreError::Conflict(why)) => {
            let mut f = Failure::malformed(why);
            f.status = Some(409);
            return Err(f);
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(endpoint = %ctx.ep.name, account = %account.id, "ACME account key changed");
    Ok(Reply::json(200, account_json(ctx, &account)).location(account_url))
}
