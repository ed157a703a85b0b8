//! Full and delta CRLs per issuer. A full CRL is issued at start-up, on every change and on a
//! schedule; the delta CRL lists what changed since the *base* full CRL (the one issued at the
//! last rebase, kept in memory as a serial -> reason set): newly revoked certificates and
//! removeFromCRL for released holds. A delta's base number is at most the number of any full
//! CRL served since, so a relying party may apply it to whichever full CRL it holds.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use ca_core::revocation::{build_crl, CrlEntry, CrlParams, Reason};
use ca_core::serial::Serial;
use ca_store::{CertFilter, CertIndex, CertStatus};
use time::{Duration, OffsetDateTime};

use super::Published;
use crate::app::{App, AppError};

/// The CRLs of one issuer.
#[derive(Clone, Debug)]
pub struct IssuerCrls {
    /// The current full CRL.
    pub full: Arc<Published>,
    /// The current delta CRL (over `base_number`).
    pub delta: Arc<Published>,
    /// When the current base was issued (the schedule rebases every `refresh_hours`).
    pub rebased_at: OffsetDateTime,
    base_number: u64,
    base_set: HashMap<Vec<u8>, u8>,
}

/// The CRLs of every issuer, swapped whole on each publication.
#[derive(Default)]
pub struct CrlSet {
    by_issuer: RwLock<BTreeMap<String, IssuerCrls>>,
    /// Serialises publications so numbers and bases stay consistent.
    publishing: Mutex<()>,
}

impl CrlSet {
    /// The CRLs of `issuer`, if any were published.
    pub fn get(&self, issuer: &str) -> Option<IssuerCrls> {
        self.by_issuer
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(issuer)
            .cloned()
    }

    /// All issuers' CRLs.
    pub fn all(&self) -> BTreeMap<String, IssuerCrls> {
        self.by_issuer.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The delta CRL URL for a full CRL URL: `.../x.crl` -> `.../x-delta.crl`.
pub fn delta_url(full: &str) -> String {
    match full.strip_suffix(".crl") {
        Some(stem) => format!("{stem}-delta.crl"),
        None => format!("{full}-delta"),
    }
}

impl App {
    /// Signs and publishes a new full CRL and a new delta CRL for `issuer`. With `rebase` (or
    /// when none exists yet) the new full CRL becomes the base of later deltas.
    pub fn publish_crls(&self, issuer: &str, rebase: bool, now: OffsetDateTime) -> Result<IssuerCrls, AppError> {
        let crls = &self.revocation.crls;
        let _one_at_a_time = crls.publishing.lock().unwrap_or_else(|e| e.into_inner());
        let ca = self
            .auth
            .intermediate(issuer)
            .ok_or_else(|| AppError::NotFound(format!("issuer {issuer} is not unlocked")))?;
        let cfg = self.auth.home().issuer_config(issuer)?;
        let timing = cfg.crl_timing();
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let revoked = self.store.list(&CertFilter {
            issuer: Some(issuer.to_string()),
            status: Some(CertStatus::Revoked),
            now: now.unix_timestamp(),
            ..CertFilter::default()
        })?;
        // What the root signed (the intermediate, subordinate CAs) is on the root's CRL
        // (`ca-cli crl root`).
        let mut entries = Vec::with_capacity(revoked.len());
        let mut current = HashMap::with_capacity(revoked.len());
        for rec in revoked.iter().filter(|r| !self.root_signed(r)) {
            let Some(r) = &rec.revocation else { continue };
            current.insert(rec.serial.clone(), r.reason);
            entries.push(r.crl_entry(&rec.serial));
        }
        let freshest: Vec<String> = cfg.crl_urls.iter().map(|u| delta_url(u)).collect();
        let idp = cfg.crl_urls.clone();

        let full_number = self.crl_number(issuer)?;
        let full_next = now + Duration::hours(timing.full_validity_hours as i64);
        let full_params = CrlParams {
            number: full_number,
            this_update: now,
            next_update: full_next,
            delta_of: None,
            freshest_urls: &freshest,
            idp_urls: &idp,
        };
        let full = Published::new(build_crl(ca, &full_params, &entries)?, full_number, now, full_next);

        let previous = crls.get(issuer);
        let (base_number, base_set, rebased_at) = match previous {
            Some(p) if !rebase => (p.base_number, p.base_set, p.rebased_at),
            _ => (full_number, current.clone(), now),
        };
        let mut delta_entries: Vec<CrlEntry> = entries
            .iter()
            .filter(|e| base_set.get(e.serial.as_bytes()) != Some(&e.reason.code()))
            .cloned()
            .collect();
        for (serial, reason) in &base_set {
            if *reason == Reason::CertificateHold.code() && !current.contains_key(serial) {
                delta_entries.push(CrlEntry {
                    serial: Serial::from_bytes(serial),
                    revoked_at: now,
                    reason: Reason::RemoveFromCrl,
                    invalidity: None,
                });
            }
        }
        let delta_number = self.crl_number(issuer)?;
        let delta_next = now + Duration::hours(timing.delta_validity_hours as i64);
        let delta_params = CrlParams {
            number: delta_number,
            this_update: now,
            next_update: delta_next,
            delta_of: Some(base_number),
            freshest_urls: &[],
            idp_urls: &idp,
        };
        let delta = Published::new(
            build_crl(ca, &delta_params, &delta_entries)?,
            delta_number,
            now,
            delta_next,
        );
        let published = IssuerCrls {
            full: Arc::new(full),
            delta: Arc::new(delta),
            rebased_at,
            base_number,
            base_set,
        };
        crls.by_issuer
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(issuer.to_string(), published.clone());
        crate::metrics::crl_seconds_left(issuer, (full_next - now).whole_seconds());
        tracing::info!(
            issuer,
            full = full_number,
            delta = delta_number,
            base = base_number,
            entries = entries.len(),
            delta_entries = delta_entries.len(),
            "published CRLs"
        );
        Ok(published)
    }

    /// The CRL served under `/crl/{stem}.crl`: `ISSUER` (full), `ISSUER-delta`, `ISSUER-root`.
    pub fn crl_file(&self, stem: &str) -> Option<Arc<Published>> {
        if let Some(c) = self.revocation.crls.get(stem) {
            return Some(c.full);
        }
        if let Some(issuer) = stem.strip_suffix("-delta") {
            return self.revocation.crls.get(issuer).map(|c| c.delta);
        }
        let issuer = stem.strip_suffix("-root")?;
        if !self.cas.contains_key(issuer) {
            return None;
        }
        self.revocation.root_crls.get(&self.auth.home().dir, issuer)
    }

    /// The next CRL Number of `issuer`: a durable counter shared by full and delta CRLs, so
    /// numbers never repeat across restarts.
    fn crl_number(&self, issuer: &str) -> Result<u64, AppError> {
        let n = self.store.next_sequential_serial(&format!("{issuer}/crl-number"), 1)?;
        u64::try_from(n).map_err(|_| AppError::Conflict(format!("CRL number of {issuer} overflowed")))
    }

    /// Problems that make the daemon unhealthy: an issuer without CRLs, or a full CRL within
    /// its warning window of nextUpdate (or a delta past its nextUpdate). Also refreshes the
    /// seconds-to-nextUpdate gauge.
    pub fn crl_health(&self, now: OffsetDateTime) -> Vec<String> {
        let all = self.revocation.crls.all();
        let mut problems = Vec::new();
        for issuer in self.cas.keys() {
            let Some(c) = all.get(issuer) else {
                problems.push(format!("issuer {issuer}: no CRL published yet"));
                continue;
            };
            let left = (c.full.next_update - now).whole_seconds();
            crate::metrics::crl_seconds_left(issuer, left);
            let warn = self
                .auth
                .home()
                .issuer_config(issuer)
                .map(|cfg| cfg.crl_timing().warning_hours as i64 * 3600)
                .unwrap_or(48 * 3600);
            if left < warn {
                let msg = format!("issuer {issuer}: full CRL {} expires in {left} s", c.full.number);
                tracing::warn!("{msg}");
                problems.push(msg);
            }
            if c.delta.next_update <= now {
                problems.push(format!("issuer {issuer}: delta CRL {} has expired", c.delta.number));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn delta_urls_sit_beside_the_full_crl() {
        assert_eq!(
            super::delta_url("http://ca.example:8080/crl/default.crl"),
            "http://ca.example:8080/crl/default-delta.crl"
        );
        assert_eq!(super::delta_url("http://x/crl"), "http://x/crl-delta");
    }
}
