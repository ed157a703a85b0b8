//! ACME problem documents (RFC 8555 section 6.7, RFC 7807): the error types, the HTTP status
//! each one is answered with, and the document itself. The status mapping lives here as data;
//! the server's HTTP error module is the one place that turns a [`Problem`] into a response.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::identifier::Identifier;

/// The media type of a problem document.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The namespace every ACME error type lives in.
pub const ERROR_URN_PREFIX: &str = "urn:ietf:params:acme:error:";

/// An `urn:ietf:params:acme:error:*` type (RFC 8555 section 6.7, plus the later RFCs ACME
/// clients meet: 9773 renewal information, and the profiles draft).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemType {
    /// The request names an account that does not exist (`onlyReturnExisting`, unknown `kid`).
    AccountDoesNotExist,
    /// The order's `replaces` names a certificate that was already replaced (RFC 9773 7.4).
    AlreadyReplaced,
    /// The certificate to revoke is already revoked.
    AlreadyRevoked,
    /// The finalize CSR is unacceptable.
    BadCsr,
    /// The nonce is missing, unknown, expired or replayed; clients retry with a fresh one.
    BadNonce,
    /// The JWS key is of a type or size the server does not accept.
    BadPublicKey,
    /// The revocation reason is not one the server allows.
    BadRevocationReason,
    /// The JWS algorithm is not supported; the document lists the supported ones.
    BadSignatureAlgorithm,
    /// CAA records forbid issuance.
    Caa,
    /// Several errors, listed as subproblems.
    Compound,
    /// The validation connection could not be made.
    Connection,
    /// The validation DNS lookup failed.
    Dns,
    /// The endpoint requires External Account Binding and the request has none.
    ExternalAccountRequired,
    /// The challenge response did not match what was expected.
    IncorrectResponse,
    /// A contact URL is invalid.
    InvalidContact,
    /// The requested ACME profile does not exist (profiles draft).
    InvalidProfile,
    /// The request is malformed.
    Malformed,
    /// Finalize was called on an order that is not `ready`.
    OrderNotReady,
    /// Too many requests.
    RateLimited,
    /// The server will not issue for an identifier.
    RejectedIdentifier,
    /// The server failed; not the client's fault.
    ServerInternal,
    /// The TLS handshake of a validation failed.
    Tls,
    /// The client lacks authorization for the action.
    Unauthorized,
    /// A contact URL uses an unsupported scheme.
    UnsupportedContact,
    /// An identifier is of a type the server does not support.
    UnsupportedIdentifier,
    /// The client must visit the `instance` URL (for example to accept new terms).
    UserActionRequired,
}

impl ProblemType {
    /// Every type, for tables and tests.
    pub const ALL: [ProblemType; 26] = [
        ProblemType::AccountDoesNotExist,
        ProblemType::AlreadyReplaced,
        ProblemType::AlreadyRevoked,
        ProblemType::BadCsr,
        ProblemType::BadNonce,
        ProblemType::BadPublicKey,
        ProblemType::BadRevocationReason,
        ProblemType::BadSignatureAlgorithm,
        ProblemType::Caa,
        ProblemType::Compound,
        ProblemType::Connection,
        ProblemType::Dns,
        ProblemType::ExternalAccountRequired,
        ProblemType::IncorrectResponse,
        ProblemType::InvalidContact,
        ProblemType::InvalidProfile,
        ProblemType::Malformed,
        ProblemType::OrderNotReady,
        ProblemType::RateLimited,
        ProblemType::RejectedIdentifier,
        ProblemType::ServerInternal,
        ProblemType::Tls,
        ProblemType::Unauthorized,
        ProblemType::UnsupportedContact,
        ProblemType::UnsupportedIdentifier,
        ProblemType::UserActionRequired,
    ];

    /// The type's name after the URN prefix and the HTTP status a response carrying it has.
    /// RFC 8555 6.7 defaults to 400; the exceptions are those the RFCs (or, where they are
    /// silent, the behaviour clients are written against: Boulder, Pebble) give another code:
    /// 403 for orderNotReady (RFC 8555 7.4), userActionRequired (7.3.3), unauthorized and caa,
    /// 409 for alreadyReplaced (RFC 9773), 429 for rateLimited, 500 for serverInternal.
    fn spec(self) -> (&'static str, u16) {
        match self {
            ProblemType::AccountDoesNotExist => ("accountDoesNotExist", 400),
            ProblemType::AlreadyReplaced => ("alreadyReplaced", 409),
            ProblemType::AlreadyRevoked => ("alreadyRevoked", 400),
            ProblemType::BadCsr => ("badCSR", 400),
            ProblemType::BadNonce => ("badNonce", 400),
            ProblemType::BadPublicKey => ("badPublicKey", 400),
            ProblemType::BadRevocationReason => ("badRevocationReason", 400),
            ProblemType::BadSignatureAlgorithm => ("badSignatureAlgorithm", 400),
            ProblemType::Caa => ("caa", 403),
            ProblemType::Compound => ("compound", 400),
            ProblemType::Connection => ("connection", 400),
            ProblemType::Dns => ("dns", 400),
            ProblemType::ExternalAccountRequired => ("externalAccountRequired", 400),
            ProblemType::IncorrectResponse => ("incorrectResponse", 400),
            ProblemType::InvalidContact => ("invalidContact", 400),
            ProblemType::InvalidProfile => ("invalidProfile", 400),
            ProblemType::Malformed => ("malformed", 400),
            ProblemType::OrderNotReady => ("orderNotReady", 403),
            ProblemType::RateLimited => ("rateLimited", 429),
            ProblemType::RejectedIdentifier => ("rejectedIdentifier", 400),
            ProblemType::ServerInternal => ("serverInternal", 500),
            ProblemType::Tls => ("tls", 400),
            ProblemType::Unauthorized => ("unauthorized", 403),
            ProblemType::UnsupportedContact => ("unsupportedContact", 400),
            ProblemType::UnsupportedIdentifier => ("unsupportedIdentifier", 400),
            ProblemType::UserActionRequired => ("userActionRequired", 403),
        }
    }

    /// The short name, e.g. `badNonce`.
    pub fn name(self) -> &'static str {
        self.spec().0
    }

    /// The HTTP status code of a response with this problem.
    pub fn status(self) -> u16 {
        self.spec().1
    }

    /// The full type URN, e.g. `urn:ietf:params:acme:error:badNonce`.
    pub fn urn(self) -> String {
        format!("{ERROR_URN_PREFIX}{}", self.name())
    }

    /// The type a URN names, if it is one of ours.
    pub fn from_urn(urn: &str) -> Option<ProblemType> {
        let name = urn.strip_prefix(ERROR_URN_PREFIX)?;
        ProblemType::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl fmt::Display for ProblemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ProblemType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.urn())
    }
}

impl<'de> Deserialize<'de> for ProblemType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let urn = String::deserialize(d)?;
        ProblemType::from_urn(&urn).ok_or_else(|| serde::de::Error::custom(format!("unknown ACME error type {urn}")))
    }
}

/// A problem document: what went wrong, for which identifier, and (for
/// badSignatureAlgorithm) which algorithms would have been accepted.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Problem {
    /// The error type.
    #[serde(rename = "type")]
    pub kind: ProblemType,
    /// Human-readable explanation naming the offending value.
    pub detail: String,
    /// The identifier a subproblem is about (RFC 8555 6.7.1).
    #[serde(default)]
    pub identifier: Option<Identifier>,
    /// Per-identifier errors of a compound failure, e.g. a newOrder with several rejected names.
    #[serde(default)]
    pub subproblems: Vec<Problem>,
    /// For badSignatureAlgorithm: the `alg` values the server accepts (RFC 8555 6.2 requires it).
    #[serde(default)]
    pub algorithms: Vec<String>,
}

impl Problem {
    /// A problem of `kind` with `detail`.
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Problem {
        Problem {
            kind,
            detail: detail.into(),
            identifier: None,
            subproblems: Vec::new(),
            algorithms: Vec::new(),
        }
    }

    /// The same problem, about `identifier` (used for subproblems).
    pub fn with_identifier(mut self, identifier: Identifier) -> Problem {
        self.identifier = Some(identifier);
        self
    }

    /// The same problem with per-identifier `subproblems`.
    pub fn with_subproblems(mut self, subproblems: Vec<Problem>) -> Problem {
        self.subproblems = subproblems;
        self
    }

    /// The same problem listing the accepted `algorithms`.
    pub fn with_algorithms(mut self, algorithms: &[&str]) -> Problem {
        self.algorithms = algorithms.iter().map(|a| a.to_string()).collect();
        self
    }

    /// The HTTP status of the response that carries this problem.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

/// The JSON shape; `status` is written on the top-level document only, as RFC 8555's
/// subproblem examples show.
#[derive(Serialize)]
struct Doc<'a> {
    #[serde(rename = "type")]
    kind: ProblemType,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<&'a Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subproblems: Vec<Doc<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    algorithms: &'a [String],
}

impl<'a> Doc<'a> {
    fn of(p: &'a Problem, top: bool) -> Doc<'a> {
        Doc {
            kind: p.kind,
            detail: &p.detail,
            status: top.then(|| p.status()),
            identifier: p.identifier.as_ref(),
            subproblems: p.subproblems.iter().map(|s| Doc::of(s, false)).collect(),
            algorithms: &p.algorithms,
        }
    }
}

impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Doc::of(self, true).serialize(s)
    }
}

/// An error that an ACME response reports as a problem document. Each error type of the ACME
/// module says which problem type it is; the detail is its message.
pub trait ToProblem: std::error::Error {
    /// The problem type this error is reported as.
    fn problem_type(&self) -> ProblemType;

    /// The problem document for this error.
    fn to_problem(&self) -> Problem {
        Problem::new(self.problem_type(), self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_urn() {
        for t in ProblemType::ALL {
            assert_eq!(ProblemType::from_urn(&t.urn()), Some(t), "{t}");
        }
        assert_eq!(ProblemType::from_urn("urn:ietf:params:acme:error:nope"), None);
    }

    #[test]
    fn statuses_follow_the_rfcs() {
        assert_eq!(ProblemType::BadNonce.status(), 400);
        assert_eq!(ProblemType::OrderNotReady.status(), 403);
        assert_eq!(ProblemType::ServerInternal.status(), 500);
        assert_eq!(ProblemType::RateLimited.status(), 429);
        assert_eq!(ProblemType::BadCsr.urn(), "urn:ietf:params:acme:error:badCSR");
    }

    #[test]
    fn document_has_status_on_top_only() {
        let sub = Problem::new(ProblemType::RejectedIdentifier, "not allowed")
            .with_identifier(Identifier::parse("dns", "a.example").unwrap());
        let p = Problem::new(ProblemType::RejectedIdentifier, "2 names rejected").with_subproblems(vec![sub]);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "urn:ietf:params:acme:error:rejectedIdentifier");
        assert_eq!(v["status"], 400);
        assert!(v["subproblems"][0].get("status").is_none());
        assert_eq!(v["subproblems"][0]["identifier"]["value"], "a.example");
        assert!(v.get("algorithms").is_none());
        let back: Problem = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);
    }
}
