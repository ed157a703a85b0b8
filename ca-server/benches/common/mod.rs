//! What the HTTPS load generators (`enroll_load.rs`, `acme_load.rs`) share: `--name value`
//! options, the rustls client configuration, and latency statistics. Included by each bench
//! with `mod common;` (a directory without `main.rs` is not a bench target of its own).
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Command-line options (`--name value` pairs).
pub struct Opts(Vec<(String, String)>);

impl Opts {
    /// The command line of a load generator: its verb and `--name value` options. `cargo bench`
    /// appends `--bench`, which is dropped; no verb calls `usage`.
    pub fn command_line(usage: fn() -> !) -> Result<(String, Opts), BoxError> {
        let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
        let Some((verb, rest)) = args.split_first() else {
            usage()
        };
        Ok((verb.clone(), Opts::parse(rest, usage)?))
    }

    /// Parses `--name value` pairs; anything else calls `usage`.
    pub fn parse(args: &[String], usage: fn() -> !) -> Result<Opts, BoxError> {
        let mut out = Vec::new();
        let mut it = args.iter();
        while let Some(k) = it.next() {
            let Some(name) = k.strip_prefix("--") else { usage() };
            let v = it.next().ok_or_else(|| format!("{k} needs a value"))?;
            out.push((name.to_string(), v.clone()));
        }
        Ok(Opts(out))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn req(&self, name: &str) -> Result<&str, BoxError> {
        self.get(name).ok_or_else(|| format!("--{name} is required").into())
    }

    pub fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, BoxError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name} {v:?} is not a number").into()),
        }
    }
}

/// rustls (aws-lc-rs) trusting only the certificates in `root`, HTTP/1.1 only.
pub fn tls_config(root: &Path) -> Result<Arc<rustls::ClientConfig>, BoxError> {
    let pem = std::fs::read_to_string(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for (label, der) in ca_core::pem::decode_all(&pem).map_err(|e| format!("{}: {e}", root.display()))? {
        if label == "CERTIFICATE" {
            roots.add(CertificateDer::from(der))?;
        }
    }
    if roots.is_empty() {
        return Err(format!("{} holds no certificate", root.display()).into());
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The `q` quantile (nearest rank) of sorted latencies.
pub fn pct(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}
