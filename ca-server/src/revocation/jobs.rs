//! Background work that keeps revocation information fresh: the CRL job (start-up CRLs,
//! debounced regeneration after revocations, scheduled rebases and delta refreshes) and the
//! OCSP job (pre-signing every known serial, refreshing at half-life, responder renewal).
use std::sync::Arc;
use std::time::Duration as StdDuration;

use ca_store::{CertFilter, CertIndex};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::{ocsp_cert, ocsp_service};
use crate::app::{now, App};

/// Quiet time after a revocation before CRLs are rebuilt (batches bursts).
const DEBOUNCE: StdDuration = StdDuration::from_millis(200);
/// How often the schedules are checked.
const TICK: StdDuration = StdDuration::from_secs(30);

/// Publishes the first CRLs synchronously (a started daemon serves valid CRLs at once), then
/// spawns the CRL and OCSP jobs.
pub async fn start(app: Arc<App>, passphrase: Zeroizing<Vec<u8>>) -> anyhow::Result<()> {
    let issuers: Vec<String> = app.cas.keys().cloned().collect();
    for issuer in &issuers {
        let (a, i) = (app.clone(), issuer.clone());
        tokio::task::spawn_blocking(move || a.publish_crls(&i, true, now())).await??;
        let (a, i, p) = (app.clone(), issuer.clone(), passphrase.clone());
        let responder = tokio::task::spawn_blocking(move || ocsp_cert::ensure(&a.auth, &p, &i, now())).await??;
        if let Some(r) = responder {
            app.revocation.ocsp.set_responder(issuer, r);
        }
    }
    tokio::spawn(crl_job(app.clone()));
    tokio::spawn(ocsp_job(app, passphrase));
    Ok(())
}

async fn crl_job(app: Arc<App>) {
    let mut tick = tokio::time::interval(TICK);
    loop {
        let changed = tokio::select! {
            _ = app.revocation.changed.notified() => true,
            _ = tick.tick() => false,
        };
        if changed {
            tokio::time::sleep(DEBOUNCE).await;
        }
        let a = app.clone();
        let result = tokio::task::spawn_blocking(move || refresh_crls(&a, changed)).await;
        if let Err(e) = result {
            tracing::error!("CRL job failed: {e}");
        }
        if changed {
            let a = app.clone();
            let _ = tokio::task::spawn_blocking(move || {
                for (issuer, serial) in a.revocation.take_pending() {
                    if let Err(e) = a.presign_ocsp(&issuer, &serial, now()) {
                        tracing::warn!("re-signing the OCSP response of {issuer}: {e}");
                    }
                }
            })
            .await;
        }
    }
}

/// Rebuilds what is due: everything after a change; a rebase when the refresh interval has
/// passed or the full CRL nears its warning window; a new delta at half its validity.
fn refresh_crls(app: &App, changed: bool) {
    let t = now();
    for issuer in app.cas.keys() {
        let Ok(cfg) = app.auth.home().issuer_config(issuer) else {
            continue;
        };
        let timing = cfg.crl_timing();
        let current = app.revocation.crls.get(issuer);
        let (rebase, due) = match &current {
            None => (true, true),
            Some(c) => {
                let rebase = t - c.rebased_at >= Duration::hours(timing.refresh_hours as i64)
                    || c.full.next_update - t < Duration::hours(timing.warning_hours as i64)
                    || t - c.full.this_update >= Duration::hours(timing.refresh_hours as i64);
                let delta_half = Duration::hours(timing.delta_validity_hours as i64) / 2;
                (rebase, changed || rebase || t - c.delta.this_update >= delta_half)
            }
        };
        if due {
            if let Err(e) = app.publish_crls(issuer, rebase, t) {
                tracing::error!("publishing the CRLs of {issuer}: {e}");
            }
        }
    }
    let _ = app.crl_health(t);
}

async fn ocsp_job(app: Arc<App>, passphrase: Zeroizing<Vec<u8>>) {
    let a = app.clone();
    let _ = tokio::task::spawn_blocking(move || presign_all(&a)).await;
    let mut tick = tokio::time::interval(TICK);
    loop {
        tick.tick().await;
        let (a, p) = (app.clone(), passphrase.clone());
        let _ = tokio::task::spawn_blocking(move || {
            renew_responders(&a, &p);
            let half = now() - ocsp_service::RESPONSE_VALIDITY / 2;
            for (issuer, serial) in a.revocation.ocsp.stale(half) {
                if let Err(e) = a.presign_ocsp(&issuer, &serial, now()) {
                    tracing::warn!("refreshing the OCSP response of {issuer}: {e}");
                }
            }
        })
        .await;
    }
}

/// Pre-signs a response for every unexpired certificate of every issuer.
fn presign_all(app: &App) {
    let t = now();
    for issuer in app.cas.keys() {
        let filter = CertFilter {
            issuer: Some(issuer.clone()),
            now: t.unix_timestamp(),
            ..CertFilter::default()
        };
        let records = match app.store.list(&filter) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("listing certificates of {issuer} for OCSP: {e}");
                continue;
            }
        };
        for rec in records.iter().filter(|r| r.not_after > t.unix_timestamp()) {
            if let Err(e) = app.presign_ocsp(issuer, &rec.serial, t) {
                tracing::warn!("pre-signing the OCSP response of {issuer}: {e}");
            }
        }
    }
    tracing::info!(responses = app.revocation.ocsp.cached(), "OCSP responses pre-signed");
}

fn renew_responders(app: &App, passphrase: &[u8]) {
    let t: OffsetDateTime = now();
    for issuer in app.cas.keys() {
        let Some(current) = app.revocation.ocsp.responder(issuer) else {
            continue;
        };
        if !ocsp_cert::due(&current, t) {
            continue;
        }
        match ocsp_cert::ensure(&app.auth, passphrase, issuer, t) {
            Ok(Some(r)) => app.revocation.ocsp.set_responder(issuer, r),
            Ok(None) => {}
            Err(e) => tracing::error!("renewing the OCSP responder of {issuer}: {e:#}"),
        }
    }
}
