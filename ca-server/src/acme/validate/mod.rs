//! ACME challenge validation (RFC 8555 8.3/8.4, RFC 8737, RFC 8738): the network half of a
//! challenge. ca-core says what a correct answer is (key authorizations, the http-01 body, the
//! dns-01 TXT value, the tls-alpn-01 certificate); this module goes and fetches the answer.
//!
//! The caller decides whether a challenge is validated at all (a test mode that skips it is
//! the ACME front door's business); a [`Validator`] only ever really validates.
//!
//! Every network step of one attempt runs against the same deadline (`timeout` from the start
//! of the attempt), so a failure names the step, address and port that did not answer. Up to
//! `attempts` attempts are made with a short backoff between them, whatever the failure: a
//! client that is still provisioning its answer gets another chance. The worst case is
//! therefore `attempts × timeout` plus the backoffs: 31.5 s for the defaults.
mod dns01;
mod http01;
mod resolve;
mod tls_alpn01;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ca_core::acme::challenge::ChallengeType;
use ca_core::acme::{ChallengeError, Identifier, ProblemType, ToProblem};
use tokio::time::Instant;

/// Where and how challenges are validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationConfig {
    /// The port http-01 fetches from (RFC 8555: 80); redirects may also go here.
    pub http01_port: u16,
    /// The port tls-alpn-01 connects to (RFC 8737: 443); https redirects may also go here.
    pub tls_alpn01_port: u16,
    /// A DNS server for A/AAAA and TXT lookups. `None`: the OS resolver (which honours
    /// /etc/hosts) for addresses, and the servers of /etc/resolv.conf for TXT records.
    pub dns_resolver: Option<SocketAddr>,
    /// Static addresses for host names (lowercase), consulted before any DNS.
    pub hosts: BTreeMap<String, Vec<IpAddr>>,
    /// The time one attempt may take, connecting and reading included.
    pub timeout: Duration,
    /// How many attempts in all (at least one is always made).
    pub attempts: u32,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            http01_port: 80,
            tls_alpn01_port: 443,
            dns_resolver: None,
            hosts: BTreeMap::new(),
            timeout: Duration::from_secs(10),
            attempts: 3,
        }
    }
}

/// Why a challenge did not validate: the ACME error type and a detail for the client, naming
/// the address, port and what was (or was not) received.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem}: {detail}")]
pub struct ValidationFailure {
    /// `connection`, `dns`, `tls` or `incorrectResponse` (`malformed` if the challenge cannot
    /// apply to the identifier at all).
    pub problem: ProblemType,
    /// Human-readable explanation.
    pub detail: String,
}

impl ValidationFailure {
    pub(crate) fn new(problem: ProblemType, detail: impl Into<String>) -> Self {
        ValidationFailure {
            problem,
            detail: detail.into(),
        }
    }

    /// A ca-core check that rejected what was received, with `context` (what was fetched
    /// where) in front of its message.
    fn rejected(err: ChallengeError, context: &str) -> Self {
        ValidationFailure::new(err.problem_type(), format!("{context}: {err}"))
    }
}

/// Validates challenges. Cheap to clone; holds the TLS client configurations so they are
/// built once.
#[derive(Clone, Debug)]
pub struct Validator {
    config: Arc<ValidationConfig>,
    tls: tls_alpn01::ClientConfigs,
}

impl Validator {
    /// A validator with `config`. TLS uses the aws-lc-rs provider explicitly, whatever the
    /// process default is.
    pub fn new(config: ValidationConfig) -> Validator {
        Validator {
            config: Arc::new(config),
            tls: tls_alpn01::ClientConfigs::new(),
        }
    }

    /// Validates one challenge: `Ok(())` once an attempt succeeds, else the failure of the last
    /// attempt. A challenge that cannot apply to `identifier` (http-01 for a wildcard, dns-01
    /// for an IP address) fails at once as `malformed`.
    pub async fn validate(
        &self,
        kind: ChallengeType,
        identifier: &Identifier,
        token: &str,
        key_authorization: &str,
    ) -> Result<(), ValidationFailure> {
        kind.check_applies_to(identifier)
            .map_err(|e| ValidationFailure::new(e.problem_type(), e.to_string()))?;
        let attempts = self.config.attempts.max(1);
        let mut attempt = 1;
        loop {
            let deadline = Instant::now() + self.config.timeout;
            let result = match kind {
                ChallengeType::Http01 => {
                    http01::validate(&self.config, &self.tls, identifier, token, key_authorization, deadline).await
                }
                ChallengeType::Dns01 => dns01::validate(&self.config, identifier, key_authorization, deadline).await,
                ChallengeType::TlsAlpn01 => {
                    tls_alpn01::validate(&self.config, &self.tls, identifier, key_authorization, deadline).await
                }
            };
            match result {
                Ok(()) => return Ok(()),
                Err(failure) if attempt >= attempts => return Err(failure),
                Err(failure) => {
                    tracing::debug!(%kind, %identifier, attempt, %failure, "challenge validation attempt failed");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }
}

/// The pause after failed attempt `n` (1-based): 0.5 s, 1 s, then 2 s. Short, because the
/// client is waiting on the authorization and a slow one just needs a moment.
fn backoff(n: u32) -> Duration {
    Duration::from_millis(500 << (n - 1).min(2))
}

/// Runs `step` until `deadline`; past it, fails with `problem` and "timed out {what}".
async fn within<T>(
    deadline: Instant,
    problem: ProblemType,
    what: impl fmt::Display,
    step: impl Future<Output = T>,
) -> Result<T, ValidationFailure> {
    tokio::time::timeout_at(deadline, step)
        .await
        .map_err(|_| ValidationFailure::new(problem, format!("timed out {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_short_and_bounded() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(2));
        assert_eq!(backoff(30), Duration::from_secs(2));
    }

    #[tokio::test]
    async fn inapplicable_challenges_fail_at_once() {
        let v = Validator::new(ValidationConfig::default());
        let wildcard = Identifier::parse("dns", "*.privca.test").unwrap();
        let err = v
            .validate(ChallengeType::Http01, &wildcard, "tok", "tok.thumb")
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::Malformed);
        let ip = Identifier::parse("ip", "127.0.0.1").unwrap();
        let err = v
            .validate(ChallengeType::Dns01, &ip, "tok", "tok.thumb")
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::Malformed);
        assert!(err.detail.contains("dns-01"), "{}", err.detail);
    }
}
