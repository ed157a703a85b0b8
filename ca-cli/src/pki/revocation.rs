//! The revocation part of `verify`: CRL from a file or URL, OCSP from the leaf's AIA, judged by
//! `ca_core::toolbox::revocation_check`, with guide 002's fallback when no decision is possible.
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use ca_core::toolbox::chain::issued_by;
use ca_core::toolbox::revocation_check::{check_crl, check_ocsp_response, ocsp_request, RevocationStatus};
use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};

use super::args::{FallbackArg, VerifyArgs};
use super::files;

/// One revocation source's verdict, in words.
pub struct Finding {
    /// "CRL file x.crl", "CRL http://...", "OCSP http://...".
    pub source: String,
    /// What it said.
    pub status: RevocationStatus,
}

/// Whether any revocation check was asked for.
pub fn wanted(a: &VerifyArgs) -> bool {
    a.crl.is_some() || a.crl_url.is_some() || a.ocsp || a.ocsp_url.is_some()
}

/// Runs the requested checks for `leaf` whose issuer is among `candidates`.
pub fn check(a: &VerifyArgs, leaf: &[u8], candidates: &[Vec<u8>], at: i64) -> Result<Vec<Finding>> {
    let issuer = candidates
        .iter()
        .find(|c| issued_by(leaf, c))
        .ok_or_else(|| anyhow!("revocation checks need the leaf's issuer certificate in the bundle"))?;
    let mut out = Vec::new();
    if let Some(path) = &a.crl {
        let crl = files::read(path)?;
        out.push(Finding {
            source: format!("CRL {}", path.display()),
            status: check_crl(leaf, issuer, &crl, at)?,
        });
    }
    if let Some(url) = &a.crl_url {
        let status = match fetch(url, None) {
            Ok(crl) => check_crl(leaf, issuer, &crl, at)?,
            Err(e) => RevocationStatus::Undetermined { why: format!("{e:#}") },
        };
        out.push(Finding {
            source: format!("CRL {url}"),
            status,
        });
    }
    if a.ocsp || a.ocsp_url.is_some() {
        let urls = match &a.ocsp_url {
            Some(u) => vec![u.clone()],
            None => ocsp_urls(leaf),
        };
        let Some(url) = urls.first() else {
            out.push(Finding {
                source: "OCSP".into(),
                status: RevocationStatus::Undetermined {
                    why: "the certificate names no OCSP responder".into(),
                },
            });
            return Ok(out);
        };
        let req = ocsp_request(leaf, issuer)?;
        let status = match fetch(url, Some(req)) {
            Ok(resp) => check_ocsp_response(&resp, leaf, issuer, at)?,
            Err(e) => RevocationStatus::Undetermined { why: format!("{e:#}") },
        };
        out.push(Finding {
            source: format!("OCSP {url}"),
            status,
        });
    }
    Ok(out)
}

/// Problems the findings amount to under the fallback policy, and notes.
pub fn judge(findings: &[Finding], fallback: FallbackArg) -> (Vec<String>, Vec<String>) {
    let (mut problems, mut notes) = (Vec::new(), Vec::new());
    for f in findings {
        match &f.status {
            RevocationStatus::Good => notes.push(format!("{}: not revoked", f.source)),
            RevocationStatus::Revoked { at, reason } => problems.push(format!(
                "{}: certificate revoked at {} ({reason})",
                f.source,
                ca_core::toolbox::verify::fmt_time(*at)
            )),
            RevocationStatus::Undetermined { why } => match fallback {
                FallbackArg::TreatAsRevoked => problems.push(format!(
                    "{}: revocation status unknown ({why}); treated as revoked (--fallback treat-as-not-revoked to accept)",
                    f.source
                )),
                FallbackArg::TreatAsNotRevoked => notes.push(format!(
                    "{}: revocation status unknown ({why}); treated as not revoked",
                    f.source
                )),
            },
        }
    }
    (problems, notes)
}

fn ocsp_urls(leaf: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = X509Certificate::from_der(leaf) else {
        return Vec::new();
    };
    let mut urls = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for d in &aia.accessdescs {
                if d.access_method == x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_OCSP {
                    if let GeneralName::URI(u) = &d.access_location {
                        urls.push(u.to_string());
                    }
                }
            }
        }
    }
    urls
}

/// GET `url`, or POST `body` as an OCSP request.
fn fetch(url: &str, body: Option<Vec<u8>>) -> Result<Vec<u8>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    // CRLs and OCSP travel over plain HTTP (RFC 5280 4.2.1.13); no TLS roots are trusted.
    let roots = rustls::RootCertStore::empty();
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = reqwest::blocking::Client::builder()
        .use_preconfigured_tls(config)
        .timeout(Duration::from_secs(20))
        .build()
        .context("building the HTTP client")?;
    let resp = match body {
        None => client.get(url).send(),
        Some(b) => client
            .post(url)
            .header("Content-Type", "application/ocsp-request")
            .body(b)
            .send(),
    }
    .with_context(|| format!("fetching {url}"))?;
    if !resp.status().is_success() {
        return Err(anyhow!("{url} answered HTTP {}", resp.status()));
    }
    Ok(resp.bytes().with_context(|| format!("reading {url}"))?.to_vec())
}
