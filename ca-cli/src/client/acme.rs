//! `ca-cli acme ...`: administrator verbs for the ACME front doors.
use anyhow::Result;
use clap::Subcommand;
use serde_json::json;

use super::api::Api;
use super::{AdminArgs, ServerArgs};

#[derive(Debug, Subcommand)]
pub enum AcmeCommand {
    /// External Account Binding keys.
    #[command(subcommand)]
    Eab(EabCommand),
}

#[derive(Debug, Subcommand)]
pub enum EabCommand {
    /// Create an EAB key for an ACME endpoint; prints the key id and the HMAC key (base64url)
    /// for the client (certbot --eab-kid/--eab-hmac-key, lego --kid/--hmac).
    Create {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        admin: AdminArgs,
        /// The ACME endpoint (`[acme.NAME]` in ca.toml).
        #[arg(long, default_value = "default")]
        endpoint: String,
        /// Bind the account to this template (one of the endpoint's profiles).
        #[arg(long)]
        template: Option<String>,
        /// Names the account may order (repeatable; `*.example.com` allows names under it).
        #[arg(long = "name")]
        names: Vec<String>,
        /// How long the key may be used to create an account: 1h, 7d (default: no limit).
        #[arg(long)]
        ttl: Option<String>,
    },
    /// List EAB keys (never their HMAC keys) and the accounts that used them.
    List {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        admin: AdminArgs,
        /// Only this endpoint's keys.
        #[arg(long)]
        endpoint: Option<String>,
    },
}

pub fn acme(c: AcmeCommand) -> Result<()> {
    match c {
        AcmeCommand::Eab(EabCommand::List {
            server,
            admin,
            endpoint,
        }) => list(server, admin, endpoint),
        AcmeCommand::Eab(EabCommand::Create {
            server,
            admin,
            endpoint,
            template,
            names,
            ttl,
        }) => create(server, admin, endpoint, template, names, ttl),
    }
}

fn list(server: ServerArgs, admin: AdminArgs, endpoint: Option<String>) -> Result<()> {
    let api = Api::admin(&server, &admin)?;
    let mut rb = api.get("/v1/admin/acme/eab");
    if let Some(e) = &endpoint {
        rb = rb.query(&[("endpoint", e)]);
    }
    let v: serde_json::Value = api.send(rb)?.json()?;
    if server.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "{:<18} {:<12} {:<20} {:<24} NAMES",
        "KID", "ENDPOINT", "TEMPLATE", "USED BY ACCOUNT"
    );
    for k in v.as_array().into_iter().flatten() {
        println!(
            "{:<18} {:<12} {:<20} {:<24} {}",
            k["key_id"].as_str().unwrap_or(""),
            k["endpoint"].as_str().unwrap_or(""),
            k["template"].as_str().unwrap_or("-"),
            k["used_by_account"].as_str().unwrap_or("(unused)"),
            k["names"]
                .as_array()
                .map(|a| a.iter().filter_map(|n| n.as_str()).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn create(
    server: ServerArgs,
    admin: AdminArgs,
    endpoint: String,
    template: Option<String>,
    names: Vec<String>,
    ttl: Option<String>,
) -> Result<()> {
    let ttl_seconds = ttl.as_deref().map(crate::util::parse_period).transpose()?;
    let api = Api::admin(&server, &admin)?;
    let body = json!({"endpoint": endpoint, "template": template, "names": names, "ttl_seconds": ttl_seconds});
    let v: serde_json::Value = api.send(api.post("/v1/admin/acme/eab").json(&body))?.json()?;
    if server.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("kid: {}", v["key_id"].as_str().unwrap_or(""));
        println!("hmac_key: {}", v["hmac_key"].as_str().unwrap_or(""));
        eprintln!(
            "(EAB key for ACME endpoint {}; single use; e.g. certbot --eab-kid KID --eab-hmac-key KEY, lego --eab --kid KID --hmac KEY)",
            v["endpoint"].as_str().unwrap_or("")
        );
    }
    Ok(())
}
