//! Small helpers shared by the command handlers.
use std::path::Path;

use anyhow::{bail, Context, Result};
use ca_store::home::{secret, CaHome};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// The current time (the only clock read of the CLI).
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The passphrase for an existing home.
pub fn passphrase(home: &CaHome, explicit: Option<&Path>) -> Result<Zeroizing<Vec<u8>>> {
    Ok(secret::resolve(explicit, home.passphrase_file().as_deref(), false)?)
}

/// Parses "30d", "12h", "2w", "90m" or a plain number of days into seconds.
pub fn parse_period(s: &str) -> Result<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .with_context(|| format!("period {s:?} must be a number with d, h, w or m"))?;
    let mult = match unit {
        "" | "d" => 86_400,
        "h" => 3_600,
        "w" => 7 * 86_400,
        "m" => 60,
        other => bail!("period {s:?}: unknown unit {other:?} (use d, h, w or m)"),
    };
    Ok(n * mult)
}

/// Formats unix seconds as `2026-11-23 09:00:00Z`.
pub fn fmt_time(t: i64) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&f).ok())
        .unwrap_or_else(|| t.to_string())
}
