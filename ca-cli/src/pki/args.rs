//! Command-line grammar of the pki verbs, flattened into ca-cli's top-level commands so the
//! guide's `pki csr NAME CN:...` becomes `ca-cli csr NAME CN:...`.
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// The offline certificate-file verbs.
#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Generate a private key NAME.key (PKCS#8, mode 0600).
    Keygen(KeygenArgs),
    /// Generate NAME.key (or use --key) and a request NAME.csr: `csr NAME CN:host O:"Org" subjectAltName:a,b`.
    Csr(CsrArgs),
    /// Generate NAME.key and a self-signed CA certificate NAME.crt: `selfsigned dbca CN:"My company CA"`.
    Selfsigned(SelfsignedArgs),
    /// Sign CSRNAME.csr with CANAME.key/CANAME.crt into CSRNAME.crt: `sign dbserver dbca`.
    Sign(SignArgs),
    /// Show what a file holds: keys, certificates (each of a bundle), CSRs, CRLs; PEM or DER.
    Inspect(InspectArgs),
    /// Check that a private key and a certificate belong together.
    Match(MatchArgs),
    /// Verify a certificate through a bundle to a trusted root: `verify cert.pem bundle.pem [root.pem]`.
    Verify(VerifyArgs),
    /// Order certificates leaf -> intermediates -> root into one file.
    Bundle(BundleArgs),
    /// Convert a certificate, CSR, key or CRL between PEM and DER.
    Convert(ConvertArgs),
    /// Remove the password from a private key (PKCS#8, or legacy `Proc-Type: 4,ENCRYPTED` PEM).
    Unlock(UnlockArgs),
    /// Encrypt a private key with a password (PKCS#8 PBES2, AES-256-CBC).
    Lock(LockArgs),
    /// PKCS#12 (.pfx/.p12) files: `pkcs12 split FILE.pfx`, `pkcs12 create --key --cert --out`.
    #[command(subcommand)]
    Pkcs12(super::pkcs12::Pkcs12Command),
    /// Print the OpenSSH public key line of the private key in a .pfx/.p12 file.
    #[command(name = "pkcs12-to-ssh")]
    Pkcs12ToSsh(super::pkcs12::ToSshArgs),
}

/// Where a key password comes from.
#[derive(Debug, Args, Clone)]
pub struct PasswordArgs {
    /// File holding the key password (else PRIVCA_PASSPHRASE, else a prompt).
    #[arg(long, alias = "passphrase-file")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Base name: writes NAME.key.
    pub name: String,
    /// rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384 or ed25519.
    #[arg(long, default_value = "rsa-2048")]
    pub key_type: String,
    /// Encrypt the key with a password (PBES2, AES-256-CBC).
    #[arg(long)]
    pub encrypt: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct CsrArgs {
    /// Base name: writes NAME.key (unless --key) and NAME.csr.
    pub name: String,
    /// Attributes as NAME:value: CN, O, OU, L, ST, C, emailAddress, subjectAltName (comma list).
    pub attributes: Vec<String>,
    /// Use this existing key instead of generating NAME.key.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Type of the generated key.
    #[arg(long, default_value = "rsa-2048")]
    pub key_type: String,
    /// Write the request as DER instead of PEM.
    #[arg(long)]
    pub der: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct SelfsignedArgs {
    /// Base name: writes NAME.key (unless --key) and NAME.crt.
    pub name: String,
    /// Attributes as NAME:value (see `csr`).
    pub attributes: Vec<String>,
    /// Validity in days.
    #[arg(long, default_value_t = 3650)]
    pub days: i64,
    #[arg(long)]
    pub key: Option<PathBuf>,
    #[arg(long, default_value = "rsa-2048")]
    pub key_type: String,
    #[arg(long)]
    pub der: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Base name of the request: reads CSRNAME.csr, writes CSRNAME.crt.
    pub csr_name: String,
    /// Base name of the CA: CANAME.key and CANAME.crt.
    pub ca_name: String,
    /// Template (a shipped profile name) deciding key usages and SAN rules.
    #[arg(long, alias = "template", default_value = "Webclientandserver")]
    pub profile: String,
    /// Validity in days (clamped to the template's maximum and the CA's expiry).
    #[arg(long)]
    pub days: Option<i64>,
    #[arg(long)]
    pub der: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    pub file: PathBuf,
    /// JSON output for scripts.
    #[arg(long)]
    pub json: bool,
    /// Password of a .pfx/.p12 file (`--password-file F`), to show what it holds.
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    pub key: PathBuf,
    pub cert: PathBuf,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PurposeArg {
    Server,
    Client,
    Any,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The certificate (extra certificates in the same file count as bundle).
    pub cert: PathBuf,
    /// The bundle of intermediates (it may hold the root too).
    pub bundle: Option<PathBuf>,
    /// The trusted CA certificate(s); default: the self-signed certificates of the bundle.
    pub ca: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "any")]
    pub purpose: PurposeArg,
    /// Host name or IP address the certificate must be valid for.
    #[arg(long)]
    pub name: Option<String>,
    /// Check at this time instead of now: 2025-06-01 or 2025-06-01T12:00:00Z.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long)]
    pub json: bool,
    /// The bundle of intermediates, as a flag (same as the BUNDLE argument).
    #[arg(long)]
    pub chain: Option<PathBuf>,
    /// Check revocation against this CRL file (DER or PEM) of the leaf's issuer.
    #[arg(long)]
    pub crl: Option<PathBuf>,
    /// Check revocation against the CRL fetched from this URL.
    #[arg(long)]
    pub crl_url: Option<String>,
    /// Ask the OCSP responder named in the leaf's AIA extension.
    #[arg(long)]
    pub ocsp: bool,
    /// Ask this OCSP responder instead of the AIA's (implies --ocsp).
    #[arg(long)]
    pub ocsp_url: Option<String>,
    /// What an undecided revocation check (stale CRL, unreachable responder) means (guide 002).
    #[arg(long, value_enum, default_value = "treat-as-revoked")]
    pub fallback: FallbackArg,
}

/// Guide 002's choice when revocation status cannot be established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FallbackArg {
    /// Fail closed: refuse the certificate.
    TreatAsRevoked,
    /// Fail open: accept it, with a warning.
    TreatAsNotRevoked,
}

#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The certificate (leaf).
    pub cert: PathBuf,
    /// Files with the rest of the chain, in any order.
    pub chain: Vec<PathBuf>,
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the root (servers normally leave it out).
    #[arg(long)]
    pub include_root: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Encoding {
    Pem,
    Der,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    pub file: PathBuf,
    #[arg(long, value_enum)]
    pub to: Encoding,
    /// Output file (default: the input name with .pem or .der).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    pub key: PathBuf,
    /// Write here instead of replacing KEY.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    pub key: PathBuf,
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub password: PasswordArgs,
}
