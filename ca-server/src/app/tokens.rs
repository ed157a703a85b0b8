//! One-time enrollment tokens: created by an administrator for a template and names; checked
//! against the plan of a request before it is stored, and used up by it atomically.
use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use ca_core::csr::San;
use ca_core::policy::Plan;
use ca_store::queue::Actor;
use ca_store::tokens::{TokenRecord, TokenStore};
use serde_json::json;

use super::{App, AppError};

/// The hash under which a token secret is stored.
pub fn token_hash(secret: &str) -> String {
    hex::encode(digest(&SHA256, secret.trim().as_bytes()))
}

impl App {
    /// Creates a token for `template` and the given names, valid for `ttl` seconds; returns
    /// the secret (shown once).
    pub fn create_token(
        &self,
        actor: &Actor,
        template: &str,
        cn: Option<String>,
        sans: Vec<String>,
        ttl: i64,
        now: i64,
    ) -> Result<(String, TokenRecord), AppError> {
        let profile = self.auth.profiles().get(template).map_err(ca_core::Error::from)?;
        if ttl <= 0 || ttl > 30 * 86_400 {
            return Err(AppError::BadRequest(format!(
                "token lifetime of {ttl} seconds is not between 1 s and 30 days"
            )));
        }
        let mut raw = [0u8; 24];
        SystemRandom::new()
            .fill(&mut raw)
            .map_err(|_| AppError::BadRequest("no randomness".into()))?;
        let secret = format!("pct_{}", hex::encode(raw));
        let record = TokenRecord {
            hash: token_hash(&secret),
            template: profile.name.clone(),
            cn,
            sans: sans.iter().map(|s| normalise(s)).collect(),
            created_at: now,
            expires_at: now + ttl,
            created_by: actor.subject.clone(),
            used_by_request: None,
        };
        self.store.create_token(record.clone())?;
        self.audit(
            actor,
            "token.create",
            json!({"template": record.template, "cn": record.cn, "sans": record.sans, "expires_at": record.expires_at}),
            now,
        )?;
        Ok((secret, record))
    }

    /// Checks that `secret` authorises `plan` under `template`; returns its hash.
    pub(super) fn check_token(&self, secret: &str, template: &str, plan: &Plan, now: i64) -> Result<String, AppError> {
        let hash = token_hash(secret);
        let rec = self
            .store
            .get_token(&hash)?
            .ok_or_else(|| AppError::Forbidden("enrollment token is not valid".into()))?;
        if let Some(id) = rec.used_by_request {
            return Err(AppError::Conflict(format!(
                "enrollment token was already used by request {id}"
            )));
        }
        if rec.expires_at < now {
            return Err(AppError::Forbidden("enrollment token has expired".into()));
        }
        if !rec.template.eq_ignore_ascii_case(template) {
            return Err(AppError::Forbidden(format!(
                "enrollment token is for template {}, not {template}",
                rec.template
            )));
        }
        let cn = ca_core::policy::plan_cn(plan);
        if let Some(want) = &rec.cn {
            if cn.as_deref() != Some(want.as_str()) {
                return Err(AppError::Forbidden(format!(
                    "enrollment token is for CN={want}, the request has {}",
                    cn.map(|c| format!("CN={c}")).unwrap_or_else(|| "no CN".into())
                )));
            }
        }
        let mut allowed: Vec<String> = rec.sans.clone();
        if let Some(c) = &rec.cn {
            allowed.push(normalise(c));
        }
        for san in &plan.sans {
            let s = match san {
                San::Dns(d) => d.to_ascii_lowercase(),
                San::Ip(ip) => ip.to_string(),
                San::Email(e) => e.to_ascii_lowercase(),
            };
            if !allowed.contains(&s) {
                return Err(AppError::Forbidden(format!(
                    "SAN {s} is not authorised by the enrollment token"
                )));
            }
        }
        Ok(hash)
    }
}

/// Token names are compared without type prefixes and case.
fn normalise(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix("DNS:")
        .or_else(|| s.strip_prefix("IP:"))
        .or_else(|| s.strip_prefix("email:"))
        .unwrap_or(s);
    s.to_ascii_lowercase()
}
