//! A small blocking HTTPS client for the privca API: rustls with aws-lc-rs, only the given root
//! trusted, optional client certificate; JSON errors turned into their message.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use ca_core::pem;
use reqwest::blocking::{Client, RequestBuilder, Response};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;

use super::{AdminArgs, ServerArgs};

/// A configured client.
pub struct Api {
    client: Client,
    base: String,
}

/// A response: status and body.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).context("the server's answer is not JSON")
    }
}

fn default_path(home: &Option<PathBuf>, rel: &str) -> Option<PathBuf> {
    home.as_ref().map(|h| h.join(rel))
}

impl Api {
    /// A client trusting `--ca-cert`, presenting `identity` (cert chain PEM + key PEM) if given.
    pub fn new(s: &ServerArgs, identity: Option<(PathBuf, PathBuf)>) -> Result<Api> {
        let ca = s
            .ca_cert
            .clone()
            .or_else(|| default_path(&s.home, "issuers/default/root.crt"))
            .ok_or_else(|| anyhow!("give --ca-cert ROOT (the root certificate to trust) or --home"))?;
        let mut roots = rustls::RootCertStore::empty();
        for der in read_certs(&ca)? {
            roots
                .add(CertificateDer::from(der))
                .with_context(|| format!("{} is not a usable CA certificate", ca.display()))?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots);
        let config = match identity {
            Some((cert, key)) => {
                let chain = read_certs(&cert)?.into_iter().map(CertificateDer::from).collect();
                let key_pem = std::fs::read(&key).with_context(|| format!("reading {}", key.display()))?;
                let key_der = pem::decode_all(&String::from_utf8_lossy(&key_pem))
                    .map_err(|e| anyhow!("{}: {e}", key.display()))?
                    .into_iter()
                    .find(|(l, _)| l == "PRIVATE KEY")
                    .ok_or_else(|| anyhow!("{} holds no unencrypted PKCS#8 PRIVATE KEY", key.display()))?
                    .1;
                let key = PrivateKeyDer::try_from(key_der).map_err(|e| anyhow!("{}: {e}", key.display()))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .context("loading the client certificate")?
            }
            None => builder.with_no_client_auth(),
        };
        let client = Client::builder()
            .use_preconfigured_tls(config)
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .context("building the HTTPS client")?;
        Ok(Api {
            client,
            base: s.url().trim_end_matches('/').to_string(),
        })
    }

    /// As [`Api::new`] with the administrator's credential.
    pub fn admin(s: &ServerArgs, a: &AdminArgs) -> Result<Api> {
        let cert = a
            .admin_cert
            .clone()
            .or_else(|| default_path(&s.home, "admin/admin.crt"));
        let key = a.admin_key.clone().or_else(|| default_path(&s.home, "admin/admin.key"));
        match (cert, key) {
            (Some(c), Some(k)) => Api::new(s, Some((c, k))),
            _ => bail!("give --admin-cert and --admin-key (or --home with the bootstrap credential)"),
        }
    }

    /// A request to `path` (relative to the base URL).
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    /// A POST to `path`.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(format!("{}{path}", self.base))
    }

    /// Sends and returns the reply, or the server's error message for 4xx/5xx.
    pub fn send(&self, rb: RequestBuilder) -> Result<Reply> {
        let resp: Response = rb.send().with_context(|| format!("cannot reach {}", self.base))?;
        let status = resp.status().as_u16();
        let body = resp.bytes().context("reading the answer")?.to_vec();
        if status >= 400 {
            let msg = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            bail!("{msg} (HTTP {status})");
        }
        Ok(Reply { status, body })
    }
}

fn read_certs(path: &Path) -> Result<Vec<Vec<u8>>> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    pem::certificates(&data).map_err(|e| anyhow!("{}: {e}", path.display()))
}
