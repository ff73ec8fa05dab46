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
/// shoppers (by external user) whose first conversation someone awaits.
#[derive(Default)]
pub struct LiveStreams {
    channels: Mutex<HashMap<ConversationId, broadcast::Sender<()>>>,
    users: Mutex<HashMap<String, broadcast::Sender<()>>>,
}

impl LiveStreams {
    /// Notifications of new messages in a conversation.
    pub fn subscribe(&self, conv: ConversationId) -> broadcast::Receiver<()> {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        forget_unwatched(&mut map);
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

impl LiveStreams {
    /// Notifications of changes to the conversations of `user` (external
    /// user, `channel:visitor`): how a stream learns that a visitor's
    /// first conversation began.
    pub fn subscribe_user(&self, user: &str) -> broadcast::Receiver<()> {
        let mut map = self.users.lock().unwrap_or_else(|p| p.into_inner());
        forget_unwatched(&mut map);
        map.entry(user.to_string())
            .or_insert_with(|| broadcast::channel(4).0)
            .subscribe()
    }

    /// Wakes the streams waiting for `user`'s conversation.
    pub fn notify_user(&self, user: &str) {
        let mut map = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(user)
            && tx.send(()).is_err()
        {
            map.remove(user);
        }
    }
}

/// Entries kept before those nobody listens to any more are dropped.
const UNWATCHED_KEPT: usize = 1024;

/// Drops the entries whose every stream has ended, once there are many:
/// a stream that ends is not announced, so its entry would stay forever.
fn forget_unwatched<K>(map: &mut HashMap<K, broadcast::Sender<()>>) {
    if map.len() >= UNWATCHED_KEPT {
        map.retain(|_, tx| tx.receiver_count() > 0);
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
        let kept = live.channels.lock().unwrap().len();
        assert!(kept < UNWATCHED_KEPT + 10, "{kept}");
        let _still = live.subscribe(ConversationId(-1));
        for i in 0..UNWATCHED_KEPT as i64 {
            drop(live.subscribe_user(&format!("u{i}")));
        }
        assert!(live.users.lock().unwrap().len() <= UNWATCHED_KEPT);
    }
}
