//! Live updates of conversations, for the web-chat streams this instance
//! serves: a stream subscribes to its conversation and is woken after every
//! committed change. On PostgreSQL, changes made by other instances arrive
//! through [`spawn_announcements`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::broadcast;

use super::Engine;
use crate::store::ConversationId;

/// The conversations someone is watching on this instance.
#[derive(Default)]
pub struct LiveStreams {
    channels: Mutex<HashMap<ConversationId, broadcast::Sender<()>>>,
}

impl LiveStreams {
    /// Notifications of new messages in a conversation.
    pub fn subscribe(&self, conv: ConversationId) -> broadcast::Receiver<()> {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(conv)
            .or_insert_with(|| broadcast::channel(16).0)
            .subscribe()
    }

    /// Wakes the streams of a conversation.
    pub fn notify(&self, conv: ConversationId) {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(&conv)
            && tx.send(()).is_err()
        {
            // Nobody listens any more.
            map.remove(&conv);
        }
    }
}

/// Wakes this instance's web-chat streams when another instance changes
/// their conversation (PostgreSQL). Runs whether or not the workers do:
/// streams are served either way.
pub fn spawn_announcements(engine: Engine) {
    tokio::spawn(async move {
        loop {
            let mut listener = match engine.store().listen_conversations().await {
                Ok(Some(l)) => l,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for conversation changes; retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            loop {
                match listener.next().await {
                    Ok(conv) => engine.live().notify(conv),
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the conversation listener; reconnecting");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        break;
                    }
                }
            }
        }
    });
}
