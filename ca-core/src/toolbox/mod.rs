//! Pure logic behind the offline `pki` verbs of ca-cli (guide 004 Appendix C, guide 002
//! Appendices 2-6): the `CN:value` attribute syntax, reading private keys in every form the guides
//! show, describing files for `inspect`, key/certificate matching, ordering bundles and checking
//! chains. The CLI does the file I/O and printing; everything here is testable on bytes.
pub mod attrs;
pub mod chain;
pub mod describe;
pub mod error;
pub mod inspect;
pub mod keyfile;
pub mod legacy;
pub mod names;
pub mod pkcs12;
pub mod revocation_check;
pub mod ssh;
pub mod verify;

pub use error::ToolError;
