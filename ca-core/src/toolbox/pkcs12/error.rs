//! What can go wrong reading or writing a PKCS#12 file; each message says what to do about it.
use thiserror::Error;

/// A PKCS#12 failure.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum Pkcs12Error {
    /// The MAC did not verify or a bag did not decrypt: the two cannot be told apart.
    #[error("wrong password or damaged file")]
    WrongPassword,
    /// Not a PFX structure at all.
    #[error("not a PKCS#12 (.pfx/.p12) file: {0}")]
    NotPkcs12(String),
    /// A PFX whose inner structure is broken.
    #[error("damaged PKCS#12 file: {0}")]
    Malformed(String),
    /// A valid file using something this reader does not implement (RC4, public-key mode, ...).
    #[error("unsupported PKCS#12 content: {0}")]
    Unsupported(String),
    /// A password that has no PKCS#12 encoding.
    #[error("the password cannot be used for a PKCS#12 file: {0}")]
    Password(String),
    /// `split` and `pkcs12-to-ssh` need a private key.
    #[error("the file holds no private key (only {certs} certificate(s))")]
    NoKey { certs: usize },
    /// More than one key: which one to split is not obvious.
    #[error("the file holds {0} private keys; split handles files with one")]
    SeveralKeys(usize),
    /// The key has no certificate in the file.
    #[error("no certificate in the file matches the private key ({key}); the file holds {certs} certificate(s) for other keys")]
    NoMatchingCertificate { key: String, certs: usize },
    /// `create` was given a key and a certificate that do not belong together.
    #[error("the private key ({key}) does not match the certificate '{cert}' ({cert_key})")]
    KeyMismatch {
        key: String,
        cert: String,
        cert_key: String,
    },
    /// A key or certificate that cannot be used.
    #[error("{0}")]
    Input(String),
    /// Encryption failed while writing.
    #[error("cannot encrypt the PKCS#12 file: {0}")]
    Encrypt(String),
}
