//! Work claims across server instances: a message being sent or an HTTP
//! step being performed belongs to the instance that claimed it for as long
//! as that instance keeps renewing the claim. When it stops (it crashed, or
//! was killed), the work goes back in line and any instance takes it up.
//!
//! On SQLite only one process serves a database, so at start every claim of
//! an earlier process is given back at once; on PostgreSQL other instances
//! may be alive, so only claims older than [`CLAIM_LEASE_MS`] are.
//!
//! A message given back may have reached Meta just before its instance
//! died: it waits as long as after an ambiguous failure for the echo or
//! status that proves it (see [`super::sender`]) before it is sent again.

use std::time::Duration;

use super::Engine;
use crate::store::{Backend, CLAIM_LEASE_MS};

/// Starts the task that renews this instance's claims and gives back the
/// claims of instances that stopped.
pub fn spawn(engine: Engine, echo_wait: Duration) {
    let wait = echo_wait.as_millis() as i64;
    tokio::spawn(async move {
        let me = engine.instance().clone();
        let sole = engine.store().backend() == Backend::Sqlite;
        release(&engine, &me, sole, wait).await;
        let every = Duration::from_millis((CLAIM_LEASE_MS / 3) as u64);
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = engine.store().queue().renew_claims(&me).await {
                tracing::warn!(error = %e, "could not renew work claims");
            }
            release(&engine, &me, false, wait).await;
        }
    });
}

async fn release(engine: &Engine, me: &str, all_others: bool, echo_wait_ms: i64) {
    match engine
        .store()
        .queue()
        .release_stale_claims(me, all_others, echo_wait_ms)
        .await
    {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(
                items = n,
                "resuming sends and HTTP steps left unfinished by a stopped instance"
            );
            engine.wake().outbox.notify_one();
            engine.wake().http.notify_one();
        }
        Err(e) => tracing::warn!(error = %e, "could not give back stale work claims"),
    }
}
