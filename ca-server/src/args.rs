//! Command-line arguments of the daemon.
use std::path::PathBuf;

use clap::Parser;

/// privca CA daemon. With no arguments it creates (or reuses) a development CA in ./privca-data.
#[derive(Debug, Parser)]
#[command(name = "ca-server", version, about)]
pub struct Args {
    /// CA home made by `ca-cli init`; default ./privca-data (created as a development CA if absent).
    #[arg(long, env = "PRIVCA_HOME")]
    pub home: Option<PathBuf>,
    /// HTTPS listen address (overrides ca.toml), e.g. 127.0.0.1:8443; port 0 picks a free port.
    #[arg(long)]
    pub https: Option<String>,
    /// Plain-HTTP listen address (overrides ca.toml), e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub http: Option<String>,
    /// File holding the key passphrase (else PRIVCA_PASSPHRASE, the home's own file, or a prompt).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// Write the bound addresses as JSON to this file once listening (for scripts and tests).
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
}
