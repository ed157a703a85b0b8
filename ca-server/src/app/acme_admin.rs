//! Administrator actions on the ACME front doors: External Account Binding keys.
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use ca_core::acme::base64url;
use ca_store::queue::Actor;
use ca_store::{AcmeStore, EabKey};
use serde_json::json;

use super::{App, AppError};

/// Bytes of an EAB HMAC key (HS256 wants at least 256 bits).
const EAB_KEY_BYTES: usize = 32;

/// What an administrator asks for.
pub struct NewEab {
    pub endpoint: String,
    pub template: Option<String>,
    pub names: Vec<String>,
    pub ttl_seconds: Option<i64>,
}

impl App {
    /// Creates an EAB key for an endpoint; returns the record (with the HMAC key, which is
    /// shown once to the administrator and handed to the client).
    pub fn create_eab(&self, actor: &Actor, req: NewEab, now: i64) -> Result<EabKey, AppError> {
        let Some(ep) = self.acme.endpoints.get(&req.endpoint) else {
            return Err(AppError::NotFound(format!(
                "no ACME endpoint {:?} (configured: {})",
                req.endpoint,
                self.acme.endpoints.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        };
        let template = match &req.template {
            None => None,
            Some(t) => {
                let name = self.auth.profiles().get(t).map_err(ca_core::Error::from)?.name.clone();
                if !ep.profiles.values().any(|p| p == &name) {
                    return Err(AppError::BadRequest(format!(
                        "template {name} is not offered by ACME endpoint {} (add it to [acme.{}].profiles)",
                        ep.name, ep.name
                    )));
                }
                Some(name)
            }
        };
        let rng = SystemRandom::new();
        let mut kid = [0u8; 12];
        let mut key = vec![0u8; EAB_KEY_BYTES];
        rng.fill(&mut kid)
            .and_then(|_| rng.fill(&mut key))
            .map_err(|_| AppError::BadRequest("no randomness".into()))?;
        let record = EabKey {
            key_id: base64url::encode(kid),
            hmac_key: key,
            endpoint: ep.name.clone(),
            template,
            names: req.names.iter().map(|n| n.trim().to_ascii_lowercase()).collect(),
            created_at: now,
            expires_at: req.ttl_seconds.map(|s| now + s),
            created_by: actor.subject.clone(),
            used_by_account: None,
        };
        self.store.create_eab_key(record.clone())?;
        self.audit(
            actor,
            "acme.eab.create",
            json!({"endpoint": record.endpoint, "key_id": record.key_id, "template": record.template,
                   "names": record.names, "expires_at": record.expires_at}),
            now,
        )?;
        Ok(record)
    }
}
