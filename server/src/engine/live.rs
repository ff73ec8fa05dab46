//! Live updates of conversations, for the web-chat streams this instance
//! serves: a stream subscribes to its conversation and is woken after every
//! committed change. On PostgreSQL, changes made by other instances arrive
//! through [`spawn_announcements`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use super::Engine;
use crate::store::{ConversationId, WorkspaceId};

/// The conversations someone is watching on this instance, and the
/// shoppers (by external user, `channel:visitor`) whose first
/// conversation someone awaits.
#[derive(Default)]
pub struct LiveStreams {
    channels: Watchers<ConversationId>,
    users: Watchers<String>,
    workspaces: Watchers<WorkspaceId>,
}

impl LiveStreams {
    /// Notifications of new messages in a conversation.
    pub fn subscribe(&self, conv: ConversationId) -> Watch {
        self.channels.subscribe(conv)
    }

    /// Wakes the streams of a conversation.
    pub fn notify(&self, conv: ConversationId) {
        self.channels.notify(&conv);
    }

    /// Notifications of changes to the conversations of `user`: how a
    /// stream learns that a visitor's first conversation began.
    pub fn subscribe_user(&self, user: &str) -> Watch {
        self.users.subscribe(user.to_string())
    }

    /// Wakes the streams waiting for `user`'s conversation.
    pub fn notify_user(&self, user: &str) {
        self.users.notify(user);
    }

    /// Notifications of changes to any conversation of a workspace: what
    /// the merchant's inbox listens to.
    pub fn subscribe_workspace(&self, workspace: WorkspaceId) -> Watch {
        self.workspaces.subscribe(workspace)
    }

    /// Wakes the inboxes open on a workspace.
    pub fn notify_workspace(&self, workspace: WorkspaceId) {
        self.workspaces.notify(&workspace);
    }
}

/// One stream's subscription. Dropping the last subscription to a key
/// removes the key's entry, so the map holds only what someone watches.
pub struct Watch {
    rx: broadcast::Receiver<()>,
    leave: Option<Box<dyn FnOnce() + Send>>,
}

impl Watch {
    /// Waits for the next wake-up (or for missed ones, which count as one).
    pub async fn recv(&mut self) {
        let _ = self.rx.recv().await;
    }

    /// Whether a wake-up is waiting, without waiting.
    pub fn woken(&mut self) -> bool {
        !matches!(
            self.rx.try_recv(),
            Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed)
        )
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(leave) = self.leave.take() {
            leave();
        }
    }
}

/// Streams waiting on something, by key.
type Map<K> = Arc<Mutex<HashMap<K, broadcast::Sender<()>>>>;

struct Watchers<K>(Map<K>);

impl<K> Default for Watchers<K> {
    fn default() -> Self {
        Watchers(Arc::default())
    }
}

impl<K: std::hash::Hash + Eq + Clone + Send + 'static> Watchers<K> {
    fn subscribe(&self, key: K) -> Watch {
        let rx = {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.clone())
                .or_insert_with(|| broadcast::channel(16).0)
                .subscribe()
        };
        let map = self.0.clone();
        Watch {
            rx,
            leave: Some(Box::new(move || {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                // The leaving receiver is still alive here: it is the last
                // one when it is the only one.
                if map.get(&key).is_some_and(|tx| tx.receiver_count() <= 1) {
                    map.remove(&key);
                }
            })),
        }
    }

    fn notify<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(key) {
            let _ = tx.send(());
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
    use super::LiveStreams;
    use crate::store::{ConversationId, WorkspaceId};

    #[tokio::test]
    async fn streams_are_woken_and_an_entry_goes_with_its_last_stream() {
        let live = LiveStreams::default();
        let mut rx = live.subscribe_user("7:42");
        live.notify_user("7:41");
        assert!(!rx.woken(), "another visitor's news");
        live.notify_user("7:42");
        assert!(rx.woken());
        drop(rx);
        assert_eq!(live.users.len(), 0, "nobody waits for 7:42 any more");
        // The inbox of a workspace hears of its own changes only.
        let mut inbox = live.subscribe_workspace(WorkspaceId(3));
        live.notify_workspace(WorkspaceId(4));
        assert!(!inbox.woken(), "another workspace's news");
        live.notify_workspace(WorkspaceId(3));
        assert!(inbox.woken());
        drop(inbox);
        assert_eq!(live.workspaces.len(), 0);
        // Two streams of one conversation: the entry stays until both end.
        let a = live.subscribe(ConversationId(1));
        let mut b = live.subscribe(ConversationId(1));
        let _other = live.subscribe(ConversationId(2));
        drop(a);
        assert_eq!(live.channels.len(), 2);
        live.notify(ConversationId(1));
        assert!(b.woken(), "the remaining stream is still woken");
        drop(b);
        assert_eq!(live.channels.len(), 1);
        // Many streams come and go: nothing stays behind.
        for i in 0..5000 {
            drop(live.subscribe(ConversationId(i)));
        }
        assert_eq!(live.channels.len(), 1);
    }
}
