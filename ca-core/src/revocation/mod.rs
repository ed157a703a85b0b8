//! Revocation: RFC 5280 reason codes now; CRL and OCSP building arrive with the revocation work.
mod reason;

pub use reason::Reason;
