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

/// The conversations someone is watching on this instance, and the
/// shoppers (by external user, `channel:visitor`) whose first
/// conversation someone awaits.
#[derive(Default)]
pub struct LiveStreams {
    channels: Watchers<ConversationId>,
    users: Watchers<String>,
}

impl LiveStreams {
    /// Notifications of new messages in a conversation.
    pub fn subscribe(&self, conv: ConversationId) -> broadcast::Receiver<()> {
        self.channels.subscribe(conv)
    }

    /// Wakes the streams of a conversation.
    pub fn notify(&self, conv: ConversationId) {
        self.channels.notify(&conv);
    }

    /// Notifications of changes to the conversations of `user`: how a
    /// stream learns that a visitor's first conversation began.
    pub fn subscribe_user(&self, user: &str) -> broadcast::Receiver<()> {
        self.users.subscribe(user.to_string())
    }

    /// Wakes the streams waiting for `user`'s conversation.
    pub fn notify_user(&self, user: &str) {
        self.users.notify(user);
    }
}

/// Entries kept before those nobody listens to any more are dropped.
const UNWATCHED_KEPT: usize = 1024;

/// Streams waiting on something, by key.
struct Watchers<K>(Mutex<HashMap<K, broadcast::Sender<()>>>);

impl<K> Default for Watchers<K> {
    fn default() -> Self {
        Watchers(Mutex::default())
    }
}

impl<K: std::hash::Hash + Eq> Watchers<K> {
    fn subscribe(&self, key: K) -> broadcast::Receiver<()> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // A stream that ends is not announced, so once there are many,
        // the entries whose every stream has ended are dropped.
        if map.len() >= UNWATCHED_KEPT {
            map.retain(|_, tx| tx.receiver_count() > 0);
        }
        map.entry(key)
            .or_insert_with(|| broadcast::channel(16).0)
            .subscribe()
    }

    fn notify<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(key)
            && tx.send(()).is_err()
        {
            // Nobody listens any more.
            map.remove(key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
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
                    Ok((conv, user)) => {
                        engine.live().notify(conv);
                        engine.live().notify_user(&user);
                    }
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

#[cfg(test)]
mod tests {
    use super::{LiveStreams, UNWATCHED_KEPT};
    use crate::store::ConversationId;

    #[tokio::test]
    async fn streams_are_woken_and_ended_ones_are_forgotten() {
        let live = LiveStreams::default();
        let mut rx = live.subscribe_user("7:42");
        live.notify_user("7:41");
        assert!(rx.try_recv().is_err(), "another visitor's news");
        live.notify_user("7:42");
        assert!(rx.try_recv().is_ok());
        drop(rx);
        // Streams that ended leave entries behind until there are many.
        for i in 0..UNWATCHED_KEPT as i64 + 10 {
            drop(live.subscribe(ConversationId(i)));
        }
        let kept = live.channels.len();
        assert!(kept < UNWATCHED_KEPT + 10, "{kept}");
        let _still = live.subscribe(ConversationId(-1));
        for i in 0..UNWATCHED_KEPT as i64 {
            drop(live.subscribe_user(&format!("u{i}")));
        }
        assert!(live.users.len() <= UNWATCHED_KEPT);
    }
}
