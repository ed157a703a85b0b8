//! The TOML shape of a profile file, exactly as administrators write it. Unknown keys are errors
//! (`deny_unknown_fields`) so a typo never silently weakens a template.
use serde::Deserialize;

/// One template file, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    /// What the template is for, shown in listings.
    #[serde(default)]
    pub description: String,
    /// The issuer (in `ca.toml`) that signs with this template.
    pub issuer: String,
    /// `intermediate` (default) or `root`: which key of the issuer signs. Subordinate CAs are
    /// signed by the root because the intermediate has pathlen:0.
    #[serde(default = "default_signer")]
    pub signer: String,
    /// `leaf` (end-entity), `ca` (a subordinate CA) or `ocsp` (delegated OCSP responder).
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Key usage bits by RFC 5280 name (digitalSignature, keyEncipherment, ...).
    pub key_usage: Vec<String>,
    /// Extended key usages: serverAuth, clientAuth, codeSigning, emailProtection, timeStamping,
    /// OCSPSigning, or a dotted OID.
    #[serde(default)]
    pub extended_key_usage: Vec<String>,
    /// `auto` issues at once; `manual` puts the request in the approval queue.
    #[serde(default = "default_approval")]
    pub approval: String,
    /// Distinct administrators needed to approve a manual request.
    #[serde(default = "default_approvals")]
    pub approvals: u32,
    /// `open` (anyone may submit) or `token` (needs a one-time enrollment token).
    #[serde(default = "default_enroll")]
    pub enroll: String,
    /// Path length for `kind = "ca"`.
    pub path_len: Option<u8>,
    pub validity: ValiditySpec,
    #[serde(default)]
    pub keys: KeysSpec,
    #[serde(default)]
    pub subject: SubjectSpec,
    #[serde(default)]
    pub san: SanSpec,
    /// Overrides of the issuer's CDP/AIA URLs.
    #[serde(default)]
    pub urls: UrlsSpec,
    /// Renewal window: a certificate may be renewed this many days before it expires.
    pub renewal_window_days: Option<u32>,
    /// ACME orders renewing the same names for the same account: `approval` (default, the
    /// template's rule) or `auto` (only the first issuance waits for an administrator).
    pub acme_renewal: Option<String>,
}

fn default_kind() -> String {
    "leaf".into()
}
fn default_signer() -> String {
    "intermediate".into()
}
fn default_approval() -> String {
    "auto".into()
}
fn default_approvals() -> u32 {
    1
}
fn default_enroll() -> String {
    "open".into()
}

/// Validity in days.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValiditySpec {
    pub default_days: u32,
    pub max_days: u32,
}

/// Which keys a request may carry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysSpec {
    /// Key families: rsa, ecdsa, ed25519.
    #[serde(default = "default_families")]
    pub allowed: Vec<String>,
    #[serde(default = "default_rsa_min")]
    pub rsa_min_bits: usize,
    /// Allowed curves: P-256, P-384, P-521.
    #[serde(default = "default_curves")]
    pub ec_curves: Vec<String>,
}

impl Default for KeysSpec {
    fn default() -> Self {
        KeysSpec {
            allowed: default_families(),
            rsa_min_bits: default_rsa_min(),
            ec_curves: default_curves(),
        }
    }
}

fn default_families() -> Vec<String> {
    vec!["rsa".into(), "ecdsa".into(), "ed25519".into()]
}
fn default_rsa_min() -> usize {
    2048
}
fn default_curves() -> Vec<String> {
    vec!["P-256".into(), "P-384".into()]
}

/// Subject rules.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SubjectSpec {
    /// `required`, `optional` or `forbidden`.
    pub cn: Option<String>,
    /// The CN must equal this (e.g. `postgres` for database clients).
    pub cn_fixed: Option<String>,
    /// The CN must match this regular expression (anchored).
    pub cn_pattern: Option<String>,
    /// RDN types copied from the request (others are dropped); default CN, O, OU, L, ST, C.
    pub keep: Option<Vec<String>>,
}

/// Subject alternative name rules.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SanSpec {
    /// Put the CN into the SAN too (when it is a DNS name or IP), as browsers need.
    pub include_cn: Option<bool>,
    /// DNS names must be equal to or under one of these; empty means any.
    #[serde(default)]
    pub dns_suffixes: Vec<String>,
    #[serde(default)]
    pub allow_ip: bool,
    #[serde(default)]
    pub allow_email: bool,
    /// Most SAN entries in one certificate.
    pub max: Option<usize>,
}

/// CRL distribution point and AIA URL overrides.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UrlsSpec {
    pub crl: Option<Vec<String>>,
    pub ocsp: Option<Vec<String>>,
    pub ca_issuers: Option<Vec<String>>,
}
