//! `submit`, `retrieve`, `renew`: the requester's side of enrollment.
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use ca_store::home::files;
use clap::Args;
use serde_json::{json, Value};

use super::api::Api;
use super::ServerArgs;

/// Exit status when a request is (still) pending, so scripts can tell it from an error.
pub const EXIT_PENDING: i32 = 3;

#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Template name, e.g. WebServer.
    #[arg(long)]
    pub template: String,
    /// The CSR file (PEM or DER).
    pub csr: PathBuf,
    /// Where to write the certificate chain (leaf first, root last) when issued at once.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Validity in days (clamped by the template).
    #[arg(long)]
    pub days: Option<i64>,
    /// One-time enrollment token for templates that need one.
    #[arg(long, env = "PRIVCA_TOKEN")]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct RetrieveArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The RequestId printed by `submit`.
    pub id: u64,
    /// Where to write the certificate chain (or the leaf with --der).
    #[arg(long)]
    pub out: PathBuf,
    /// Write the leaf alone as DER.
    #[arg(long)]
    pub der: bool,
}

#[derive(Debug, Args)]
pub struct RenewArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The current certificate (PEM, leaf first).
    #[arg(long)]
    pub cert: PathBuf,
    /// Its private key (PEM, unencrypted PKCS#8).
    #[arg(long)]
    pub key: PathBuf,
    /// A CSR for a new key (optional: without it the current key is certified again).
    #[arg(long)]
    pub csr: Option<PathBuf>,
    /// Where to write the new chain.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn submit(a: SubmitArgs) -> Result<()> {
    let csr = std::fs::read(&a.csr).with_context(|| format!("reading {}", a.csr.display()))?;
    let api = Api::new(&a.server, None)?;
    let mut q = vec![("template", a.template.clone())];
    if let Some(d) = a.days {
        q.push(("days", d.to_string()));
    }
    if let Some(t) = &a.token {
        q.push(("token", t.clone()));
    }
    let reply = api.send(
        api.post("/v1/requests")
            .query(&q)
            .header("content-type", "application/pkcs10")
            .body(csr),
    )?;
    let v = reply.json()?;
    if a.server.json {
        println!("{v}");
    }
    let id = v["request_id"]
        .as_u64()
        .ok_or_else(|| anyhow!("answer without request_id: {v}"))?;
    if reply.status == 202 {
        if !a.server.json {
            println!("RequestId: {id}");
            println!("Certificate request is pending: Taken Under Submission ({id})");
        }
        std::process::exit(EXIT_PENDING);
    }
    let chain = v["chain"]
        .as_str()
        .ok_or_else(|| anyhow!("answer without chain: {v}"))?;
    if !a.server.json {
        println!("RequestId: {id}");
        println!(
            "Certificate issued: serial {} (issuer {})",
            v["serial"].as_str().unwrap_or("?"),
            v["issuer"].as_str().unwrap_or("?")
        );
    }
    write_or_print(a.out.as_ref(), chain.as_bytes(), a.server.json)
}

pub fn retrieve(a: RetrieveArgs) -> Result<()> {
    let api = Api::new(&a.server, None)?;
    let status = api.send(api.get(&format!("/v1/requests/{}", a.id)))?.json()?;
    match status["status"].as_str() {
        Some("issued") => {}
        Some("pending") => {
            println!("Certificate request is pending: Taken Under Submission ({})", a.id);
            std::process::exit(EXIT_PENDING);
        }
        Some("denied") => bail!(
            "request {} was denied: {}",
            a.id,
            status["denial_reason"].as_str().unwrap_or("no reason given")
        ),
        _ => bail!("unexpected answer: {status}"),
    }
    let path = format!(
        "/v1/requests/{}/certificate{}",
        a.id,
        if a.der { "?format=der" } else { "" }
    );
    let reply = api.send(api.get(&path))?;
    files::write_atomic(&a.out, &reply.body)?;
    if a.server.json {
        println!(
            "{}",
            json!({"request_id": a.id, "status": "issued", "serial": status["serial"], "out": a.out})
        );
    } else {
        println!(
            "Certificate of request {} (serial {}) written to {}",
            a.id,
            status["serial"].as_str().unwrap_or("?"),
            a.out.display()
        );
    }
    Ok(())
}

pub fn renew(a: RenewArgs) -> Result<()> {
    let api = Api::new(&a.server, Some((a.cert.clone(), a.key.clone())))?;
    let body = match &a.csr {
        Some(p) => json!({"csr": std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?}),
        None => json!({}),
    };
    let v: Value = api.send(api.post("/v1/renew").json(&body))?.json()?;
    let chain = v["chain"]
        .as_str()
        .ok_or_else(|| anyhow!("answer without chain: {v}"))?;
    files::write_atomic(&a.out, chain.as_bytes())?;
    if a.server.json {
        println!("{v}");
    } else {
        println!(
            "Renewed: serial {} written to {}",
            v["serial"].as_str().unwrap_or("?"),
            a.out.display()
        );
    }
    Ok(())
}

fn write_or_print(out: Option<&PathBuf>, data: &[u8], quiet: bool) -> Result<()> {
    match out {
        Some(p) => {
            files::write_atomic(p, data)?;
            if !quiet {
                println!("Written to {}", p.display());
            }
        }
        None if !quiet => print!("{}", String::from_utf8_lossy(data)),
        None => {}
    }
    Ok(())
}
