//! `list`, `show`, `profiles`: reading the index and templates.
use anyhow::{bail, Result};
use ca_core::profile::{eku_name, key_usage_names, Approval, Enroll};
use ca_core::serial::Serial;
use ca_store::home::CaHome;
use ca_store::{CertFilter, CertIndex, CertRecord, CertStatus};

use crate::cli::{ListArgs, ProfilesArgs, ShowArgs, StatusArg};
use crate::util::{fmt_time, now, parse_period};

pub fn list(a: ListArgs) -> Result<()> {
    let home = CaHome::open(&a.home.home)?;
    let index = home.open_index()?;
    let t = now().unix_timestamp();
    let filter = CertFilter {
        issuer: a.issuer,
        status: a.status.map(|s| match s {
            StatusArg::Valid => CertStatus::Valid,
            StatusArg::Revoked => CertStatus::Revoked,
            StatusArg::Expired => CertStatus::Expired,
        }),
        profile: a.profile,
        text: a.search,
        expiring_within: a.expiring_within.as_deref().map(parse_period).transpose()?,
        now: t,
        limit: None,
    };
    let records = index.list(&filter)?;
    if a.json {
        let rows: Vec<_> = records.iter().map(|r| json_row(r, t)).collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<34} {:<8} {:<21} {:<20} {:<10} SUBJECT",
        "SERIAL", "STATUS", "NOT AFTER", "PROFILE", "ISSUER"
    );
    for r in &records {
        println!(
            "{:<34} {:<8} {:<21} {:<20} {:<10} {}",
            r.serial_hex(),
            status_word(r.status(t)),
            fmt_time(r.not_after),
            r.profile,
            r.issuer,
            r.subject
        );
    }
    println!("{} certificate(s)", records.len());
    Ok(())
}

fn status_word(s: CertStatus) -> &'static str {
    match s {
        CertStatus::Valid => "valid",
        CertStatus::Revoked => "revoked",
        CertStatus::Expired => "expired",
    }
}

fn json_row(r: &CertRecord, now: i64) -> serde_json::Value {
    serde_json::json!({
        "serial": r.serial_hex(),
        "issuer": r.issuer,
        "status": status_word(r.status(now)),
        "subject": r.subject,
        "sans": r.sans,
        "profile": r.profile,
        "not_before": fmt_time(r.not_before),
        "not_after": fmt_time(r.not_after),
        "request_id": r.request_id,
        "revocation": r.revocation.as_ref().map(|v| serde_json::json!({"time": fmt_time(v.time), "reason": v.reason})),
    })
}

pub fn show(a: ShowArgs) -> Result<()> {
    let home = CaHome::open(&a.home.home)?;
    let index = home.open_index()?;
    let Some(serial) = Serial::from_hex(&a.serial) else {
        bail!("{:?} is not a hexadecimal serial number", a.serial)
    };
    let mut found = index.find_serial(serial.as_bytes())?;
    if let Some(i) = &a.issuer {
        found.retain(|r| &r.issuer == i);
    }
    let r = match found.len() {
        0 => bail!("no certificate with serial {} in the index", serial.hex()),
        1 => found.remove(0),
        _ => bail!("serial {} exists under several issuers; add --issuer", serial.hex()),
    };
    let t = now().unix_timestamp();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&json_row(&r, t))?);
        return Ok(());
    }
    println!("Serial:      {}", r.serial_hex());
    println!("Status:      {}", status_word(r.status(t)));
    println!("Issuer:      {}", r.issuer);
    println!("Subject:     {}", r.subject);
    println!("SAN:         {}", r.sans.join(", "));
    println!("Profile:     {}", r.profile);
    println!("Not before:  {}", fmt_time(r.not_before));
    println!("Not after:   {}", fmt_time(r.not_after));
    println!("Issued at:   {}", fmt_time(r.issued_at));
    if let Some(id) = r.request_id {
        println!("Request id:  {id}");
    }
    if let Some(rev) = &r.revocation {
        println!("Revoked:     {} (reason code {})", fmt_time(rev.time), rev.reason);
    }
    if a.pem {
        print!("{}", ca_core::pem::encode("CERTIFICATE", &r.der));
    }
    Ok(())
}

pub fn profiles(a: ProfilesArgs) -> Result<()> {
    let home = CaHome::open(&a.home.home)?;
    for p in home.load_profiles()?.iter() {
        let ekus: Vec<String> = p.extended_key_usage.iter().map(eku_name).collect();
        let approval = if p.approval == Approval::Auto { "auto" } else { "manual" };
        let enroll = if p.enroll == Enroll::Open { "open" } else { "token" };
        println!(
            "{:<20} issuer={:<8} KU={} EKU={} days={}/{} enroll={enroll} approval={approval}",
            p.name,
            p.issuer,
            key_usage_names(p.key_usage).join("+"),
            if ekus.is_empty() { "-".into() } else { ekus.join("+") },
            p.default_days,
            p.max_days
        );
    }
    Ok(())
}
