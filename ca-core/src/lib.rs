//! privca's domain: keys, certificate requests, templates, policy and the issuance pipeline.
//! Pure: no network, filesystem, environment or clock reads; time, randomness and storage come
//! in through parameters and traits so every rule is testable in isolation.
pub mod acme;
pub mod bootstrap;
pub mod certbuild;
pub mod clock;
pub mod csr;
pub mod csrbuild;
pub mod error;
pub mod ext;
pub mod issue;
pub mod keys;
pub mod name;
pub mod pem;
pub mod policy;
pub mod profile;
pub mod revocation;
pub mod serial;
pub mod signer;
pub mod toolbox;

pub use error::{Error, Result};
