//! Offline revocation on a CA home (the daemon must not be running: the index is locked while it
//! runs). The actor in the audit log is the local user.
use anyhow::{bail, Result};
use ca_core::revocation::Reason;
use ca_core::serial::Serial;
use ca_store::home::CaHome;
use ca_store::{Actor, AuditEvent, AuditLog, CertIndex, CertRecord, Revocation};
use serde_json::json;

use crate::util::now;

fn local_actor() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Actor {
        subject: format!("local:{user}"),
        fingerprint: "offline".into(),
    }
}

fn find(index: &dyn CertIndex, serial: &str, issuer: Option<&str>) -> Result<CertRecord> {
    let Some(s) = Serial::from_hex(serial) else {
        bail!("{serial:?} is not a hexadecimal serial number")
    };
    let mut found = index.find_serial(s.as_bytes())?;
    if let Some(i) = issuer {
        let all = found.len();
        found.retain(|r| r.issuer == i);
        if found.is_empty() && all > 0 {
            bail!("certificate {} was not issued by issuer {i}", s.hex());
        }
    }
    match found.len() {
        0 => bail!("no certificate with serial {} in the index", s.hex()),
        1 => Ok(found.remove(0)),
        _ => bail!("serial {} exists under several issuers; add --issuer", s.hex()),
    }
}

/// Revokes `serial` in the home's index at `time` (unix seconds, default now).
pub fn revoke(
    home: &CaHome,
    serial: &str,
    issuer: Option<&str>,
    reason: Reason,
    time: Option<i64>,
) -> Result<CertRecord> {
    let index = home.open_index()?;
    let rec = find(&index, serial, issuer)?;
    if let Some(r) = &rec.revocation {
        if r.reason != Reason::CertificateHold.code() || reason == Reason::CertificateHold {
            bail!("certificate {} is already revoked", rec.serial_hex());
        }
    }
    let t = now().unix_timestamp();
    let at = time.unwrap_or(t);
    let updated = index.set_revocation(
        &rec.issuer,
        &rec.serial,
        Some(Revocation {
            time: at,
            reason: reason.code(),
            invalidity_date: None,
        }),
    )?;
    index.append(AuditEvent {
        at: t,
        actor: local_actor(),
        action: "cert.revoke".into(),
        details: json!({"issuer": updated.issuer, "serial": updated.serial_hex(), "reason": reason.name(), "offline": true}),
    })?;
    Ok(updated)
}

/// Releases a certificateHold.
pub fn unrevoke(home: &CaHome, serial: &str, issuer: Option<&str>) -> Result<CertRecord> {
    let index = home.open_index()?;
    let rec = find(&index, serial, issuer)?;
    match &rec.revocation {
        Some(r) if r.reason == Reason::CertificateHold.code() => {}
        Some(_) => bail!(
            "certificate {} is revoked for good; only a certificateHold can be released",
            rec.serial_hex()
        ),
        None => bail!("certificate {} is not revoked", rec.serial_hex()),
    }
    let updated = index.set_revocation(&rec.issuer, &rec.serial, None)?;
    index.append(AuditEvent {
        at: now().unix_timestamp(),
        actor: local_actor(),
        action: "cert.unrevoke".into(),
        details: json!({"issuer": updated.issuer, "serial": updated.serial_hex(), "offline": true}),
    })?;
    Ok(updated)
}
