//! The inbox: inbound platform events, stored once and handed out per
//! shopper in platform order.

use super::{event, fresh_shop, open_shop, status};
use crate::common::{Db, count, now_ms};
use server::store::{
    Backend, CLAIM_LEASE_MS, ChannelId, InboxRow, InboxStatus, NewInbound, Store, WorkspaceId,
};

pub(super) async fn the_inbox_skips_an_event_it_already_holds(db: Db) {
    let (db, shop) = fresh_shop(db).await;
    let s = &db.store;
    let first = event(&shop, "mid.1", "psid-1", 100);
    // A batch that repeats an event stores it once.
    let new = insert(s, &[first.clone(), first.clone()]).await;
    assert_eq!(new, 1);
    // A redelivery next to a new event: only the new one counts.
    let new = insert(s, &[first.clone(), event(&shop, "mid.2", "psid-1", 200)]).await;
    assert_eq!(new, 1);
    assert_eq!(count(s, "inbox").await, 2);

    // Still skipped once applied: the key outlives the pending state.
    let row = pending(s, shop.channel, "psid-1", 10).await[0].clone();
    assert_eq!(row.event.external_id, "mid.1");
    assert!(finish(s, shop.ws, row.id, InboxStatus::Done).await);
    assert_eq!(insert(s, std::slice::from_ref(&first)).await, 0);
    assert_eq!(status(s, "inbox", row.id).await, "done");

    // The key is the platform and its event id: the same id from another
    // platform is another event.
    let other = NewInbound {
        channel: app::channel::Channel::Whatsapp,
        ..first
    };
    assert_eq!(insert(s, &[other]).await, 1);
    assert_eq!(count(s, "inbox").await, 3);

    // A group commit of hundreds of events (several multi-row inserts of
    // different sizes) stores each new one once and reports exactly those.
    let many: Vec<NewInbound> = (0..300)
        .map(|i| event(&shop, &format!("bulk.{i}"), "psid-2", 1_000 + i))
        .collect();
    assert_eq!(insert(s, &many[..150]).await, 150);
    let again: Vec<NewInbound> = many.iter().chain(&many[290..]).cloned().collect();
    let keys = s.queue().ingest_keys(&again, &[], &[]).await.unwrap();
    let mut ids: Vec<String> = keys.into_iter().map(|(_, id)| id).collect();
    ids.sort_by_key(|id| id[5..].parse::<i64>().unwrap());
    let expected: Vec<String> = (150..300).map(|i| format!("bulk.{i}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(count(s, "inbox").await, 303);
}

pub(super) async fn the_inbox_hands_out_each_shoppers_events_in_platform_order(db: Db) {
    let (db, shop) = fresh_shop(db).await;
    let s = &db.store;
    insert(
        s,
        &[
            event(&shop, "a-300", "ana", 300),
            event(&shop, "a-100", "ana", 100),
            event(&shop, "b-50", "bob", 50),
            event(&shop, "a-200", "ana", 200),
        ],
    )
    .await;
    let ids = |rows: Vec<server::store::InboxRow>| {
        rows.into_iter()
            .map(|r| r.event.external_id)
            .collect::<Vec<_>>()
    };
    // The worker claims the oldest waiting events in arrival order, all
    // shoppers together, as many as it asks for.
    assert_eq!(
        ids(s.queue().claim_inbox("test", 10).await.unwrap()),
        vec!["a-300", "a-100", "b-50", "a-200"]
    );
    assert_eq!(
        ids(s.queue().claim_inbox("test", 2).await.unwrap()),
        vec!["a-300", "a-100"]
    );
    // One shopper's events by platform time, whatever the arrival order.
    assert_eq!(
        ids(pending(s, shop.channel, "ana", 10).await),
        vec!["a-100", "a-200", "a-300"]
    );
    assert_eq!(
        ids(pending(s, shop.channel, "ana", 2).await),
        vec!["a-100", "a-200"]
    );
    let other = open_shop(s, "b@example.com").await.channel;
    assert!(pending(s, other, "ana", 10).await.is_empty());

    // A failed attempt is counted and leaves the event in line.
    let first = pending(s, shop.channel, "ana", 1).await[0].clone();
    assert_eq!(first.attempts, 0);
    assert_eq!(attempt_failed(s, first.id, "boom").await, 1);
    assert_eq!(attempt_failed(s, first.id, "boom").await, 2);
    let again = pending(s, shop.channel, "ana", 1).await[0].clone();
    assert_eq!((again.id, again.attempts), (first.id, 2));
}

pub(super) async fn an_inbox_row_is_finished_once(db: Db) {
    let (db, shop) = fresh_shop(db).await;
    let s = &db.store;
    insert(s, &[event(&shop, "mid.1", "ana", 100)]).await;
    let id = pending(s, shop.channel, "ana", 10).await[0].id;

    // Finishing inside a transaction that rolls back leaves it pending.
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    assert!(tx.finish_inbox(id, InboxStatus::Done).await.unwrap());
    tx.rollback().await.unwrap();
    assert_eq!(status(s, "inbox", id).await, "pending");

    // The first worker to finish it wins; a second is told it lost.
    assert!(finish(s, shop.ws, id, InboxStatus::Done).await);
    assert!(!finish(s, shop.ws, id, InboxStatus::Failed).await);
    assert_eq!(status(s, "inbox", id).await, "done");
    assert!(pending(s, shop.channel, "ana", 10).await.is_empty());
    assert!(s.queue().claim_inbox("test", 10).await.unwrap().is_empty());
}

pub(super) async fn closed_inbox_rows_leave_the_line_and_are_pruned(db: Db) {
    let (db, shop) = fresh_shop(db).await;
    let s = &db.store;
    insert(
        s,
        &[
            event(&shop, "old", "ana", 100),
            event(&shop, "waiting", "bob", 200),
        ],
    )
    .await;
    let old = pending(s, shop.channel, "ana", 10).await[0].id;
    s.queue()
        .close_inbox(old, InboxStatus::Skipped, "too old")
        .await
        .unwrap();
    assert_eq!(status(s, "inbox", old).await, "skipped");
    assert!(pending(s, shop.channel, "ana", 10).await.is_empty());
    // Closing is for pending rows only: a closed row keeps its outcome.
    s.queue()
        .close_inbox(old, InboxStatus::Failed, "late")
        .await
        .unwrap();
    assert_eq!(status(s, "inbox", old).await, "skipped");

    // Pruning forgets handled rows, never waiting ones.
    let pruned = s.queue().prune_inbox(now_ms() + 60_000).await.unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(count(s, "inbox").await, 1);
    assert_eq!(pending(s, shop.channel, "bob", 10).await.len(), 1);
    // Once pruned, a redelivery is new to the inbox again.
    assert_eq!(insert(s, &[event(&shop, "old", "ana", 100)]).await, 1);
}

/// Stores a batch of inbound events; returns how many were new.
pub(super) async fn instances_share_the_inbox_and_a_shopper_stays_with_one(db: Db) {
    let (db, shop) = fresh_shop(db).await;
    let s = &db.store;
    insert(
        s,
        &[
            event(&shop, "a-1", "ana", 100),
            event(&shop, "b-1", "bob", 50),
            event(&shop, "a-2", "ana", 200),
            event(&shop, "c-1", "cid", 70),
        ],
    )
    .await;
    let claim = |instance: &'static str, limit| async move {
        let rows = s.queue().claim_inbox(instance, limit).await.unwrap();
        rows.into_iter()
            .map(|r| r.event.external_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(claim("a", 1).await, vec!["a-1"]);
    if s.backend() == Backend::Sqlite {
        // One process serves a SQLite database: there is no one to share
        // with, and a claim marks nothing.
        assert_eq!(claim("b", 10).await, vec!["a-1", "b-1", "a-2", "c-1"]);
        return;
    }
    // Another instance takes what nobody holds, but not Ana's second
    // event while her first is with instance a: her events stay in order.
    assert_eq!(claim("b", 10).await, vec!["b-1", "c-1"]);
    // Instance a claims its own again (renewing it) with Ana's next.
    assert_eq!(claim("a", 10).await, vec!["a-1", "a-2"]);
    assert_eq!(claim("b", 10).await, vec!["b-1", "c-1"]);
    // An instance that stopped renewing its claims loses them.
    sqlx::query("UPDATE inbox SET claimed_at = claimed_at - $1 WHERE claimed_by = 'b'")
        .bind(CLAIM_LEASE_MS + 1)
        .execute(s.pool())
        .await
        .unwrap();
    assert_eq!(claim("a", 10).await, vec!["a-1", "b-1", "a-2", "c-1"]);

    // Two instances claiming at the same moment never get the same event.
    let many: Vec<NewInbound> = (0..100)
        .map(|i| event(&shop, &format!("m-{i}"), &format!("shopper-{i}"), 1_000 + i))
        .collect();
    insert(s, &many).await;
    let (x, y) = tokio::join!(claim("x", 60), claim("y", 60));
    assert_eq!(x.len() + y.len(), 100, "x {x:?}, y {y:?}");
    assert!(x.iter().all(|id| !y.contains(id)), "x {x:?}, y {y:?}");
}

async fn insert(s: &Store, events: &[NewInbound]) -> usize {
    s.queue().insert_inbound(events).await.unwrap()
}

/// The first `limit` waiting events of one shopper.
async fn pending(s: &Store, channel: ChannelId, user: &str, limit: i64) -> Vec<InboxRow> {
    s.queue().pending_inbox(channel, user, limit).await.unwrap()
}

/// Counts a failed attempt; returns the attempts so far.
async fn attempt_failed(s: &Store, id: i64, error: &str) -> i64 {
    s.queue().inbox_attempt_failed(id, error).await.unwrap()
}

/// Finishes an inbox row in a committed transaction; returns whether this
/// call finished it.
async fn finish(s: &Store, ws: WorkspaceId, id: i64, status: InboxStatus) -> bool {
    let mut tx = s.workspace(ws).transaction().await.unwrap();
    let finished = tx.finish_inbox(id, status).await.unwrap();
    tx.commit().await.unwrap();
    finished
}
