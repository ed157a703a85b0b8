//! Command-line grammar (clap). Each subcommand's handler lives in `cmd/`.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// privca companion CLI: bootstrap a CA, issue and list certificates, prepare certificate files.
#[derive(Debug, Parser)]
#[command(name = "ca-cli", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the CA home is and how to unlock its keys.
#[derive(Debug, Args, Clone)]
pub struct HomeArgs {
    /// The CA home directory.
    #[arg(long, env = "PRIVCA_HOME", default_value = "privca-data")]
    pub home: PathBuf,
    /// File holding the key passphrase (else PRIVCA_PASSPHRASE, the home's own file, or a prompt).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new CA home: issuer `default` with a root and an intermediate, templates, index.
    Init(InitArgs),
    /// Manage issuers (separate root + intermediate pairs) of a CA home.
    #[command(subcommand)]
    Issuer(IssuerCommand),
    /// Issue a certificate offline from a CSR with a template.
    Issue(IssueArgs),
    /// List certificates in the index.
    List(ListArgs),
    /// Show one certificate of the index.
    Show(ShowArgs),
    /// List the templates of a CA home.
    Profiles(ProfilesArgs),
    /// Index maintenance.
    #[command(subcommand)]
    Index(IndexCommand),
    /// CRLs signed offline (the root's CRL; the daemon publishes the intermediates' own).
    #[command(subcommand)]
    Crl(CrlCommand),
    #[command(flatten)]
    Pki(crate::pki::PkiCommand),
    #[command(flatten)]
    Client(crate::client::ClientCommand),
}

#[derive(Debug, Subcommand)]
pub enum CrlCommand {
    /// Sign the root's CRL with the root key into HOME/issuers/NAME/root.crl, which the daemon
    /// serves at /crl/NAME-root.crl. It lists the revoked certificates the root signed
    /// (subordinate CAs), read from the index or, with --server, from the running daemon.
    Root(CrlRootArgs),
}

#[derive(Debug, Args)]
pub struct CrlRootArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    /// Issuer whose root signs.
    #[arg(long, default_value = "default")]
    pub issuer: String,
    /// Days until nextUpdate.
    #[arg(long, default_value_t = 30)]
    pub days: i64,
    /// Read the revocations from this running daemon (HTTPS base URL, admin credential)
    /// instead of opening the index, which a running daemon holds.
    #[arg(long, env = "PRIVCA_SERVER")]
    pub server: Option<String>,
    /// Root certificate to trust for --server (default: the issuer's root in --home).
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
    #[command(flatten)]
    pub admin: crate::client::AdminArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    /// Key algorithm of the root and intermediate.
    #[arg(long, default_value = "ecdsa-p256")]
    pub key_type: String,
    /// Root subject, e.g. "CN=Example Root CA,O=Example" (or OpenSSL's "/O=Example/CN=...").
    #[arg(long, default_value = "CN=privca Root CA,O=privca")]
    pub subject: String,
    /// Intermediate subject (default: the root's with "Root" replaced by "Intermediate").
    #[arg(long)]
    pub intermediate_subject: Option<String>,
    /// Base URL relying parties use for CRLs, OCSP and CA certificates.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub public_url: String,
}

#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Add a separate root + intermediate, e.g. a dedicated database-cluster CA.
    Create(IssuerCreateArgs),
    /// List the issuers of a CA home.
    List(IssuerListArgs),
}

#[derive(Debug, Args)]
pub struct IssuerCreateArgs {
    /// Issuer name (letters, digits, - and _), as templates name it.
    pub name: String,
    #[command(flatten)]
    pub home: HomeArgs,
    #[arg(long, default_value = "ecdsa-p256")]
    pub key_type: String,
    /// Root subject (default "CN=<name> Root CA").
    #[arg(long)]
    pub subject: Option<String>,
    #[arg(long)]
    pub intermediate_subject: Option<String>,
}

#[derive(Debug, Args)]
pub struct IssuerListArgs {
    #[command(flatten)]
    pub home: HomeArgs,
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    /// Template name, e.g. WebServer.
    #[arg(long, alias = "template")]
    pub profile: String,
    /// CSR file, PEM or DER.
    #[arg(long)]
    pub csr: PathBuf,
    /// Where to write the certificate (PEM).
    #[arg(long)]
    pub out: PathBuf,
    /// Where to write the chain: leaf first, root last.
    #[arg(long)]
    pub chain_out: Option<PathBuf>,
    /// Validity in days (clamped to the template's maximum).
    #[arg(long)]
    pub days: Option<i64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Valid,
    Revoked,
    Expired,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// Only valid certificates expiring within this period: 30d, 12h, 2w.
    #[arg(long)]
    pub expiring_within: Option<String>,
    #[arg(long)]
    pub issuer: Option<String>,
    #[arg(long, alias = "template")]
    pub profile: Option<String>,
    /// Substring of the subject or a SAN.
    #[arg(long)]
    pub search: Option<String>,
    /// JSON output for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    /// Serial number in hex (colons allowed).
    pub serial: String,
    #[arg(long)]
    pub issuer: Option<String>,
    /// Also print the certificate PEM.
    #[arg(long)]
    pub pem: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    #[command(flatten)]
    pub home: HomeArgs,
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Export OpenSSL demoCA files (index.txt, serial, newcerts/) for `openssl ca` / `openssl ocsp`.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    /// Output directory for the demoCA files.
    #[arg(long)]
    pub openssl: PathBuf,
    #[arg(long, default_value = "default")]
    pub issuer: String,
}
