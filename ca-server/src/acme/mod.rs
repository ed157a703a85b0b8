//! The ACME (RFC 8555) front doors of the daemon: one per `[acme.NAME]` in `ca.toml`,
//! served on the HTTPS listener under `/acme/NAME/`. The protocol rules (JWS, JWK, EAB,
//! the state machine, identifiers, problem types) are ca-core's; state is the store's
//! ([`ca_store::AcmeStore`]); issuance goes through the same pipeline, request queue and
//! index as the enrollment API ([`crate::app::App::record_and_issue`]).
//!
//! Handlers in `http/acme.rs` authenticate a request (`auth.rs`) and call the functions of
//! `account.rs`, `order.rs`, `authz.rs`, `cert.rs` and `ari.rs`, which are synchronous (store
//! commits block) and run on the blocking pool. Challenge validation (`validate/`) runs as
//! async tasks.
pub mod account;
pub mod ari;
pub mod auth;
pub mod authz;
pub mod cert;
pub mod endpoint;
pub mod jobs;
pub mod nonce;
pub mod objects;
pub mod order;
pub mod validate;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Result;
use ca_core::acme::{Problem, ProblemType, ToProblem};
use ca_core::profile::Profiles;
use ca_store::home::config::HomeConfig;
use serde_json::Value;

use crate::app::AppError;
use endpoint::Endpoint;
use nonce::NonceMint;

/// The ACME state of the daemon.
pub struct AcmeState {
    pub endpoints: BTreeMap<String, Arc<Endpoint>>,
    pub nonces: NonceMint,
    /// Objects with an operation in flight (a finalize, a validation), so a second request
    /// does not start the same work twice. In memory: one daemon owns the store.
    busy: Mutex<HashSet<String>>,
    /// Authority key identifier (hex) of each issuing certificate -> issuer name, for ARI.
    pub issuers_by_aki: BTreeMap<String, String>,
}

impl AcmeState {
    /// Builds every configured endpoint; a bad `[acme.*]` section stops the daemon.
    pub fn new(
        config: &HomeConfig,
        templates: &Profiles,
        issuers_by_aki: BTreeMap<String, String>,
    ) -> Result<AcmeState> {
        let mut endpoints = BTreeMap::new();
        for (name, cfg) in &config.acme {
            endpoints.insert(name.clone(), Arc::new(Endpoint::new(name, cfg, templates)?));
        }
        Ok(AcmeState {
            endpoints,
            nonces: NonceMint::new()?,
            busy: Mutex::new(HashSet::new()),
            issuers_by_aki,
        })
    }

    /// Marks `key` busy; `None` if it already is. The guard frees it when dropped.
    pub fn claim(self: &Arc<Self>, key: String) -> Option<Claim> {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        if !busy.insert(key.clone()) {
            return None;
        }
        Some(Claim {
            state: Arc::clone(self),
            key,
        })
    }
}

/// A held [`AcmeState::claim`].
pub struct Claim {
    state: Arc<AcmeState>,
    key: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.state
            .busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

/// What one request is about: the endpoint, its absolute base URL, and the time.
pub struct Ctx {
    pub ep: Arc<Endpoint>,
    /// `https://host:port/acme/NAME`, as the client reached it.
    pub base: String,
    pub now: time::OffsetDateTime,
}

impl Ctx {
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }
    pub fn t(&self) -> i64 {
        self.now.unix_timestamp()
    }
}

/// The body of a successful ACME response.
pub enum Body {
    Json(Value),
    /// A PEM certificate chain (`application/pem-certificate-chain`).
    Pem(String),
    Empty,
}

/// A successful ACME response; `http/acme.rs` adds Replay-Nonce and the index link.
pub struct Reply {
    pub status: u16,
    pub body: Body,
    pub location: Option<String>,
    /// `Link` headers: (url, rel).
    pub links: Vec<(String, &'static str)>,
    pub retry_after: Option<u64>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Body::Json(body),
            location: None,
            links: Vec::new(),
            retry_after: None,
        }
    }
    pub fn location(mut self, url: String) -> Reply {
        self.location = Some(url);
        self
    }
    pub fn link(mut self, url: String, rel: &'static str) -> Reply {
        self.links.push((url, rel));
        self
    }
    pub fn retry_after(mut self, secs: u64) -> Reply {
        self.retry_after = Some(secs);
        self
    }
}

/// A failed ACME request: a problem document, sometimes with a `Location` (keyChange
/// conflict, existing account).
#[derive(Debug)]
pub struct Failure {
    /// Boxed: a problem document is large and `Result<_, Failure>` is returned everywhere.
    pub problem: Box<Problem>,
    pub location: Option<String>,
    /// Overrides the problem type's own status (404 for unknown objects, 409 for a
    /// keyChange conflict).
    pub status: Option<u16>,
}

pub type Outcome<T = Reply> = Result<T, Failure>;

impl Failure {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Failure {
        Failure {
            problem: Box::new(Problem::new(kind, detail)),
            location: None,
            status: None,
        }
    }
    pub fn malformed(detail: impl Into<String>) -> Failure {
        Failure::new(ProblemType::Malformed, detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Failure {
        Failure::new(ProblemType::Unauthorized, detail)
    }
    pub fn internal(detail: impl Into<String>) -> Failure {
        Failure::new(ProblemType::ServerInternal, detail)
    }
    /// The 404 of an object that does not exist (or is not this account's to see: the
    /// answer is the same, so ids cannot be probed).
    pub fn not_found(what: &str) -> Failure {
        let mut f = Failure::malformed(format!("no such {what}"));
        f.status = Some(404);
        f
    }
}

/// The typed errors of ca-core's ACME module become their own problem documents.
macro_rules! from_problem {
    ($($ty:ty),+) => {$(
        impl From<$ty> for Failure {
            fn from(e: $ty) -> Failure {
                Failure { problem: Box::new(e.to_problem()), location: None, status: None }
            }
        }
    )+};
}
from_problem!(
    ca_core::acme::AcmeError,
    ca_core::acme::JwsError,
    ca_core::acme::JwkError,
    ca_core::acme::EabError,
    ca_core::acme::IdentifierError,
    ca_core::acme::StatusError,
    ca_core::acme::ChallengeError
);

/// Maps a service-layer error (store, policy, CSR) to the problem an ACME client sees.
pub fn app_failure(e: AppError, csr_context: bool) -> Failure {
    use ca_core::Error as Core;
    use ca_store::home::HomeError;
    match e {
        AppError::Home(HomeError::Core(Core::Csr(err))) => Failure::new(ProblemType::BadCsr, err.to_string()),
        AppError::Home(HomeError::Core(Core::Policy(err))) => Failure::new(
            if csr_context {
                ProblemType::BadCsr
            } else {
                ProblemType::RejectedIdentifier
            },
            err.to_string(),
        ),
        AppError::Home(HomeError::Core(Core::Profile(err))) => {
            Failure::new(ProblemType::InvalidProfile, err.to_string())
        }
        AppError::Forbidden(m) | AppError::Unauthenticated(m) => Failure::unauthorized(m),
        AppError::NotFound(m) => Failure::malformed(m),
        AppError::Conflict(m) => Failure::malformed(m),
        AppError::BadRequest(m) => Failure::malformed(m),
        other => {
            tracing::error!("ACME request failed: {other}");
            Failure::internal(format!("the server failed: {other}"))
        }
    }
}

/// Store errors inside ACME handlers.
impl From<ca_store::StoreError> for Failure {
    fn from(e: ca_store::StoreError) -> Failure {
        app_failure(AppError::from(e), false)
    }
}

/// A new random object id: 128 bits, base64url (unguessable, so object URLs leak nothing).
pub fn new_id() -> Outcome<String> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut raw = [0u8; 16];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| Failure::internal("no randomness for an object id"))?;
    Ok(ca_core::acme::base64url::encode(raw))
}
