//! Command handlers: each parses nothing itself, calls core/store, and prints the result.
mod crl;
mod index;
mod init;
mod issue;
mod list;

use anyhow::Result;

use crate::cli::{Cli, Command, CrlCommand, IndexCommand, IssuerCommand};

/// Runs one parsed command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init(a) => init::init(a),
        Command::Issuer(IssuerCommand::Create(a)) => init::issuer_create(a),
        Command::Issuer(IssuerCommand::List(a)) => init::issuer_list(a),
        Command::Issue(a) => issue::issue(a),
        Command::List(a) => list::list(a),
        Command::Show(a) => list::show(a),
        Command::Profiles(a) => list::profiles(a),
        Command::Index(IndexCommand::Export(a)) => index::export(a),
        Command::Crl(CrlCommand::Root(a)) => crl::root(a),
        Command::Pki(c) => crate::pki::run(c),
        Command::Client(c) => crate::client::run(c),
    }
}
