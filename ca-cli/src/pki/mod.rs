//! The offline `pki` verbs (guide 004 Appendix C, guide 002 Appendices 2-6): prepare and check
//! key, request and certificate files with no CA home and no openssl. Each verb's handler lives
//! in the file named for what it does; the pure logic is in `ca_core::toolbox`.
mod args;
mod chain;
mod convert;
mod files;
mod keys;
mod look;
mod pkcs12;
mod request;
mod revocation;
mod sign;

use anyhow::Result;

pub use args::PkiCommand;

/// Runs one pki verb.
pub fn run(cmd: PkiCommand) -> Result<()> {
    match cmd {
        PkiCommand::Keygen(a) => keys::keygen(a),
        PkiCommand::Csr(a) => request::csr(a),
        PkiCommand::Selfsigned(a) => request::selfsigned(a),
        PkiCommand::Sign(a) => sign::sign(a),
        PkiCommand::Inspect(a) => look::inspect(a),
        PkiCommand::Match(a) => look::matches(a),
        PkiCommand::Verify(a) => chain::verify(a),
        PkiCommand::Bundle(a) => chain::bundle(a),
        PkiCommand::Convert(a) => convert::convert(a),
        PkiCommand::Unlock(a) => keys::unlock(a),
        PkiCommand::Lock(a) => keys::lock(a),
        PkiCommand::Pkcs12(c) => pkcs12::run(c),
        PkiCommand::Pkcs12ToSsh(a) => pkcs12::to_ssh(a),
    }
}
