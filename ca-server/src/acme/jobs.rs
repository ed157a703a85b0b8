//! Background upkeep of the ACME state: expired orders, their authorizations and seen
//! nonces are purged periodically, so the store does not grow with abandoned orders.
use std::sync::Arc;
use std::time::Duration;

use ca_store::AcmeStore;

use crate::app::App;

/// How often expired ACME state is purged. Small batches keep the single writer free.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// Starts the purge loop (runs until the runtime stops).
pub fn start(app: Arc<App>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            let app = Arc::clone(&app);
            let purged =
                tokio::task::spawn_blocking(move || app.store.purge_expired(crate::app::now().unix_timestamp())).await;
            match purged {
                Ok(Ok(p)) if p.orders + p.authzs + p.nonces > 0 => {
                    tracing::info!(
                        orders = p.orders,
                        authzs = p.authzs,
                        nonces = p.nonces,
                        "purged expired ACME state"
                    )
                }
                Ok(Err(e)) => tracing::warn!("purging expired ACME state failed: {e}"),
                _ => {}
            }
        }
    });
}
