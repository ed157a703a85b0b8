//! The ACME module's errors: one typed enum per concern, each knowing the problem type it is
//! reported as ([`ToProblem`]), so the server's HTTP error module maps them without parsing
//! strings. Messages name the member, value or rule that failed: they become problem details.
use thiserror::Error;

use super::jws::Algorithm;
use super::problem::{Problem, ProblemType, ToProblem};

/// Any failure of the ACME building blocks; the crate's [`crate::Error`] can wrap it whole.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum AcmeError {
    #[error(transparent)]
    Jws(#[from] JwsError),
    #[error(transparent)]
    Jwk(#[from] JwkError),
    #[error(transparent)]
    Eab(#[from] EabError),
    #[error(transparent)]
    Identifier(#[from] IdentifierError),
    #[error(transparent)]
    Status(#[from] StatusError),
    #[error(transparent)]
    Challenge(#[from] ChallengeError),
}

impl ToProblem for AcmeError {
    fn problem_type(&self) -> ProblemType {
        match self {
            AcmeError::Jws(e) => e.problem_type(),
            AcmeError::Jwk(e) => e.problem_type(),
            AcmeError::Eab(e) => e.problem_type(),
            AcmeError::Identifier(e) => e.problem_type(),
            AcmeError::Status(e) => e.problem_type(),
            AcmeError::Challenge(e) => e.problem_type(),
        }
    }

    fn to_problem(&self) -> Problem {
        match self {
            AcmeError::Jws(e) => e.to_problem(),
            AcmeError::Eab(e) => e.to_problem(),
            _ => Problem::new(self.problem_type(), self.to_string()),
        }
    }
}

/// A JSON Web Key that is not a usable account (or certificate) key.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum JwkError {
    #[error("jwk is not a JSON object")]
    NotAnObject,
    #[error("jwk member {member:?}: {reason}")]
    Member { member: &'static str, reason: String },
    /// A public key must never travel with its private half; refuse rather than ignore it.
    #[error("jwk carries the private key member {member:?}")]
    PrivateMember { member: &'static str },
    #[error("jwk key type {kty:?} is not supported (supported: RSA, EC, OKP)")]
    UnsupportedKeyType { kty: String },
    #[error("jwk curve {crv:?} is not supported for kty {kty} (supported: P-256, P-384, Ed25519)")]
    UnsupportedCurve { kty: &'static str, crv: String },
    /// aws-lc-rs verifies RSA signatures for 2048..=8192-bit moduli only.
    #[error("RSA key of {bits} bits is outside the supported 2048..=8192")]
    RsaSize { bits: usize },
    #[error("public key is invalid: {reason}")]
    Invalid { reason: String },
    #[error("SubjectPublicKeyInfo is malformed or unsupported: {reason}")]
    Spki { reason: String },
}

impl ToProblem for JwkError {
    fn problem_type(&self) -> ProblemType {
        match self {
            JwkError::NotAnObject | JwkError::Member { .. } | JwkError::PrivateMember { .. } => ProblemType::Malformed,
            _ => ProblemType::BadPublicKey,
        }
    }
}

/// A request body that is not an acceptable ACME JWS (RFC 8555 section 6.2).
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum JwsError {
    #[error("request body of {size} bytes exceeds the {max} byte limit")]
    TooLarge { size: usize, max: usize },
    #[error("request body is not a JSON object: {reason}")]
    NotJson { reason: String },
    #[error("JWS member {member:?}: {reason}")]
    Member { member: &'static str, reason: String },
    #[error("JWS must use the flattened JSON serialization (RFC 8555 6.2), not the general one")]
    NotFlattened,
    #[error("JWS must not have an unprotected header (RFC 8555 6.2)")]
    UnprotectedHeader,
    #[error("protected header member {member:?}: {reason}")]
    Header { member: &'static str, reason: String },
    #[error("protected header member {member:?} is not supported")]
    UnsupportedHeader { member: &'static str },
    #[error("protected header has both jwk and kid; exactly one is allowed (RFC 8555 6.2)")]
    JwkAndKid,
    #[error("protected header has neither jwk nor kid; exactly one is required (RFC 8555 6.2)")]
    NoJwkOrKid,
    #[error("this request must be signed with an account key named by kid, not a jwk")]
    ExpectedKid,
    #[error("this request must carry its key as jwk, not kid")]
    ExpectedJwk,
    #[error("protected header has no nonce")]
    MissingNonce,
    #[error("the inner JWS of a key change must not have a nonce (RFC 8555 7.3.5)")]
    NonceForbidden,
    #[error("JWS algorithm {alg:?} is not supported (supported: {})", Algorithm::names().join(", "))]
    UnsupportedAlgorithm { alg: String },
    #[error("JWS algorithm {alg} cannot be used with a {key} key")]
    AlgorithmKeyMismatch { alg: Algorithm, key: String },
    /// JOSE ECDSA signatures are the fixed r||s form; a DER (ASN.1) signature is the usual bug.
    #[error("{alg} signature is {got} bytes but must be {expected} (r||s, RFC 7518 3.4; a DER-encoded signature?)")]
    SignatureLength {
        alg: Algorithm,
        expected: usize,
        got: usize,
    },
    #[error("JWS signature does not verify")]
    BadSignature,
    #[error("JWS payload: {reason}")]
    Payload { reason: String },
    #[error(transparent)]
    Jwk(#[from] JwkError),
}

impl ToProblem for JwsError {
    fn problem_type(&self) -> ProblemType {
        match self {
            JwsError::MissingNonce => ProblemType::BadNonce,
            JwsError::UnsupportedAlgorithm { .. } | JwsError::AlgorithmKeyMismatch { .. } => {
                ProblemType::BadSignatureAlgorithm
            }
            JwsError::Jwk(e) => e.problem_type(),
            _ => ProblemType::Malformed,
        }
    }

    fn to_problem(&self) -> Problem {
        let p = Problem::new(self.problem_type(), self.to_string());
        if p.kind == ProblemType::BadSignatureAlgorithm {
            p.with_algorithms(&Algorithm::names())
        } else {
            p
        }
    }
}

/// An External Account Binding (RFC 8555 7.3.4) that does not bind this account.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EabError {
    /// The binding's JWS is malformed; the inner error names the member.
    #[error("externalAccountBinding: {0}")]
    Jws(JwsError),
    #[error("externalAccountBinding algorithm {alg:?} is not supported (supported: HS256, HS384, HS512)")]
    UnsupportedAlgorithm { alg: String },
    #[error("externalAccountBinding protected header must not have a nonce (RFC 8555 7.3.4)")]
    NonceForbidden,
    #[error("externalAccountBinding url {got:?} is not the newAccount URL {expected:?}")]
    UrlMismatch { expected: String, got: String },
    #[error("externalAccountBinding MAC does not verify with the key of {key_id:?}")]
    BadMac { key_id: String },
    #[error("externalAccountBinding payload is not the account key (the outer JWS's jwk): {reason}")]
    KeyMismatch { reason: String },
}

impl ToProblem for EabError {
    fn problem_type(&self) -> ProblemType {
        match self {
            EabError::Jws(e) => e.problem_type(),
            EabError::UnsupportedAlgorithm { .. } => ProblemType::BadSignatureAlgorithm,
            EabError::NonceForbidden => ProblemType::Malformed,
            EabError::UrlMismatch { .. } | EabError::BadMac { .. } | EabError::KeyMismatch { .. } => {
                ProblemType::Unauthorized
            }
        }
    }

    fn to_problem(&self) -> Problem {
        let p = Problem::new(self.problem_type(), self.to_string());
        if matches!(self, EabError::UnsupportedAlgorithm { .. }) {
            p.with_algorithms(&["HS256", "HS384", "HS512"])
        } else {
            p
        }
    }
}

/// An order identifier (RFC 8555 7.1.4, RFC 8738) that is not acceptable as written.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum IdentifierError {
    #[error("identifier type {kind:?} is not supported (supported: dns, ip)")]
    UnsupportedType { kind: String },
    #[error("DNS identifier {name:?}: {reason}")]
    BadDnsName { name: String, reason: String },
    #[error("IP identifier {value:?}: {reason}")]
    BadIp { value: String, reason: String },
}

impl ToProblem for IdentifierError {
    fn problem_type(&self) -> ProblemType {
        match self {
            IdentifierError::UnsupportedType { .. } => ProblemType::UnsupportedIdentifier,
            _ => ProblemType::RejectedIdentifier,
        }
    }
}

/// A status change the ACME state machine (RFC 8555 7.1.6) does not allow.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StatusError {
    #[error("{object} cannot go from {from} to {to}")]
    Transition {
        object: &'static str,
        from: String,
        to: String,
    },
    #[error("order is {status}, not ready: it can be finalized only once every authorization is valid")]
    OrderNotReady { status: String },
    /// RFC 8555 7.3.6: a deactivated (or revoked) account's requests are unauthorized.
    #[error("account is {status}")]
    AccountNotValid { status: String },
}

impl ToProblem for StatusError {
    fn problem_type(&self) -> ProblemType {
        match self {
            StatusError::Transition { .. } => ProblemType::Malformed,
            StatusError::OrderNotReady { .. } => ProblemType::OrderNotReady,
            StatusError::AccountNotValid { .. } => ProblemType::Unauthorized,
        }
    }
}

/// A challenge response that does not prove control of the identifier. The network failures
/// (connection, dns, tls) are the server's to report; these are about what was received.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ChallengeError {
    #[error("{challenge} cannot validate {identifier}")]
    NotApplicable {
        challenge: &'static str,
        identifier: String,
    },
    #[error("http-01: the response body {got:?} is not the key authorization {expected:?}")]
    Http01Mismatch { expected: String, got: String },
    #[error("dns-01: none of the TXT records [{found}] is the expected {expected:?}")]
    Dns01Mismatch { expected: String, found: String },
    #[error("tls-alpn-01: {reason}")]
    TlsAlpn01 { reason: String },
}

impl ToProblem for ChallengeError {
    fn problem_type(&self) -> ProblemType {
        match self {
            ChallengeError::NotApplicable { .. } => ProblemType::Malformed,
            _ => ProblemType::IncorrectResponse,
        }
    }
}
