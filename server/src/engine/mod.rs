//! The event engine: everything between a stored event and a reply that
//! reached the platform. It owns no HTTP routes and never sees `AppState`:
//! each worker is started with exactly the parts it uses.
//!
//! - [`ingest`]: the group-commit writer that stores what webhooks and the
//!   web chat received, many requests to a transaction.
//! - [`turns`]: applies one event to a conversation, exactly once, in one
//!   transaction with everything it causes (the shell around the pure
//!   interpreter).
//! - [`pipeline`]: the inbox worker, feeding stored webhook and web-chat
//!   events to [`turns`] in order, one shopper at a time.
//! - [`sender`]: the outbox worker, sending replies to the Graph API within
//!   the platforms' rate limits, with retries.
//! - [`http_steps`]: the worker that performs flows' HTTP request steps.
//! - [`claims`]: renews this instance's work claims and gives back those of
//!   stopped instances.
//! - [`ratelimit`]: token buckets for the send rates.
//! - [`live`]: wakes this instance's web-chat streams when a conversation
//!   changes.
//!
//! [`Engine`] is the one handle requests and workers share: the turn runner
//! with its flow cache, the workers' wake-ups, the live streams and this
//! instance's id.

pub mod alerts;
pub mod claims;
pub mod http_steps;
pub mod ingest;
pub mod live;
pub mod pipeline;
pub mod ratelimit;
pub mod sender;
pub mod turns;

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::crypto::Sealer;
use crate::store::Store;

pub use live::LiveStreams;
pub use turns::{Applied, Delivery, Turn, TurnError};

/// The engine's shared handle; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    public_url: Arc<str>,
    flows: Mutex<turns::FlowCache>,
    wake: Wake,
    live: LiveStreams,
    instance: Arc<str>,
    ingest: ingest::Ingest,
}

/// The workers' wake-up calls: each worker also looks every few seconds,
/// so a missed call only delays work.
#[derive(Default)]
pub struct Wake {
    /// Inbound events were stored.
    pub inbox: Notify,
    /// Outbound messages were queued.
    pub outbox: Notify,
    /// HTTP steps were queued.
    pub http: Notify,
    /// Handoff notifications were queued.
    pub notify: Notify,
}

impl Engine {
    /// An engine over `store`; links in messages use `public_url`. Starts
    /// the ingest writer, so it must be called inside the Tokio runtime.
    pub fn new(store: Store, public_url: Arc<str>) -> Engine {
        let (ingest, queue) = ingest::Ingest::new();
        let engine = Engine {
            inner: Arc::new(Inner {
                store,
                public_url,
                flows: Mutex::new(turns::FlowCache::new(turns::FLOW_CACHE_BYTES)),
                wake: Wake::default(),
                live: LiveStreams::default(),
                instance: format!("{:016x}", rand::random::<u64>()).into(),
                ingest,
            }),
        };
        tokio::spawn(ingest::writer(Arc::downgrade(&engine.inner), queue));
        engine
    }

    /// The compiled flows kept in memory.
    pub fn flows(&self) -> &Mutex<turns::FlowCache> {
        &self.inner.flows
    }

    /// The workers' wake-up calls.
    pub fn wake(&self) -> &Wake {
        &self.inner.wake
    }

    /// This instance's live web-chat streams.
    pub fn live(&self) -> &LiveStreams {
        &self.inner.live
    }

    /// This process's name in work claims (see [`claims`]).
    pub fn instance(&self) -> &Arc<str> {
        &self.inner.instance
    }

    /// Stores what a request received durably, in a group commit with
    /// whatever other requests are waiting (see [`ingest`]), and answers
    /// once it is committed.
    pub async fn ingest(
        &self,
        parcel: ingest::Parcel,
    ) -> Result<ingest::Stored, ingest::IngestError> {
        self.inner.ingest.submit(parcel).await
    }

    /// True while a request waits for the ingest writer (see
    /// [`ingest::Ingest`]).
    pub(crate) fn ingest_pending(&self) -> bool {
        self.inner.ingest.pending()
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
}

/// The settings every outbound HTTP client shares: Botme's user agent, a
/// five-second connect timeout, and no redirects (Meta does not redirect,
/// and a redirect could lead an HTTP step past its address check).
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("Botme/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
}

/// What the background workers need besides the engine, gathered once at
/// start-up from the configuration.
#[derive(Clone)]
pub struct Workers {
    /// The inbox worker's settings.
    pub pipeline: pipeline::Settings,
    /// The outbox worker's settings.
    pub sender: sender::Settings,
    /// The HTTP-step worker's settings.
    pub http_steps: http_steps::Settings,
}

/// Starts the background workers: work claims, the inbox pipeline, the
/// sender and the HTTP-step worker.
pub fn spawn_workers(engine: &Engine, sealer: &Sealer, workers: &Workers) {
    claims::spawn(engine.clone(), workers.sender.echo_wait);
    pipeline::spawn(engine.clone(), workers.pipeline.clone());
    sender::spawn(engine.clone(), sealer.clone(), workers.sender.clone());
    alerts::spawn(
        engine.clone(),
        sealer.clone(),
        workers.http_steps.allow_private,
        workers.sender.retry_base_ms.max(1_000),
    );
    http_steps::spawn(engine.clone(), workers.http_steps.clone());
}

/// How much work one worker has in flight: it claims only as many items as
/// it has room for, so a slow platform or server keeps the work in the
/// database, not in memory and sockets.
pub(crate) struct InFlight(Arc<tokio::sync::Semaphore>);

/// Room for up to `size` items, with a place for each, taken as the items
/// are started.
pub(crate) struct Room {
    first: Option<tokio::sync::OwnedSemaphorePermit>,
    slots: Arc<tokio::sync::Semaphore>,
    /// How many items may be claimed.
    pub size: usize,
}

impl InFlight {
    /// At most `n` items at once.
    pub fn new(n: usize) -> InFlight {
        InFlight(Arc::new(tokio::sync::Semaphore::new(n)))
    }

    /// Waits until at least one item fits.
    pub async fn room(&self) -> Room {
        let first = self
            .0
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        Room {
            first: Some(first),
            slots: self.0.clone(),
            size: 1 + self.0.available_permits(),
        }
    }
}

impl Room {
    /// The place of the next item started; held until the item ends.
    pub fn take(&mut self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.first
            .take()
            .or_else(|| self.slots.clone().try_acquire_owned().ok())
    }
}
