//! Authorizations and challenges (RFC 8555 7.5): reading and deactivating an
//! authorization, and answering a challenge, which starts its validation in the background
//! (or, on an `always-valid` test endpoint, makes it valid at once).
use std::sync::Arc;

use ca_core::acme::challenge::{key_authorization, ChallengeType};
use ca_core::acme::order::{AuthzStatus, ChallengeStatus};
use ca_core::acme::{AccountKey, Problem};
use ca_store::{AcmeAccount, AcmeAuthz, AcmeStore};
use serde::Deserialize;

use super::auth::Authed;
use super::endpoint::Endpoint;
use super::objects::{authz_json, authz_url, challenge_json, stored};
use super::order::current_authz_status;
use super::{Ctx, Failure, Outcome, Reply};
use crate::app::App;

/// The authorization of `id` if it belongs to this account.
fn own_authz(app: &App, ctx: &Ctx, account: &AcmeAccount, id: &str) -> Outcome<AcmeAuthz> {
    match app.store.get_authz(id)? {
        Some(a) if a.account_id == account.id && a.endpoint == ctx.ep.name => Ok(a),
        _ => Err(Failure::not_found("authorization")),
    }
}

#[derive(Deserialize)]
struct AuthzUpdate {
    status: String,
}

/// POST to an authorization: read it, or deactivate it (`{"status": "deactivated"}`).
pub fn authz(app: &App, ctx: &Ctx, authed: Authed, id: &str) -> Outcome {
    let account = authed.account()?;
    let mut a = own_authz(app, ctx, account, id)?;
    a.status = current_authz_status(ctx, &a);
    if !authed.jws.is_post_as_get() {
        let update: AuthzUpdate = authed.jws.payload_json()?;
        if update.status != "deactivated" {
            return Err(Failure::malformed(format!(
                "an authorization's status can only be set to \"deactivated\", not {:?}",
                update.status
            )));
        }
        a.status = a.status.transition(AuthzStatus::Deactivated)?;
        app.store.update_authz(a.clone())?;
    }
    let mut reply = Reply::json(200, authz_json(ctx, &a));
    if a.status == AuthzStatus::Pending && a.challenges.iter().any(|c| c.status == ChallengeStatus::Processing) {
        reply = reply.retry_after(1);
    }
    Ok(reply)
}

/// POST to a challenge: `{}` asks the server to validate; POST-as-GET reads it.
pub fn challenge(app: &Arc<App>, ctx: &Ctx, authed: Authed, authz_id: &str, index: usize) -> Outcome {
    let account = authed.account()?.clone();
    let mut a = own_authz(app, ctx, &account, authz_id)?;
    if index >= a.challenges.len() {
        return Err(Failure::not_found("challenge"));
    }
    a.status = current_authz_status(ctx, &a);
    let up = authz_url(ctx, &a.id);
    let answer = !authed.jws.is_post_as_get();
    if answer && a.status == AuthzStatus::Pending && a.challenges[index].status == ChallengeStatus::Pending {
        let kind = challenge_type(&a.challenges[index].kind)?;
        if ctx.ep.always_valid {
            let c = &mut a.challenges[index];
            c.status = ChallengeStatus::Valid;
            c.validated = Some(ctx.t());
            a.status = AuthzStatus::Valid;
            app.store.update_authz(a.clone())?;
        } else if let Some(claim) = app.acme.claim(format!("authz:{}", a.id)) {
            a.challenges[index].status = ChallengeStatus::Processing;
            app.store.update_authz(a.clone())?;
            let key = AccountKey::from_jwk_json(&account.jwk)?;
            let key_auth = key_authorization(&a.challenges[index].token, &key.thumbprint());
            let job = Validation {
                ep: Arc::clone(&ctx.ep),
                authz_id: a.id.clone(),
                index,
                kind,
                key_auth,
            };
            // The claim travels with the task: no second validation of this authorization
            // starts until this one has stored its result.
            let handle = tokio::runtime::Handle::current();
            let app_ref = Arc::clone(app);
            handle.spawn(async move {
                job.run(app_ref).await;
                drop(claim);
            });
        }
    }
    let c = &a.challenges[index];
    Ok(Reply::json(200, challenge_json(ctx, &a, index, c)).link(up, "up"))
}

fn challenge_type(name: &str) -> Outcome<ChallengeType> {
    ChallengeType::from_name(name).ok_or_else(|| Failure::internal(format!("stored challenge of unknown type {name}")))
}

/// One challenge validation running in the background.
struct Validation {
    ep: Arc<Endpoint>,
    authz_id: String,
    index: usize,
    kind: ChallengeType,
    key_auth: String,
}

impl Validation {
    async fn run(self, app: Arc<App>) {
        let authz = match tokio::task::spawn_blocking({
            let app = Arc::clone(&app);
            let id = self.authz_id.clone();
            move || app.store.get_authz(&id)
        })
        .await
        {
            Ok(Ok(Some(a))) => a,
            _ => return,
        };
        let token = authz.challenges[self.index].token.clone();
        let result = self
            .ep
            .validator
            .validate(self.kind, &authz.identifier, &token, &self.key_auth)
            .await;
        let ep = self.ep.name.clone();
        let identifier = authz.identifier.to_string();
        let _ = tokio::task::spawn_blocking(move || {
            // Re-read: the client may have deactivated the authorization meanwhile.
            let Ok(Some(mut a)) = app.store.get_authz(&self.authz_id) else { return };
            if a.status != AuthzStatus::Pending {
                return;
            }
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let c = &mut a.challenges[self.index];
            match &result {
                Ok(()) => {
                    c.status = ChallengeStatus::Valid;
                    c.validated = Some(now);
                    c.error = None;
                    a.status = AuthzStatus::Valid;
                    crate::metrics::acme_validation(&ep, self.kind.as_str(), "valid");
                    tracing::info!(endpoint = %ep, %identifier, challenge = %self.kind, "ACME challenge valid");
                }
                Err(failure) => {
                    c.status = ChallengeStatus::Invalid;
                    c.error = Some(stored(&Problem::new(failure.problem, failure.detail.clone())));
                    a.status = AuthzStatus::Invalid;
                    crate::metrics::acme_validation(&ep, self.kind.as_str(), "invalid");
                    tracing::info!(endpoint = %ep, %identifier, challenge = %self.kind, detail = %failure.detail, "ACME challenge invalid");
                }
            }
            if let Err(e) = app.store.update_authz(a) {
                tracing::error!("storing a challenge result failed: {e}");
            }
        })
        .await;
    }
}
