//! The administrator's verbs over the admin API (mTLS): the approval queue, revocation,
//! enrollment tokens, certificate search and the audit log.
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use ca_core::revocation::Reason;
use ca_store::home::CaHome;

use super::api::Api;
use super::offline;
use super::{AdminArgs, ServerArgs};

#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// List requests (default: pending).
    List {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        admin: AdminArgs,
        /// pending, issued, denied or all.
        #[arg(long, default_value = "pending")]
        status: String,
    },
    /// Show one request with its decoded CSR and the template's verdict.
    Show {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        admin: AdminArgs,
        id: u64,
    },
    /// Approve (issue) a pending request.
    Approve {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        admin: AdminArgs,
        id: u64,
    },
    /// Deny a pending request.
    Deny {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        admin: AdminArgs,
        id: u64,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub admin: AdminArgs,
    /// Serial number (hex).
    pub serial: String,
    /// RFC 5280 reason: unspecified, keyCompromise, cACompromise, affiliationChanged,
    /// superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise.
    #[arg(long, default_value = "unspecified")]
    pub reason: String,
    /// The issuer, when the serial exists under several.
    #[arg(long)]
    pub issuer: Option<String>,
    /// When the certificate was revoked (RFC 3339 or unix seconds; default now).
    #[arg(long)]
    pub time: Option<String>,
}

#[derive(Debug, Args)]
pub struct UnrevokeArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub admin: AdminArgs,
    /// Serial number (hex) of a certificate on hold.
    pub serial: String,
    #[arg(long)]
    pub issuer: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a one-time enrollment token for a template and names.
    Create {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        admin: AdminArgs,
        #[arg(long)]
        template: String,
        #[arg(long)]
        cn: Option<String>,
        /// Allowed SANs (repeatable).
        #[arg(long = "san")]
        sans: Vec<String>,
        /// Lifetime: 1h, 30m, 2d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the audit log; exits 1 and names the first broken entry.
    Verify {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        admin: AdminArgs,
    },
    /// Print audit entries.
    List {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        admin: AdminArgs,
        #[arg(long, default_value_t = 1)]
        from: u64,
    },
}

#[derive(Debug, Args)]
pub struct CertsArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub admin: AdminArgs,
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub profile: Option<String>,
    #[arg(long)]
    pub search: Option<String>,
    #[arg(long)]
    pub serial: Option<String>,
    #[arg(long)]
    pub expiring_within_days: Option<i64>,
}

fn print(json: bool, v: &Value, text: impl FnOnce()) {
    if json {
        println!("{v}");
    } else {
        text();
    }
}

pub fn requests(c: RequestsCommand) -> Result<()> {
    match c {
        RequestsCommand::List { server, admin, status } => {
            let api = Api::admin(&server, &admin)?;
            let mut rb = api.get("/v1/admin/requests");
            if status != "all" {
                rb = rb.query(&[("status", status)]);
            }
            let v = api.send(rb)?.json()?;
            print(server.json, &v, || {
                println!(
                    "{:<6} {:<8} {:<20} {:<9} {:<12} SUBJECT / SAN",
                    "ID", "STATUS", "TEMPLATE", "APPROVALS", "SOURCE"
                );
                for r in v.as_array().into_iter().flatten() {
                    println!(
                        "{:<6} {:<8} {:<20} {:<9} {:<12} {} [{}]",
                        r["request_id"],
                        r["status"].as_str().unwrap_or(""),
                        r["template"].as_str().unwrap_or(""),
                        r["approvals"],
                        r["source"].as_str().unwrap_or(""),
                        r["subject"].as_str().unwrap_or(""),
                        r["sans"]
                            .as_array()
                            .map(|a| a.iter().filter_map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                            .unwrap_or_default()
                    );
                }
            });
        }
        RequestsCommand::Show { server, admin, id } => {
            let api = Api::admin(&server, &admin)?;
            let v = api.send(api.get(&format!("/v1/admin/requests/{id}")))?.json()?;
            print(server.json, &v, || {
                let r = &v["record"];
                println!("Request:    {id} ({})", r["status"].as_str().unwrap_or(""));
                println!("Template:   {}", r["request"]["template"].as_str().unwrap_or(""));
                println!("Subject:    {}", v["csr_subject"].as_str().unwrap_or(""));
                println!(
                    "SAN:        {}",
                    v["csr_sans"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                );
                println!("Key:        {}", v["csr_key"].as_str().unwrap_or(""));
                println!(
                    "Approvals:  {} of {}",
                    r["approvals"].as_array().map(|a| a.len()).unwrap_or(0),
                    v["approvals_required"]
                );
                println!("Verdict:    {}", v["verdict"].as_str().unwrap_or(""));
            });
        }
        RequestsCommand::Approve { server, admin, id } => {
            let api = Api::admin(&server, &admin)?;
            let v = api
                .send(api.post(&format!("/v1/admin/requests/{id}/approve")))?
                .json()?;
            print(server.json, &v, || match v["status"].as_str() {
                Some("issued") => println!(
                    "Request {id} approved and issued: serial {}",
                    v["serial"].as_str().unwrap_or("?")
                ),
                _ => println!(
                    "Request {id} approved ({} of {} approvals); it waits for another administrator",
                    v["approvals"], v["approvals_required"]
                ),
            });
        }
        RequestsCommand::Deny {
            server,
            admin,
            id,
            reason,
        } => {
            let api = Api::admin(&server, &admin)?;
            let v = api
                .send(
                    api.post(&format!("/v1/admin/requests/{id}/deny"))
                        .json(&json!({"reason": reason})),
                )?
                .json()?;
            print(server.json, &v, || println!("Request {id} denied: {reason}"));
        }
    }
    Ok(())
}

pub fn revoke(a: RevokeArgs) -> Result<()> {
    let reason: Reason = a.reason.parse().map_err(anyhow::Error::msg)?;
    let time = a.time.as_deref().map(parse_time).transpose()?;
    if a.server.offline() {
        let home = CaHome::open(a.server.home.as_ref().expect("offline has a home"))?;
        let r = offline::revoke(&home, &a.serial, a.issuer.as_deref(), reason, time)?;
        println!(
            "Revoked {} (issuer {}) with reason {} (offline)",
            r.serial_hex(),
            r.issuer,
            reason
        );
        return Ok(());
    }
    let api = Api::admin(&a.server, &a.admin)?;
    let body = json!({"reason": reason.name(), "issuer": a.issuer, "time": time});
    let v = api
        .send(
            api.post(&format!("/v1/admin/certificates/{}/revoke", a.serial))
                .json(&body),
        )?
        .json()?;
    print(a.server.json, &v, || {
        println!(
            "Revoked {} (issuer {}) with reason {}",
            v["serial"].as_str().unwrap_or("?"),
            v["issuer"].as_str().unwrap_or("?"),
            v["revocation"]["reason"].as_str().unwrap_or("?")
        )
    });
    Ok(())
}

pub fn unrevoke(a: UnrevokeArgs) -> Result<()> {
    if a.server.offline() {
        let home = CaHome::open(a.server.home.as_ref().expect("offline has a home"))?;
        let r = offline::unrevoke(&home, &a.serial, a.issuer.as_deref())?;
        println!(
            "Released the hold on {} (issuer {}) (offline)",
            r.serial_hex(),
            r.issuer
        );
        return Ok(());
    }
    let api = Api::admin(&a.server, &a.admin)?;
    let v = api
        .send(
            api.post(&format!("/v1/admin/certificates/{}/unrevoke", a.serial))
                .json(&json!({"issuer": a.issuer})),
        )?
        .json()?;
    print(a.server.json, &v, || {
        println!(
            "Released the hold on {} (issuer {})",
            v["serial"].as_str().unwrap_or("?"),
            v["issuer"].as_str().unwrap_or("?")
        )
    });
    Ok(())
}

/// RFC 3339 (`2026-11-23T10:00:00Z`) or unix seconds.
fn parse_time(s: &str) -> Result<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| anyhow::anyhow!("--time {s:?} is not RFC 3339 (e.g. 2026-11-23T10:00:00Z): {e}"))?;
    Ok(t.unix_timestamp())
}

pub fn token(c: TokenCommand) -> Result<()> {
    let TokenCommand::Create {
        server,
        admin,
        template,
        cn,
        sans,
        ttl,
    } = c;
    let ttl_seconds = crate::util::parse_period(&ttl)?;
    let api = Api::admin(&server, &admin)?;
    let body = json!({"template": template, "cn": cn, "sans": sans, "ttl_seconds": ttl_seconds});
    let v = api.send(api.post("/v1/admin/tokens").json(&body))?.json()?;
    print(server.json, &v, || {
        println!("{}", v["token"].as_str().unwrap_or(""));
        eprintln!(
            "(one-time token for template {}, valid until unix time {})",
            v["template"].as_str().unwrap_or(""),
            v["expires_at"]
        );
    });
    Ok(())
}

pub fn audit(c: AuditCommand) -> Result<()> {
    match c {
        AuditCommand::Verify { server, admin } => {
            let api = Api::admin(&server, &admin)?;
            let reply = api.send(api.get("/v1/admin/audit/verify"));
            let v = match reply {
                Ok(r) => r.json()?,
                Err(e) => bail!("{e:#}"),
            };
            print(server.json, &v, || {
                println!("Audit log intact: {} entries, hash chain verified", v["entries"])
            });
        }
        AuditCommand::List { server, admin, from } => {
            let api = Api::admin(&server, &admin)?;
            let v = api.send(api.get("/v1/admin/audit").query(&[("from", from)]))?.json()?;
            print(server.json, &v, || {
                for e in v.as_array().into_iter().flatten() {
                    println!(
                        "{:<5} {} {:<18} {} {}",
                        e["seq"],
                        e["event"]["at"],
                        e["event"]["action"].as_str().unwrap_or(""),
                        e["event"]["actor"]["subject"].as_str().unwrap_or(""),
                        e["event"]["details"]
                    );
                }
            });
        }
    }
    Ok(())
}

pub fn certs(a: CertsArgs) -> Result<()> {
    let api = Api::admin(&a.server, &a.admin)?;
    let mut q: Vec<(&str, String)> = Vec::new();
    for (k, v) in [
        ("status", &a.status),
        ("profile", &a.profile),
        ("search", &a.search),
        ("serial", &a.serial),
    ] {
        if let Some(v) = v {
            q.push((k, v.clone()));
        }
    }
    if let Some(d) = a.expiring_within_days {
        q.push(("expiring_within_days", d.to_string()));
    }
    let v = api.send(api.get("/v1/admin/certificates").query(&q))?.json()?;
    print(a.server.json, &v, || {
        for c in v.as_array().into_iter().flatten() {
            println!(
                "{:<34} {:<8} {:<20} {}",
                c["serial"].as_str().unwrap_or(""),
                c["status"].as_str().unwrap_or(""),
                c["profile"].as_str().unwrap_or(""),
                c["subject"].as_str().unwrap_or("")
            );
        }
    });
    Ok(())
}

/// The revoked certificates that the root of `issuer` signed (subordinate CAs), as the daemon
/// lists them, for `crl root` while the daemon holds the index.
pub(crate) fn root_revocations(server: &ServerArgs, admin: &AdminArgs, issuer: &str) -> Result<Vec<Value>> {
    let api = Api::admin(server, admin)?;
    let query = [("issuer", issuer), ("status", "revoked"), ("signer", "root")];
    let v: Value = api.send(api.get("/v1/admin/certificates").query(&query))?.json()?;
    match v {
        Value::Array(list) => Ok(list),
        _ => bail!("the server's certificate list is not a JSON array"),
    }
}
