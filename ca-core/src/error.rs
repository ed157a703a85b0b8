//! One error type for the domain, with a typed sub-enum per concern so callers (the HTTP layer,
//! the CLI) can map them without parsing strings. Messages name the offending value and rule.
use thiserror::Error;

/// Every failure the domain can report.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Csr(#[from] CsrError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("certificate building failed: {0}")]
    Build(String),
    #[error("issuer certificate is unusable: {0}")]
    Issuer(String),
    #[error(transparent)]
    Crl(#[from] CrlError),
    #[error(transparent)]
    Ocsp(#[from] OcspError),
}

/// A certificate signing request that could not be accepted as such.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum CsrError {
    #[error("CSR is neither PEM nor DER: {0}")]
    Encoding(String),
    #[error("CSR is malformed: {0}")]
    Malformed(String),
    #[error("CSR signature does not verify")]
    BadSignature,
    /// aws-lc-rs verifies no RSA signature under 2048 bits, and no profile may accept one.
    #[error("RSA key of {bits} bits is below the 2048 minimum")]
    WeakRsaKey { bits: usize },
    #[error("CSR public key is unsupported: {0}")]
    UnsupportedKey(String),
}

/// A request that is a valid CSR but breaks a profile's rules.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PolicyError {
    #[error("{kind} keys are not allowed by profile {profile} (allowed: {allowed})")]
    KeyTypeNotAllowed {
        profile: String,
        kind: String,
        allowed: String,
    },
    #[error("RSA key of {bits} bits is below the {min} minimum")]
    RsaTooSmall { bits: usize, min: usize },
    #[error("profile {profile} requires CN={expected}")]
    CnMismatch { profile: String, expected: String },
    #[error("profile {profile} requires a CN")]
    CnMissing { profile: String },
    #[error("CN {cn} does not match the pattern {pattern} of profile {profile}")]
    CnPattern {
        profile: String,
        cn: String,
        pattern: String,
    },
    #[error("SAN {san} is not under allowed suffixes [{suffixes}] of profile {profile}")]
    SanSuffix {
        profile: String,
        san: String,
        suffixes: String,
    },
    #[error("IP SAN {ip} is not allowed by profile {profile}")]
    IpNotAllowed { profile: String, ip: String },
    #[error("email SAN {email} is not allowed by profile {profile}")]
    EmailNotAllowed { profile: String, email: String },
    #[error("{count} SANs exceed the maximum of {max} of profile {profile}")]
    TooManySans { profile: String, count: usize, max: usize },
    #[error("DNS name {name} is not a valid host name")]
    BadDnsName { name: String },
    #[error("the request names no subject: profile {profile} needs a CN or a SAN")]
    EmptyName { profile: String },
    #[error("no key usage of profile {profile} suits a {kind} key")]
    NoUsableKeyUsage { profile: String, kind: String },
    #[error("requested validity of {days} days is not positive")]
    BadValidity { days: i64 },
    #[error("issuer certificate expires before the certificate would start")]
    IssuerExpired,
}

/// A profile file that does not describe a usable template.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum ProfileError {
    #[error("profile {file}: {message}")]
    Parse { file: String, message: String },
    #[error("profile {file}: field {field}: {message}")]
    Field {
        file: String,
        field: String,
        message: String,
    },
    #[error("unknown profile {0}")]
    Unknown(String),
}

/// A private key that could not be generated, decrypted or used.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum KeyError {
    #[error("unknown key type {0} (expected one of rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384, ed25519)")]
    UnknownType(String),
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("private key is malformed or unsupported: {0}")]
    Malformed(String),
    #[error("private key could not be decrypted: wrong passphrase or damaged file")]
    Decrypt,
    #[error("private key encryption failed: {0}")]
    Encrypt(String),
    #[error("signing failed")]
    Sign,
}

/// A distinguished name string that could not be parsed.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum NameError {
    #[error("distinguished name {input:?}: {message}")]
    Parse { input: String, message: String },
}

/// Inputs from which no RFC 5280 CRL can be built. Each names the entry or field at fault so
/// the caller (the CRL job, `ca-cli crl`) can say what to fix.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CrlError {
    #[error("CRL nextUpdate {next_update} is not after thisUpdate {this_update}")]
    BadValidity { this_update: String, next_update: String },
    #[error("delta CRL number {number} is not above its base CRL number {base}")]
    DeltaBase { number: u64, base: u64 },
    #[error("delta CRLs carry no Freshest CRL extension (RFC 5280 5.2.6)")]
    FreshestInDelta,
    #[error("serial {serial} is not a positive DER INTEGER of at most 20 octets")]
    BadSerial { serial: String },
    #[error("serial {serial}: removeFromCRL belongs in delta CRLs only (RFC 5280 5.3.1)")]
    RemoveFromFullCrl { serial: String },
    #[error("time {time} cannot be written into a CRL: {message}")]
    Time { time: String, message: String },
}

/// An OCSP request the responder cannot answer (maps to `malformedRequest`), or an OCSP
/// response it cannot build.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum OcspError {
    #[error("OCSP request is not DER: {0}")]
    NotDer(String),
    #[error("OCSP GET path is not base64 of a request: {0}")]
    BadGetPath(String),
    #[error("OCSP request lists no certificates")]
    NoCertIds,
    #[error("OCSP request lists {count} certificates, more than the {max} answered at once")]
    TooManyCertIds { count: usize, max: usize },
    #[error("unsupported CertID hash algorithm {0}")]
    UnsupportedHash(String),
    #[error("CertID {field} of {len} bytes does not fit its hash algorithm {alg}")]
    BadHashLength {
        field: &'static str,
        len: usize,
        alg: &'static str,
    },
    #[error("OCSP nonce of {len} octets is outside 1..=128 (RFC 9654)")]
    BadNonceLength { len: usize },
    #[error("OCSP nonce is not an OCTET STRING: {0}")]
    BadNonce(String),
    #[error("the responder certificate does not hold the responder's signing key")]
    ResponderKeyMismatch,
    #[error("time {time} cannot be written into an OCSP response: {message}")]
    Time { time: String, message: String },
}

/// Convenience alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
