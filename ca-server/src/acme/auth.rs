//! Authenticating an ACME POST (RFC 8555 6.2-6.5): the flattened JWS parses, its `url` is
//! the URL the request was sent to, the key is the right kind for the resource (`jwk` for
//! newAccount, `kid` elsewhere, either for revokeCert), the signature verifies with it, the
//! account is valid, and only then is the nonce used up — so a request that fails any
//! check stores nothing, not even its nonce.
use ca_core::acme::{AccountKey, KeyRef, ParsedJws, ProblemType, VerifiedJws};
use ca_store::{AcmeAccount, AcmeStore, StoreError};

use super::{Ctx, Failure, Outcome};
use crate::app::App;

/// Which key reference a resource takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// newAccount: the key itself.
    Jwk,
    /// Everything an account does.
    Kid,
    /// revokeCert: the account, or the certificate's own key.
    Either,
}

/// A request whose JWS verified and whose nonce was used up.
pub struct Authed {
    pub jws: VerifiedJws,
    /// The account named by `kid` (valid); `None` for a `jwk` request.
    pub account: Option<AcmeAccount>,
}

impl Authed {
    /// The account, for resources that take only `kid`.
    pub fn account(&self) -> Outcome<&AcmeAccount> {
        self.account
            .as_ref()
            .ok_or_else(|| Failure::malformed("this request must be signed with an account key named by kid"))
    }
}

/// Checks one request sent to `url`.
pub fn authenticate(app: &App, ctx: &Ctx, url: &str, body: &[u8], expect: Expect) -> Outcome<Authed> {
    let parsed = ParsedJws::parse(body)?;
    let protected = parsed.protected();
    if protected.url != url {
        return Err(Failure::unauthorized(format!(
            "the JWS url {:?} is not the URL the request was sent to ({url})",
            protected.url
        )));
    }
    let nonce = protected.nonce.clone().unwrap_or_default();
    let nonce_expires = app
        .acme
        .nonces
        .check(&nonce, ctx.t())
        .map_err(|why| Failure::new(ProblemType::BadNonce, why))?;
    let (jws, account) = match (&protected.key, expect) {
        (KeyRef::Jwk { .. }, Expect::Kid) => {
            return Err(Failure::malformed(
                "this request must be signed with an account key named by kid, not carry a jwk",
            ))
        }
        (KeyRef::Kid(_), Expect::Jwk) => {
            return Err(Failure::malformed(
                "newAccount must carry the account key as jwk, not kid",
            ))
        }
        (KeyRef::Jwk { .. }, _) => (parsed.verify()?, None),
        (KeyRef::Kid(kid), _) => {
            let account = account_of_kid(app, ctx, kid)?;
            let key = AccountKey::from_jwk_json(&account.jwk)?;
            let jws = parsed.verify_with(&key)?;
            account.status.require_valid()?;
            (jws, Some(account))
        }
    };
    match app.store.consume_nonce(&nonce, nonce_expires) {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(Failure::new(ProblemType::BadNonce, "the nonce was already used"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Authed { jws, account })
}

/// The account a `kid` names: an account URL of this endpoint. Only its path is compared, so
/// an account made through one name or port of the daemon (`ca.example`, its IP address, a
/// new port after a restart) is still the same account through another.
fn account_of_kid(app: &App, ctx: &Ctx, kid: &str) -> Outcome<AcmeAccount> {
    let missing = || {
        Failure::new(
            ProblemType::AccountDoesNotExist,
            format!("no account {kid:?} on this endpoint"),
        )
    };
    let path = kid
        .strip_prefix("https://")
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .ok_or_else(missing)?;
    let prefix = format!("/acme/{}/acct/", ctx.ep.name);
    let id = path.strip_prefix(&prefix).ok_or_else(missing)?;
    match app.store.get_account(id)? {
        Some(a) if a.endpoint == ctx.ep.name => Ok(a),
        _ => Err(missing()),
    }
}
