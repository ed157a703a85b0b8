//! ACME (RFC 8555) building blocks for the server's ACME front door: flattened JWS and JWK
//! verification, RFC 7638 thumbprints, External Account Binding, the account, order,
//! authorization and challenge state machine, identifier rules, challenge values and problem
//! documents. Pure like the rest of the crate: the server owns nonces, request URLs, storage,
//! clocks and the network, and passes what a rule needs as parameters.
pub mod ari;
pub mod base64url;
pub mod challenge;
pub mod eab;
pub mod error;
pub mod identifier;
pub mod jwk;
pub mod jws;
pub mod order;
pub mod problem;
pub mod tls_alpn;

pub use error::{AcmeError, ChallengeError, EabError, IdentifierError, JwkError, JwsError, StatusError};
pub use identifier::Identifier;
pub use jwk::AccountKey;
pub use jws::{Algorithm, KeyRef, ParsedJws, Protected, VerifiedJws};
pub use problem::{Problem, ProblemType, ToProblem};
