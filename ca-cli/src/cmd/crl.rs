//! `crl root`: the root's CRL, signed offline with the root key. Its entries are the revoked
//! certificates the root itself signed (subordinate CAs, `signer = "root"` templates), read
//! from the index, or from the running daemon (`--server`) since the daemon holds the index.
use anyhow::{anyhow, ensure, Context, Result};
use ca_core::revocation::{build_crl, CrlEntry, CrlParams, Reason};
use ca_core::serial::Serial;
use ca_store::home::signed_by::RootSigned;
use ca_store::home::{files, CaHome};
use ca_store::{CertFilter, CertIndex, CertStatus, Revocation};
use serde_json::Value;
use time::Duration;

use crate::cli::CrlRootArgs;
use crate::client::{root_revocations, ServerArgs};
use crate::util::{self, now};

pub fn root(a: CrlRootArgs) -> Result<()> {
    ensure!(a.days >= 1, "--days must be at least 1");
    let home = CaHome::open(&a.home.home)?;
    let cfg = home.issuer_config(&a.issuer)?.clone();
    let entries = match &a.server {
        Some(_) => from_daemon(&a)?,
        None => from_index(&home, &a.issuer)?,
    };
    let pass = util::passphrase(&home, a.home.passphrase_file.as_deref())?;
    let root = home.load_root(&a.issuer, &pass)?;
    let t = now().replace_nanosecond(0)?;
    // The CRL Number: seconds since 1970, increasing across runs without any state to keep.
    let number = u64::try_from(t.unix_timestamp())?;
    let params = CrlParams {
        number,
        this_update: t,
        next_update: t + Duration::days(a.days),
        delta_of: None,
        freshest_urls: &[],
        idp_urls: &cfg.root_crl_urls,
    };
    let der = build_crl(&root, &params, &entries)?;
    let path = home.dir.join("issuers").join(&a.issuer).join("root.crl");
    files::write_atomic(&path, &der)?;
    println!(
        "Wrote root CRL {number} of issuer {} to {} ({} revoked)",
        a.issuer,
        path.display(),
        entries.len()
    );
    println!("  next update: {}", util::fmt_time(params.next_update.unix_timestamp()));
    Ok(())
}

fn from_index(home: &CaHome, issuer: &str) -> Result<Vec<CrlEntry>> {
    let index = home.open_index().context(
        "opening the index (a running ca-server holds it: give --server URL to read the revocations from the daemon)",
    )?;
    let root_signed = RootSigned::of(home, issuer)?;
    let revoked = index.list(&CertFilter {
        issuer: Some(issuer.to_owned()),
        status: Some(CertStatus::Revoked),
        now: now().unix_timestamp(),
        ..CertFilter::default()
    })?;
    Ok(revoked
        .iter()
        .filter(|r| root_signed.record(r))
        .filter_map(|r| Some(r.revocation.as_ref()?.crl_entry(&r.serial)))
        .collect())
}

fn from_daemon(a: &CrlRootArgs) -> Result<Vec<CrlEntry>> {
    let server = ServerArgs {
        server: a.server.clone(),
        ca_cert: a.ca_cert.clone(),
        home: Some(a.home.home.clone()),
        json: false,
    };
    let list = root_revocations(&server, &a.admin, &a.issuer)?;
    list.iter().map(json_entry).collect()
}

/// One entry of the admin API's certificate list.
fn json_entry(v: &Value) -> Result<CrlEntry> {
    let bad = |what: &str| anyhow!("the server listed a revoked certificate without {what}: {v}");
    let serial = v["serial"]
        .as_str()
        .and_then(Serial::from_hex)
        .ok_or_else(|| bad("a serial"))?;
    let r = &v["revocation"];
    let time = r["time"].as_i64().ok_or_else(|| bad("a revocation time"))?;
    let reason: Reason = r["reason"]
        .as_str()
        .unwrap_or("unspecified")
        .parse()
        .map_err(|e| anyhow!("{e} (serial {serial})"))?;
    let revocation = Revocation {
        time,
        reason: reason.code(),
        invalidity_date: r["invalidity_date"].as_i64(),
    };
    Ok(revocation.crl_entry(serial.as_bytes()))
}
