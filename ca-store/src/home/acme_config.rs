//! The `[acme.NAME]` sections of `ca.toml`: one per ACME front door (`/acme/NAME/directory`).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Who decides issuance of a finalized ACME order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AcmeApproval {
    /// The validated challenges are the approval: the certificate is issued at finalize.
    #[default]
    Auto,
    /// The template's own rule applies: a `manual` template puts the request in the approval
    /// queue and the order stays `processing` until an administrator decides.
    Template,
}

/// How challenges are validated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AcmeValidation {
    /// The daemon connects to the identifier (http-01, tls-alpn-01) or queries DNS (dns-01).
    #[default]
    Challenge,
    /// Every challenge the client answers is valid without a check (like Pebble's
    /// PEBBLE_VA_ALWAYS_VALID). For benchmarks and tests only: anyone can get any name the
    /// template allows.
    AlwaysValid,
}

/// One ACME front door.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeEndpointConfig {
    /// The template orders are issued with (when the client names no profile).
    pub template: String,
    /// `auto` (a valid challenge is the approval) or `template` (the template's rule applies).
    #[serde(default)]
    pub approval: AcmeApproval,
    /// New accounts must carry an External Account Binding (`ca-cli acme eab create`).
    #[serde(default)]
    pub eab_required: bool,
    /// Published as `meta.termsOfService`.
    #[serde(default)]
    pub terms_of_service: Option<String>,
    /// Published as `meta.website`.
    #[serde(default)]
    pub website: Option<String>,
    /// ACME profiles (the directory's `meta.profiles`): profile name -> template. The
    /// endpoint's own template is always offered under its own name too.
    #[serde(default)]
    pub profiles: BTreeMap<String, String>,
    /// Challenge types offered; default all of http-01, dns-01, tls-alpn-01.
    #[serde(default)]
    pub challenges: Option<Vec<String>>,
    /// `challenge` (default) or `always-valid` (tests and benchmarks only).
    #[serde(default)]
    pub validation: AcmeValidation,
    /// Port the daemon connects to for http-01 (default 80, as RFC 8555 requires).
    #[serde(default)]
    pub http01_port: Option<u16>,
    /// Port the daemon connects to for tls-alpn-01 (default 443).
    #[serde(default)]
    pub tls_alpn01_port: Option<u16>,
    /// DNS server (`IP:port`) for dns-01 TXT and A/AAAA lookups; default the system resolver.
    #[serde(default)]
    pub dns_resolver: Option<String>,
    /// Static host map consulted before DNS: name -> IP address.
    #[serde(default)]
    pub hosts: BTreeMap<String, String>,
    /// How long a new order (and its authorizations) may stay unfinished, hours (default 24).
    #[serde(default)]
    pub order_lifetime_hours: Option<u64>,
}

impl AcmeEndpointConfig {
    /// The front door every new home gets: WebServer, challenge is the approval.
    pub fn default_endpoint() -> AcmeEndpointConfig {
        AcmeEndpointConfig {
            template: "WebServer".into(),
            approval: AcmeApproval::Auto,
            eab_required: false,
            terms_of_service: None,
            website: None,
            profiles: BTreeMap::new(),
            challenges: None,
            validation: AcmeValidation::Challenge,
            http01_port: None,
            tls_alpn01_port: None,
            dns_resolver: None,
            hosts: BTreeMap::new(),
            order_lifetime_hours: None,
        }
    }
}

/// The commented `[acme.default]` section of a new `ca.toml`.
pub const DEFAULT_ACME_SECTION: &str = r#"
# ACME (RFC 8555) front doors on the HTTPS listener: https://HOST:PORT/acme/NAME/directory.
# certbot, lego, cert-manager, Caddy and Traefik use them unchanged. Every order still goes
# through its template's policy, the index, the approval queue and the audit log.
[acme.default]
# Template of the certificates issued here.
template = "WebServer"
# "auto": the validated challenges are the approval. "template": the template's rule applies
# (a manual template leaves the order "processing" until `ca-cli requests approve`).
approval = "auto"
# Require External Account Binding keys (`ca-cli acme eab create --endpoint default`).
eab_required = false
# Extra ACME profiles (directory meta.profiles): name = template.
# profiles = { Webclientandserver = "Webclientandserver" }
# challenges = ["http-01", "dns-01", "tls-alpn-01"]
# For private networks and tests: the ports the daemon validates on (RFC: 80 and 443), a DNS
# server for lookups, and a static host map consulted first.
# http01_port = 80
# tls_alpn01_port = 443
# dns_resolver = "10.0.0.53:53"
# hosts = { "www.example.internal" = "10.0.0.7" }
# order_lifetime_hours = 24
"#;
