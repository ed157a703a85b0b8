//! certreq/certutil-style verbs that talk to a running ca-server over HTTPS: submit, retrieve,
//! renew, and the administrator's queue, revocation, token and audit verbs (mTLS).
mod acme;
mod admin;
mod api;
mod enroll;
mod offline;

pub(crate) use admin::root_revocations;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

/// How to reach the server and whom to trust.
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// Base URL of the server's HTTPS listener (default https://127.0.0.1:8443). `revoke` and
    /// `unrevoke` work offline on --home when no server is named.
    #[arg(long, env = "PRIVCA_SERVER")]
    pub server: Option<String>,
    /// Root certificate to trust for the server (default: HOME/issuers/default/root.crt with --home).
    #[arg(long, env = "PRIVCA_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// A CA home on this machine, used for defaults of --ca-cert and the admin credential.
    #[arg(long, env = "PRIVCA_HOME")]
    pub home: Option<PathBuf>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

impl ServerArgs {
    /// The server URL, or the default one.
    pub fn url(&self) -> String {
        self.server.clone().unwrap_or_else(|| "https://127.0.0.1:8443".into())
    }

    /// True when the verb should work on the local CA home instead of a server.
    pub fn offline(&self) -> bool {
        self.server.is_none() && self.home.is_some()
    }
}

/// The administrator's client certificate.
#[derive(Debug, Args, Clone)]
pub struct AdminArgs {
    /// Admin certificate (PEM; default HOME/admin/admin.crt with --home).
    #[arg(long, env = "PRIVCA_ADMIN_CERT")]
    pub admin_cert: Option<PathBuf>,
    /// Admin private key (PEM; default HOME/admin/admin.key with --home).
    #[arg(long, env = "PRIVCA_ADMIN_KEY")]
    pub admin_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Submit a CSR with a template (like `certreq -submit -attrib CertificateTemplate:T`).
    Submit(enroll::SubmitArgs),
    /// Retrieve the certificate of a request by its RequestId (like `certreq -retrieve`).
    Retrieve(enroll::RetrieveArgs),
    /// Renew a certificate over mTLS with the current certificate and key.
    Renew(enroll::RenewArgs),
    /// The approval queue (administrators).
    #[command(subcommand)]
    Requests(admin::RequestsCommand),
    /// Revoke a certificate (over the admin API, or offline on --home when no --server is given).
    Revoke(admin::RevokeArgs),
    /// Release a certificateHold (over the admin API, or offline on --home).
    Unrevoke(admin::UnrevokeArgs),
    /// One-time enrollment tokens (administrators).
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// The audit log (administrators).
    #[command(subcommand)]
    Audit(admin::AuditCommand),
    /// ACME front doors: External Account Binding keys (administrators).
    #[command(subcommand)]
    Acme(acme::AcmeCommand),
    /// Search issued certificates on the server (administrators).
    Certs(admin::CertsArgs),
}

/// Runs one client verb.
pub fn run(c: ClientCommand) -> Result<()> {
    match c {
        ClientCommand::Submit(a) => enroll::submit(a),
        ClientCommand::Retrieve(a) => enroll::retrieve(a),
        ClientCommand::Renew(a) => enroll::renew(a),
        ClientCommand::Requests(c) => admin::requests(c),
        ClientCommand::Revoke(a) => admin::revoke(a),
        ClientCommand::Unrevoke(a) => admin::unrevoke(a),
        ClientCommand::Token(c) => admin::token(c),
        ClientCommand::Audit(c) => admin::audit(c),
        ClientCommand::Acme(c) => acme::acme(c),
        ClientCommand::Certs(a) => admin::certs(a),
    }
}
