//! The toolbox's error type: each variant names the file content or value at fault.
use thiserror::Error;

/// What can go wrong reading, describing or checking certificate files.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum ToolError {
    /// An attribute argument (`CN:value`) that cannot go into a name.
    #[error("attribute {arg:?}: {message}")]
    Attribute { arg: String, message: String },
    /// A subjectAltName value that is neither a host name, an IP address nor an email address.
    #[error("subjectAltName {value:?}: {message}")]
    San { value: String, message: String },
    /// Input that is not what the verb expects (no key in a key file, damaged PEM, ...).
    #[error("{0}")]
    Format(String),
    /// An encrypted key was given but no passphrase.
    #[error("the private key is encrypted: a passphrase is needed")]
    NeedPassphrase,
    /// Decryption failed: wrong passphrase or damaged key.
    #[error("the private key could not be decrypted: wrong passphrase or damaged file")]
    Decrypt,
    /// A cipher or scheme the toolbox does not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A domain error (keys, names, building).
    #[error(transparent)]
    Core(#[from] crate::error::Error),
}

impl From<crate::error::KeyError> for ToolError {
    fn from(e: crate::error::KeyError) -> Self {
        ToolError::Core(e.into())
    }
}
