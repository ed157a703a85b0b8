//! `ca.toml`: the one configuration file of a CA home. Paths in it are relative to the home.
//! It is written with comments (the documentation an administrator reads) and read strictly.
use std::collections::BTreeMap;

use ca_core::keys::KeyType;
use serde::{Deserialize, Serialize};

use crate::redb::CommitMode;

/// The whole `ca.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeConfig {
    pub server: ServerConfig,
    pub store: StoreConfig,
    /// Directory of template files.
    #[serde(default = "default_profiles_dir")]
    pub profiles_dir: String,
    /// File holding the key passphrase (development homes only; production uses a prompt or
    /// PRIVCA_PASSPHRASE).
    #[serde(default)]
    pub passphrase_file: Option<String>,
    /// Issuers by name; profiles name the one they sign with.
    pub issuers: BTreeMap<String, IssuerConfig>,
    /// ACME front doors by name (`/acme/NAME/directory`).
    #[serde(default)]
    pub acme: BTreeMap<String, super::acme_config::AcmeEndpointConfig>,
}

fn default_profiles_dir() -> String {
    "profiles".into()
}

/// Listener addresses and the public base URL written into certificates.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub https: String,
    pub http: String,
    /// Base URL of the plain-HTTP listener as relying parties reach it (CDP, AIA).
    pub public_url: String,
}

/// Where the index lives.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    pub path: String,
    /// How durable commits reach the disk: `two-phase` (default) or `checksum`.
    #[serde(default, skip_serializing_if = "is_default_commit")]
    pub commit: CommitMode,
}

fn is_default_commit(mode: &CommitMode) -> bool {
    *mode == CommitMode::default()
}

/// How serials are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SerialMode {
    /// A millisecond time prefix and 72 CSPRNG bits (the default; CA/B requires at least 64).
    Random,
    /// demoCA-style counter starting at `serial_start`.
    Sequential,
}

/// One issuer: a root and the intermediate that signs leaves.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    pub key_type: KeyType,
    pub root_cert: String,
    pub root_key: String,
    pub cert: String,
    pub key: String,
    pub serial: SerialMode,
    /// First sequential serial, hex.
    #[serde(default = "default_serial_start")]
    pub serial_start: String,
    pub crl_urls: Vec<String>,
    pub ocsp_urls: Vec<String>,
    pub ca_issuers_urls: Vec<String>,
    /// CDP of the root's CRL, written into the intermediate.
    pub root_crl_urls: Vec<String>,
    /// Where the root certificate is published, written into the intermediate's AIA.
    pub root_ca_issuers_urls: Vec<String>,
    /// Validity of a full CRL in hours (thisUpdate to nextUpdate); default 168 (7 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crl_validity_hours: Option<u64>,
    /// How often the daemon issues a new full CRL (and rebases deltas) in hours; default 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crl_refresh_hours: Option<u64>,
    /// Validity of a delta CRL in hours; default 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_crl_validity_hours: Option<u64>,
    /// `/health` turns unhealthy when a served CRL is this close to its nextUpdate, in hours;
    /// default 48.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crl_warning_hours: Option<u64>,
}

/// How long an issuer's CRLs hold and when they are renewed (see [`IssuerConfig::crl_timing`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrlTiming {
    /// Full CRL thisUpdate to nextUpdate.
    pub full_validity_hours: u64,
    /// Interval between scheduled full CRLs.
    pub refresh_hours: u64,
    /// Delta CRL thisUpdate to nextUpdate.
    pub delta_validity_hours: u64,
    /// Health warning window before nextUpdate.
    pub warning_hours: u64,
}

fn default_serial_start() -> String {
    "1000".into()
}

impl IssuerConfig {
    /// The default layout and URLs for issuer `name` under `public_url`.
    pub fn new(name: &str, key_type: KeyType, public_url: &str) -> IssuerConfig {
        let base = public_url.trim_end_matches('/');
        IssuerConfig {
            key_type,
            root_cert: format!("issuers/{name}/root.crt"),
            root_key: format!("issuers/{name}/root.key"),
            cert: format!("issuers/{name}/intermediate.crt"),
            key: format!("issuers/{name}/intermediate.key"),
            serial: SerialMode::Random,
            serial_start: default_serial_start(),
            crl_urls: vec![format!("{base}/crl/{name}.crl")],
            ocsp_urls: vec![format!("{base}/ocsp")],
            ca_issuers_urls: vec![format!("{base}/ca/{name}/intermediate.der")],
            root_crl_urls: vec![format!("{base}/crl/{name}-root.crl")],
            root_ca_issuers_urls: vec![format!("{base}/ca/{name}/root.der")],
            crl_validity_hours: None,
            crl_refresh_hours: None,
            delta_crl_validity_hours: None,
            crl_warning_hours: None,
        }
    }

    /// CRL timing with the defaults filled in.
    /// The refresh interval and warning window are clamped to half the full CRL's validity, so
    /// a short validity cannot leave a CRL to lapse or keep the daemon permanently unhealthy.
    pub fn crl_timing(&self) -> CrlTiming {
        let full = self.crl_validity_hours.unwrap_or(168).max(2);
        CrlTiming {
            full_validity_hours: full,
            refresh_hours: self.crl_refresh_hours.unwrap_or(24).clamp(1, full / 2),
            delta_validity_hours: self.delta_crl_validity_hours.unwrap_or(24).max(1),
            warning_hours: self.crl_warning_hours.unwrap_or(48).min(full / 2),
        }
    }

    /// The first sequential serial as a number.
    pub fn serial_start_value(&self) -> Option<u128> {
        u128::from_str_radix(self.serial_start.trim_start_matches("0x"), 16).ok()
    }
}

const HEADER: &str = r#"# privca CA home configuration (ca.toml). Paths are relative to this directory.
# Edit with care: the daemon and ca-cli refuse to start on unknown keys or bad values.

# Template files (one TOML file per template; the file name is the template name).
profiles_dir = "profiles"

[server]
# HTTPS listener: enrollment API, admin API (mTLS), ACME.
https = "{https}"
# Plain-HTTP listener: only what relying parties fetch without TLS (CA certificates, CRLs, OCSP).
http = "{http}"
# Base URL of the plain-HTTP listener as relying parties reach it; CRL distribution points and
# AIA URLs of new certificates are built from it when an issuer is created.
public_url = "{public_url}"

[store]
# The certificate index (redb, crash-safe, every commit fsync'd).
path = "index.redb"
# How a commit reaches the disk: "two-phase" (pages, fsync, commit slot, fsync; the default)
# or "checksum" (one fsync; after a crash the newest commit whose checksums verify is kept).
# Both are durable and crash-safe; "checksum" issues 15-25% more certificates per second
# under load (README, "Benchmarks").
# commit = "two-phase"
"#;

/// Renders a new `ca.toml` with comments.
pub fn render_header(https: &str, http: &str, public_url: &str, passphrase_file: Option<&str>) -> String {
    let mut s = HEADER
        .replace("{https}", https)
        .replace("{http}", http)
        .replace("{public_url}", public_url);
    if let Some(f) = passphrase_file {
        let note = format!(
            "\n# DEVELOPMENT HOME: the key passphrase sits in this file. Production CAs are made with\n# `ca-cli init` and take the passphrase from a prompt or PRIVCA_PASSPHRASE.\npassphrase_file = \"{f}\"\n"
        );
        // Top-level keys must come before the first table.
        s = s.replacen("\n[server]", &format!("{note}\n[server]"), 1);
    }
    s
}

/// Renders one `[issuers.NAME]` section with comments, to append to `ca.toml`.
pub fn render_issuer(name: &str, c: &IssuerConfig) -> String {
    let list = |v: &[String]| v.iter().map(|u| format!("{u:?}")).collect::<Vec<_>>().join(", ");
    format!(
        r#"
[issuers.{name}]
# Key algorithm of this issuer's root and intermediate.
key_type = "{key_type}"
# Self-signed root; its key (PKCS#8, PBES2-encrypted, mode 0600) is only used for root
# operations: new intermediates, subordinate CAs, the root's CRL.
root_cert = "{root_cert}"
root_key = "{root_key}"
# The intermediate that signs certificates.
cert = "{cert}"
key = "{key}"
# Serial numbers: "random" (72 CSPRNG bits after a millisecond time prefix) or "sequential" (demoCA style from serial_start, hex).
serial = "{serial}"
serial_start = "{serial_start}"
# Written into every certificate this intermediate signs.
crl_urls = [{crl}]
ocsp_urls = [{ocsp}]
ca_issuers_urls = [{cai}]
# Written into the intermediate: where the root's CRL and certificate are published.
root_crl_urls = [{rcrl}]
root_ca_issuers_urls = [{rcai}]
# CRL timing in hours (the daemon's defaults shown): full CRL validity, how often a new base
# full CRL is issued, delta CRL validity, and how close to nextUpdate /health turns unhealthy.
# crl_validity_hours = 168
# crl_refresh_hours = 24
# delta_crl_validity_hours = 24
# crl_warning_hours = 48
"#,
        key_type = c.key_type,
        root_cert = c.root_cert,
        root_key = c.root_key,
        cert = c.cert,
        key = c.key,
        serial = if c.serial == SerialMode::Random {
            "random"
        } else {
            "sequential"
        },
        serial_start = c.serial_start,
        crl = list(&c.crl_urls),
        ocsp = list(&c.ocsp_urls),
        cai = list(&c.ca_issuers_urls),
        rcrl = list(&c.root_crl_urls),
        rcai = list(&c.root_ca_issuers_urls),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crl_timing_defaults_and_clamps() {
        let mut c = IssuerConfig::new("default", KeyType::EcdsaP256, "http://127.0.0.1:8080");
        assert_eq!(
            c.crl_timing(),
            CrlTiming {
                full_validity_hours: 168,
                refresh_hours: 24,
                delta_validity_hours: 24,
                warning_hours: 48,
            }
        );
        c.crl_validity_hours = Some(24);
        let t = c.crl_timing();
        assert_eq!((t.refresh_hours, t.warning_hours), (12, 12));
        // Old ca.toml files without the new keys still load; the rendered section documents them.
        let text = render_issuer("default", &IssuerConfig::new("default", KeyType::EcdsaP256, "http://x"));
        assert!(text.contains("# crl_validity_hours = 168"));
    }

    #[test]
    fn store_commit_mode_parses_defaults_and_names_bad_values() {
        let parse = |t: &str| toml::from_str::<StoreConfig>(t);
        assert_eq!(parse("path = \"i.redb\"").unwrap().commit, CommitMode::TwoPhase);
        let c = parse("path = \"i.redb\"\ncommit = \"checksum\"").unwrap();
        assert_eq!(c.commit, CommitMode::Checksum);
        assert_eq!(
            parse("path = \"i\"\ncommit = \"two-phase\"").unwrap().commit,
            CommitMode::TwoPhase
        );
        let err = parse("path = \"i\"\ncommit = \"fast\"").unwrap_err().to_string();
        assert!(err.contains("fast") && err.contains("checksum"), "{err}");
        // The documented template still parses, with the option commented out.
        assert!(HEADER.contains("# commit = \"two-phase\""));
    }
}
