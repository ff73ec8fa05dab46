//! The store contract: one suite, run unchanged on SQLite and on PostgreSQL.
//! Each case gets a fresh, migrated database. It covers accounts, bots,
//! tokens and sessions, and the event pipeline's tables: the inbox, the
//! outbox, conversations, orders and HTTP steps.

use crate::common::{Db, TestDb, count, now_ms, on_both_dbs};
use app::commerce::{CartLine, Currency, Money, NewOrder, OrderStatus, PaymentMethod, Product};
use app::model::Role;
use server::store::{
    BotId, ChannelId, ConversationId, InboxStatus, MessageStatus, NewInbound, NewReceipt,
    NewSignup, OrderRow, SessionStoreImpl, StatusChange, Store, StoreError, TokenId, UserId,
    WorkspaceId,
};

on_both_dbs!(
    migrations_are_idempotent,
    signup_writes_user_workspace_membership_and_token,
    duplicate_email_writes_nothing,
    bots_are_scoped_to_their_workspace,
    tokens_are_found_by_hash_until_revoked,
    membership_keeps_an_owner,
    duplicate_membership_is_a_conflict,
    workspaces_list_by_user,
    sessions_round_trip_and_expire,
    concurrent_owner_removals_keep_one_owner,
    the_inbox_skips_an_event_it_already_holds,
    the_inbox_hands_out_each_shoppers_events_in_platform_order,
    an_inbox_row_is_finished_once,
    closed_inbox_rows_leave_the_line_and_are_pruned,
    the_outbox_sends_one_message_at_a_time_per_conversation,
    outbox_retries_wait_until_they_are_due,
    outbox_statuses_never_go_back,
    the_outbox_skips_stopped_channels_and_closed_messages,
    stale_outbox_claims_come_back_and_live_ones_stay,
    an_order_key_places_one_order,
    orders_are_scoped_to_their_workspace,
    order_status_follows_the_state_machine,
    a_shopper_has_one_conversation_per_bot_and_channel,
    conversations_are_scoped_to_their_workspace,
    http_steps_are_queued_once_claimed_once_and_finished,
);

async fn signup(store: &Store, email: &str, ws: &str) -> (UserId, WorkspaceId, TokenId) {
    let hash = format!("hash-of-{email}");
    let token_hash = format!("token-of-{email}");
    store
        .create_signup(&NewSignup {
            email,
            password_hash: "$argon2id$fake",
            workspace_name: ws,
            token_hash: &token_hash,
            token_prefix: &hash[..8],
        })
        .await
        .expect("signup")
}

async fn migrations_are_idempotent(db: Db) {
    let db = TestDb::new(db).await;
    signup(&db.store, "ana@example.com", "Ana").await;
    // Connecting again re-runs the migrator over an up-to-date database.
    let again = Store::connect(&db.url).await.expect("reconnect");
    assert_eq!(count(&again, "users").await, 1);
    again.ping().await.expect("ping");
}

async fn signup_writes_user_workspace_membership_and_token(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (user, ws, token) = signup(s, "ana@example.com", "Ana's Shoes").await;
    let row = s.user_by_email("ana@example.com").await.unwrap().unwrap();
    assert_eq!(row.id, user);
    assert_eq!(row.last_workspace_id, Some(ws));
    let m = s.membership(user, ws).await.unwrap().unwrap();
    assert_eq!(m.role(), Role::Owner);
    assert_eq!(m.workspace_name, "Ana's Shoes");
    let tokens = s.workspace(ws).tokens().await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].id, token);
    assert_eq!(tokens[0].role, "owner");
}

async fn duplicate_email_writes_nothing(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    signup(s, "ana@example.com", "First").await;
    let err = s
        .create_signup(&NewSignup {
            email: "ana@example.com",
            password_hash: "x",
            workspace_name: "Second",
            token_hash: "other-token",
            token_prefix: "bm_x",
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("email")), "{err:?}");
    // The transaction rolled back: no orphan workspace or token.
    assert_eq!(count(s, "users").await, 1);
    assert_eq!(count(s, "workspaces").await, 1);
    assert_eq!(count(s, "memberships").await, 1);
    assert_eq!(count(s, "api_tokens").await, 1);
}

async fn bots_are_scoped_to_their_workspace(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (_, a, _) = signup(s, "a@example.com", "A").await;
    let (_, b, _) = signup(s, "b@example.com", "B").await;
    let bot = s.workspace(a).create_bot("Helper", "{}").await.unwrap();
    assert_eq!(bot.draft_revision, 1);
    assert_eq!(s.workspace(a).bots().await.unwrap().len(), 1);
    assert!(s.workspace(b).bots().await.unwrap().is_empty());
    assert!(s.workspace(b).bot(bot.id).await.unwrap().is_none());
    assert!(
        s.workspace(b)
            .rename_bot(bot.id, "Stolen")
            .await
            .unwrap()
            .is_none()
    );
    assert!(!s.workspace(b).delete_bot(bot.id).await.unwrap());
    assert_eq!(
        s.workspace(a).bot(bot.id).await.unwrap().unwrap().name,
        "Helper"
    );

    let renamed = s
        .workspace(a)
        .rename_bot(bot.id, "Assistant")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.name, "Assistant");
    assert!(renamed.updated_at >= bot.updated_at);
    assert!(s.workspace(a).delete_bot(bot.id).await.unwrap());
    assert!(s.workspace(a).bot(bot.id).await.unwrap().is_none());
    assert!(s.workspace(a).bot(BotId(i64::MAX)).await.unwrap().is_none());
}

async fn tokens_are_found_by_hash_until_revoked(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (user, a, _) = signup(s, "a@example.com", "A").await;
    let (_, b, _) = signup(s, "b@example.com", "B").await;
    let t = s
        .workspace(a)
        .create_token("CI", Role::Viewer, "h-ci", "bm_ci", Some(user))
        .await
        .unwrap();
    let found = s.token_by_hash("h-ci").await.unwrap().unwrap();
    assert_eq!(found.workspace_id, a);
    assert_eq!(found.role, "viewer");
    assert_eq!(found.last_used_at, None);
    s.workspace(a).touch_token(t.id).await.unwrap();
    assert!(
        s.token_by_hash("h-ci")
            .await
            .unwrap()
            .unwrap()
            .last_used_at
            .is_some()
    );

    // Another workspace can neither see nor revoke it.
    assert!(
        s.workspace(b)
            .tokens()
            .await
            .unwrap()
            .iter()
            .all(|x| x.id != t.id)
    );
    assert!(!s.workspace(b).revoke_token(t.id).await.unwrap());
    assert!(s.token_by_hash("h-ci").await.unwrap().is_some());

    assert!(s.workspace(a).revoke_token(t.id).await.unwrap());
    assert!(s.token_by_hash("h-ci").await.unwrap().is_none());
    assert!(
        !s.workspace(a).revoke_token(t.id).await.unwrap(),
        "revoking twice"
    );
    assert!(
        s.workspace(a)
            .tokens()
            .await
            .unwrap()
            .iter()
            .all(|x| x.id != t.id)
    );

    let dup = s
        .workspace(a)
        .create_token("dup", Role::Viewer, "h-ci", "bm_ci", None)
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");
}

async fn membership_keeps_an_owner(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (owner, ws, _) = signup(s, "owner@example.com", "W").await;
    let (other, _, _) = signup(s, "other@example.com", "Other").await;

    let err = s
        .workspace(ws)
        .set_member_role(owner, Role::Editor)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("last_owner")), "{err:?}");
    let err = s.workspace(ws).remove_member(owner).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("last_owner")), "{err:?}");

    s.workspace(ws)
        .add_member(other, Role::Viewer)
        .await
        .unwrap();
    assert!(
        s.workspace(ws)
            .set_member_role(other, Role::Owner)
            .await
            .unwrap()
    );
    // With two owners, one may step down.
    assert!(
        s.workspace(ws)
            .set_member_role(owner, Role::Editor)
            .await
            .unwrap()
    );
    let members = s.workspace(ws).members().await.unwrap();
    let roles: Vec<(&str, &str)> = members
        .iter()
        .map(|m| (m.email.as_str(), m.role.as_str()))
        .collect();
    assert_eq!(
        roles,
        vec![
            ("other@example.com", "owner"),
            ("owner@example.com", "editor")
        ]
    );
    assert!(s.workspace(ws).remove_member(owner).await.unwrap());
    assert!(
        !s.workspace(ws).remove_member(owner).await.unwrap(),
        "already gone"
    );
    assert!(
        !s.workspace(ws)
            .set_member_role(owner, Role::Viewer)
            .await
            .unwrap()
    );
    assert!(s.membership(owner, ws).await.unwrap().is_none());
}

async fn duplicate_membership_is_a_conflict(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (owner, ws, _) = signup(s, "owner@example.com", "W").await;
    let err = s
        .workspace(ws)
        .add_member(owner, Role::Viewer)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        s.membership(owner, ws).await.unwrap().unwrap().role(),
        Role::Owner
    );
}

async fn workspaces_list_by_user(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (user, first, _) = signup(s, "ana@example.com", "Zebra shop").await;
    let second = s.create_workspace(user, "Apple shop").await.unwrap();
    let names: Vec<String> = s
        .memberships(user)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.workspace_name)
        .collect();
    assert_eq!(names, vec!["Apple shop", "Zebra shop"]);
    s.set_last_workspace(user, second).await.unwrap();
    assert_eq!(
        s.user(user).await.unwrap().unwrap().last_workspace_id,
        Some(second)
    );
    assert_ne!(first, second);
}

async fn sessions_round_trip_and_expire(db: Db) {
    let db = TestDb::new(db).await;
    use tower_sessions::SessionStore;
    use tower_sessions::session::{Id, Record};
    let sessions = SessionStoreImpl::new(db.store.clone());
    let mut record = Record {
        id: Id::default(),
        data: [("user_id".to_string(), serde_json::json!(7))].into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    sessions.create(&mut record).await.unwrap();
    let loaded = sessions.load(&record.id).await.unwrap().unwrap();
    assert_eq!(loaded.data["user_id"], serde_json::json!(7));

    record
        .data
        .insert("workspace_id".into(), serde_json::json!(3));
    sessions.save(&record).await.unwrap();
    let loaded = sessions.load(&record.id).await.unwrap().unwrap();
    assert_eq!(loaded.data.len(), 2);

    // The id itself is not stored, only its hash.
    let raw: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM web_sessions WHERE id = $1")
        .bind(record.id.to_string())
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(raw, 0);

    let mut expired = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() - time::Duration::seconds(1),
    };
    sessions.create(&mut expired).await.unwrap();
    assert!(sessions.load(&expired.id).await.unwrap().is_none());
    assert_eq!(db.store.delete_expired_sessions().await.unwrap(), 1);

    sessions.delete(&record.id).await.unwrap();
    assert!(sessions.load(&record.id).await.unwrap().is_none());
}

async fn concurrent_owner_removals_keep_one_owner(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (a, ws, _) = signup(s, "a@example.com", "W").await;
    let (b, _, _) = signup(s, "b@example.com", "B").await;
    s.workspace(ws).add_member(b, Role::Owner).await.unwrap();
    // Both owners try to leave at once: exactly one may.
    let (ra, rb) = tokio::join!(
        s.workspace(ws).remove_member(a),
        s.workspace(ws).remove_member(b)
    );
    let left = [ra.is_ok(), rb.is_ok()].iter().filter(|ok| **ok).count();
    assert_eq!(left, 1, "{ra:?} {rb:?}");
    let owners = s
        .workspace(ws)
        .members()
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.role == "owner")
        .count();
    assert_eq!(owners, 1);
}

/// A workspace with a bot and a connected Messenger channel.
struct Shop {
    ws: WorkspaceId,
    bot: BotId,
    channel: ChannelId,
}

async fn open_shop(s: &Store, email: &str) -> Shop {
    let (_, ws, _) = signup(s, email, "Shop").await;
    let bot = s.workspace(ws).create_bot("Shop", "{}").await.unwrap().id;
    let channel = s
        .workspace(ws)
        .create_channel(
            bot,
            app::channel::Channel::Messenger,
            &format!("page-of-{email}"),
            "Page",
            Some("sealed-token"),
            "{}",
        )
        .await
        .unwrap()
        .id;
    Shop { ws, bot, channel }
}

/// An inbound Messenger event from `user`, stamped `ts` by the platform.
fn event(shop: &Shop, id: &str, user: &str, ts: i64) -> NewInbound {
    NewInbound {
        channel: "messenger",
        external_id: id.to_string(),
        channel_id: shop.channel,
        workspace_id: shop.ws,
        user_key: user.to_string(),
        recipient: user.to_string(),
        recipient_kind: "psid".to_string(),
        display_name: "Ana".to_string(),
        platform_ts: ts,
        input: r#"{"text":"hi"}"#.to_string(),
    }
}

/// The `status` column of one row.
async fn status(s: &Store, table: &str, id: i64) -> String {
    sqlx::query_scalar::<_, String>(&format!("SELECT status FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_one(s.pool())
        .await
        .unwrap()
}

/// The conversation of `user` on the shop's channel, as the runner opens it.
async fn conversation(s: &Store, shop: &Shop, user: &str) -> ConversationId {
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    let c = tx
        .conversation_for_update(shop.bot, "messenger", user, "Ana", 1, "{}")
        .await
        .unwrap();
    tx.touch_conversation(c.id, Some(shop.channel), user, "psid", Some(now_ms()))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    c.id
}

/// Queues an outbound text, as the runner does after a step.
async fn queue(s: &Store, ws: WorkspaceId, conv: ConversationId, text: &str) -> i64 {
    let mut tx = s.workspace(ws).transaction().await.unwrap();
    let body = serde_json::json!({ "text": text }).to_string();
    let id = tx
        .record_outbound(conv, &body, text, MessageStatus::Pending)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The ids `instance` claims from the outbox.
async fn claim(s: &Store, instance: &str) -> Vec<i64> {
    s.queue()
        .claim_outbox(instance, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// An outbound message's status and error, from the transcript.
async fn delivery(
    s: &Store,
    ws: WorkspaceId,
    conv: ConversationId,
    id: i64,
) -> (String, Option<String>) {
    let row = s
        .workspace(ws)
        .transcript(conv, id - 1, 1)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(row.id, id);
    (row.status.to_string(), row.error)
}

fn receipt(message_id: &str, status: &'static str) -> NewReceipt {
    NewReceipt {
        channel: "messenger",
        message_id: message_id.to_string(),
        status: MessageStatus::try_from(status.to_string()).unwrap(),
        error: None,
        platform_ts: now_ms(),
    }
}

async fn the_inbox_skips_an_event_it_already_holds(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    let first = event(&shop, "mid.1", "psid-1", 100);
    // A batch that repeats an event stores it once.
    let new = s
        .queue()
        .insert_inbound(&[first.clone(), first.clone()])
        .await
        .unwrap();
    assert_eq!(new, 1);
    // A redelivery next to a new event: only the new one counts.
    let new = s
        .queue()
        .insert_inbound(&[first.clone(), event(&shop, "mid.2", "psid-1", 200)])
        .await
        .unwrap();
    assert_eq!(new, 1);
    assert_eq!(count(s, "inbox").await, 2);

    // Still skipped once applied: the key outlives the pending state.
    let row = s
        .queue()
        .pending_inbox(shop.channel, "psid-1", 10)
        .await
        .unwrap()[0]
        .clone();
    assert_eq!(row.external_id, "mid.1");
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    assert!(tx.finish_inbox(row.id, InboxStatus::Done).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        s.queue()
            .insert_inbound(std::slice::from_ref(&first))
            .await
            .unwrap(),
        0
    );
    assert_eq!(status(s, "inbox", row.id).await, "done");

    // The key is the platform and its event id: the same id from another
    // platform is another event.
    let other = NewInbound {
        channel: "whatsapp",
        ..first
    };
    assert_eq!(s.queue().insert_inbound(&[other]).await.unwrap(), 1);
    assert_eq!(count(s, "inbox").await, 3);
}

async fn the_inbox_hands_out_each_shoppers_events_in_platform_order(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    s.queue()
        .insert_inbound(&[
            event(&shop, "a-300", "ana", 300),
            event(&shop, "a-100", "ana", 100),
            event(&shop, "b-50", "bob", 50),
            event(&shop, "a-200", "ana", 200),
        ])
        .await
        .unwrap();
    // Shoppers in the order their first waiting event arrived.
    let groups = s.queue().pending_inbox_groups(10).await.unwrap();
    assert_eq!(
        groups,
        vec![
            (shop.channel, "ana".to_string()),
            (shop.channel, "bob".to_string())
        ]
    );
    assert_eq!(s.queue().pending_inbox_groups(1).await.unwrap().len(), 1);
    // One shopper's events by platform time, whatever the arrival order.
    let ids = |rows: Vec<server::store::InboxRow>| {
        rows.into_iter().map(|r| r.external_id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(s
            .queue()
            .pending_inbox(shop.channel, "ana", 10)
            .await
            .unwrap()),
        vec!["a-100", "a-200", "a-300"]
    );
    assert_eq!(
        ids(s
            .queue()
            .pending_inbox(shop.channel, "ana", 2)
            .await
            .unwrap()),
        vec!["a-100", "a-200"]
    );
    let other = open_shop(s, "b@example.com").await.channel;
    assert!(
        s.queue()
            .pending_inbox(other, "ana", 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A failed attempt is counted and leaves the event in line.
    let first = s
        .queue()
        .pending_inbox(shop.channel, "ana", 1)
        .await
        .unwrap()[0]
        .clone();
    assert_eq!(first.attempts, 0);
    assert_eq!(
        s.queue()
            .inbox_attempt_failed(first.id, "boom")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.queue()
            .inbox_attempt_failed(first.id, "boom")
            .await
            .unwrap(),
        2
    );
    let again = s
        .queue()
        .pending_inbox(shop.channel, "ana", 1)
        .await
        .unwrap()[0]
        .clone();
    assert_eq!((again.id, again.attempts), (first.id, 2));
}

async fn an_inbox_row_is_finished_once(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    s.queue()
        .insert_inbound(&[event(&shop, "mid.1", "ana", 100)])
        .await
        .unwrap();
    let id = s
        .queue()
        .pending_inbox(shop.channel, "ana", 10)
        .await
        .unwrap()[0]
        .id;

    // Finishing inside a transaction that rolls back leaves it pending.
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    assert!(tx.finish_inbox(id, InboxStatus::Done).await.unwrap());
    tx.rollback().await.unwrap();
    assert_eq!(status(s, "inbox", id).await, "pending");

    // The first worker to finish it wins; a second is told it lost.
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    assert!(tx.finish_inbox(id, InboxStatus::Done).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    assert!(!tx.finish_inbox(id, InboxStatus::Failed).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(status(s, "inbox", id).await, "done");
    assert!(
        s.queue()
            .pending_inbox(shop.channel, "ana", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.queue().pending_inbox_groups(10).await.unwrap().is_empty());
}

async fn closed_inbox_rows_leave_the_line_and_are_pruned(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    s.queue()
        .insert_inbound(&[
            event(&shop, "old", "ana", 100),
            event(&shop, "waiting", "bob", 200),
        ])
        .await
        .unwrap();
    let old = s
        .queue()
        .pending_inbox(shop.channel, "ana", 10)
        .await
        .unwrap()[0]
        .id;
    s.queue()
        .close_inbox(old, InboxStatus::Skipped, "too old")
        .await
        .unwrap();
    assert_eq!(status(s, "inbox", old).await, "skipped");
    assert!(
        s.queue()
            .pending_inbox(shop.channel, "ana", 10)
            .await
            .unwrap()
            .is_empty()
    );
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
    assert_eq!(
        s.queue()
            .pending_inbox(shop.channel, "bob", 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // Once pruned, a redelivery is new to the inbox again.
    assert_eq!(
        s.queue()
            .insert_inbound(&[event(&shop, "old", "ana", 100)])
            .await
            .unwrap(),
        1
    );
}

async fn the_outbox_sends_one_message_at_a_time_per_conversation(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    let ana = conversation(s, &shop, "ana").await;
    let bob = conversation(s, &shop, "bob").await;
    let a1 = queue(s, shop.ws, ana, "one").await;
    let a2 = queue(s, shop.ws, ana, "two").await;
    let b1 = queue(s, shop.ws, bob, "hello").await;

    let claimed = s.queue().claim_outbox("worker-a", 10).await.unwrap();
    let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![a1, b1], "a2 waits behind a1");
    let first = &claimed[0];
    assert_eq!(first.conversation_id, ana);
    assert_eq!(first.workspace_id, shop.ws);
    assert_eq!(first.channel_id, shop.channel);
    assert_eq!(first.account, "page-of-a@example.com");
    assert_eq!(first.recipient, "ana");
    assert_eq!(first.token_ciphertext.as_deref(), Some("sealed-token"));
    assert!(first.body.contains("one"));
    assert_eq!(delivery(s, shop.ws, ana, a1).await.0, "sending");

    // Nothing else is free while a1 is out.
    assert!(claim(s, "worker-b").await.is_empty());
    s.queue().outbox_sent(a1).await.unwrap();
    assert_eq!(delivery(s, shop.ws, ana, a1).await.0, "sent");
    assert_eq!(claim(s, "worker-b").await, vec![a2]);
    assert!(claim(s, "worker-a").await.is_empty());
}

async fn outbox_retries_wait_until_they_are_due(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    let ana = conversation(s, &shop, "ana").await;
    let m = queue(s, shop.ws, ana, "one").await;
    let later = queue(s, shop.ws, ana, "two").await;
    assert_eq!(claim(s, "w").await, vec![m]);

    let at = now_ms() + 60_000;
    s.queue()
        .outbox_retry(m, 1, at, "rate limited")
        .await
        .unwrap();
    assert_eq!(
        delivery(s, shop.ws, ana, m).await,
        ("pending".to_string(), Some("rate limited".to_string()))
    );
    // Not due yet, and the message behind it keeps waiting too.
    assert!(claim(s, "w").await.is_empty());
    assert_eq!(s.queue().next_outbox_due().await.unwrap(), Some(at));

    s.queue()
        .outbox_retry(m, 2, now_ms() - 1, "rate limited")
        .await
        .unwrap();
    let again = s.queue().claim_outbox("w", 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempts), (m, 2));
    s.queue().outbox_progress(m, 1, "mid.out.1").await.unwrap();
    s.queue().outbox_sent(m).await.unwrap();
    // A sent message clears its last error.
    assert_eq!(
        delivery(s, shop.ws, ana, m).await,
        ("sent".to_string(), None)
    );
    let next = s.queue().claim_outbox("w", 10).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(
        (next[0].id, next[0].attempts, next[0].parts_sent),
        (later, 0, 0)
    );
}

async fn outbox_statuses_never_go_back(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    let ana = conversation(s, &shop, "ana").await;
    let m = queue(s, shop.ws, ana, "one").await;
    assert_eq!(claim(s, "w").await, vec![m]);
    s.queue().outbox_progress(m, 1, "mid.out.1").await.unwrap();
    // A receipt that overtakes the end of the send waits for it.
    s.queue()
        .ingest(&[], &[receipt("mid.out.1", "delivered")], &[])
        .await
        .unwrap();
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "sending");
    s.queue().outbox_sent(m).await.unwrap();
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "delivered");

    s.queue()
        .ingest(&[], &[receipt("mid.out.1", "read")], &[])
        .await
        .unwrap();
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "read");
    // Late receipts and a repeated one do not move it back.
    s.queue()
        .ingest(
            &[],
            &[
                receipt("mid.out.1", "delivered"),
                receipt("mid.out.1", "sent"),
            ],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "read");
    s.queue()
        .ingest(&[], &[receipt("mid.out.1", "read")], &[])
        .await
        .unwrap();
    assert_eq!(count(s, "receipts").await, 3);
}

async fn the_outbox_skips_stopped_channels_and_closed_messages(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    let ana = conversation(s, &shop, "ana").await;
    let bob = conversation(s, &shop, "bob").await;
    let m = queue(s, shop.ws, ana, "one").await;
    s.queue()
        .set_channel_health(shop.channel, "token_invalid")
        .await
        .unwrap();
    assert!(claim(s, "w").await.is_empty());
    assert_eq!(s.queue().next_outbox_due().await.unwrap(), None);
    s.queue()
        .set_channel_health(shop.channel, "ok")
        .await
        .unwrap();
    assert!(s.queue().next_outbox_due().await.unwrap().is_some());
    assert_eq!(claim(s, "w").await, vec![m]);

    // A closed message is never taken again and frees its conversation.
    let after = queue(s, shop.ws, ana, "two").await;
    s.queue()
        .outbox_closed(m, MessageStatus::Failed, "bad token")
        .await
        .unwrap();
    assert_eq!(
        delivery(s, shop.ws, ana, m).await,
        ("failed".to_string(), Some("bad token".to_string()))
    );
    assert_eq!(claim(s, "w").await, vec![after]);
    let skipped = queue(s, shop.ws, bob, "late").await;
    assert_eq!(claim(s, "w").await, vec![skipped]);
    s.queue()
        .outbox_closed(skipped, MessageStatus::Skipped, "outside the window")
        .await
        .unwrap();
    assert!(claim(s, "w").await.is_empty());
    assert_eq!(delivery(s, shop.ws, bob, skipped).await.0, "skipped");
}

async fn stale_outbox_claims_come_back_and_live_ones_stay(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    let ana = conversation(s, &shop, "ana").await;
    let m = queue(s, shop.ws, ana, "one").await;
    assert_eq!(claim(s, "dead").await, vec![m]);
    // A fresh claim of another instance is left alone...
    assert_eq!(
        s.queue()
            .release_stale_claims("alive", false)
            .await
            .unwrap(),
        0
    );
    s.queue().renew_claims("dead").await.unwrap();
    assert_eq!(
        s.queue()
            .release_stale_claims("alive", false)
            .await
            .unwrap(),
        0
    );
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "sending");
    // ...and an instance never releases its own.
    assert_eq!(
        s.queue().release_stale_claims("dead", true).await.unwrap(),
        0
    );
    // Every other instance's claims, when told they are all gone.
    assert_eq!(
        s.queue().release_stale_claims("alive", true).await.unwrap(),
        1
    );
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "pending");
    assert_eq!(claim(s, "alive").await, vec![m]);
    // Sent messages are not claims.
    s.queue().outbox_sent(m).await.unwrap();
    assert_eq!(
        s.queue().release_stale_claims("other", true).await.unwrap(),
        0
    );
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "sent");
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::parse("EUR").unwrap())
}

fn new_order(key: &str, sku: &str, qty: u32) -> NewOrder {
    NewOrder {
        key: key.to_string(),
        lines: vec![CartLine {
            sku: sku.to_string(),
            name: "Runner".to_string(),
            qty,
            unit_price: eur(8990),
        }],
        total: eur(8990 * i64::from(qty)),
        payment: PaymentMethod::CashOnDelivery,
        details: [("name".to_string(), "Ana".to_string())].into(),
    }
}

async fn place(
    s: &Store,
    shop: &Shop,
    conv: ConversationId,
    order: &NewOrder,
    token: &str,
) -> (OrderRow, bool) {
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    let placed = tx.place_order(shop.bot, conv, order, token).await.unwrap();
    tx.commit().await.unwrap();
    placed
}

async fn runner_with_stock(s: &Store, ws: WorkspaceId, stock: u32) {
    s.workspace(ws)
        .create_product(&Product {
            sku: "RUN-1".to_string(),
            name: "Runner".to_string(),
            description: String::new(),
            price: eur(8990),
            image_url: None,
            stock: Some(stock),
            active: true,
            collections: Vec::new(),
        })
        .await
        .unwrap();
}

async fn stock_of(s: &Store, ws: WorkspaceId) -> Option<i64> {
    let products = s.workspace(ws).products(&Default::default()).await.unwrap();
    products
        .into_iter()
        .find(|p| p.sku == "RUN-1")
        .unwrap()
        .stock
}

async fn an_order_key_places_one_order(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    runner_with_stock(s, shop.ws, 5).await;
    let ana = conversation(s, &shop, "ana").await;

    let (first, created) = place(s, &shop, ana, &new_order("k1", "RUN-1", 2), "page-1").await;
    assert!(created);
    assert_eq!(first.status, OrderStatus::Placed);
    assert_eq!(first.total_minor, 2 * 8990);
    assert_eq!(first.currency, "EUR");
    assert_eq!(first.conversation_id, Some(ana));
    assert_eq!(first.details()["name"], "Ana");
    assert_eq!(first.stock_taken(), vec![("RUN-1".to_string(), 2)]);
    assert_eq!(stock_of(s, shop.ws).await, Some(3));

    // The same key again (a replayed event): the stored order, nothing taken.
    let (again, created) = place(s, &shop, ana, &new_order("k1", "RUN-1", 2), "page-2").await;
    assert!(!created);
    assert_eq!((again.id, again.number), (first.id, first.number));
    assert_eq!(again.page_token, "page-1");
    assert_eq!(stock_of(s, shop.ws).await, Some(3));
    assert_eq!(count(s, "orders").await, 1);
    assert_eq!(
        s.workspace(shop.ws)
            .order_events(first.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // A new key is a new order with the next number; it takes what is left
    // and says so.
    let (second, created) = place(s, &shop, ana, &new_order("k2", "RUN-1", 4), "page-3").await;
    assert!(created);
    assert_eq!(second.number, first.number + 1);
    assert_eq!(second.stock_taken(), vec![("RUN-1".to_string(), 3)]);
    assert_eq!(stock_of(s, shop.ws).await, Some(0));
    let placed = &s.workspace(shop.ws).order_events(second.id).await.unwrap()[0];
    assert!(placed.note.contains("Runner"), "{:?}", placed.note);

    // Keys and numbers belong to a workspace.
    let other = open_shop(s, "b@example.com").await;
    let bob = conversation(s, &other, "bob").await;
    let (theirs, created) = place(s, &other, bob, &new_order("k1", "RUN-1", 1), "page-4").await;
    assert!(created);
    assert_ne!(theirs.id, first.id);
    assert_eq!(theirs.number, first.number);
    assert_eq!(
        s.workspace(shop.ws)
            .conversation_orders(ana)
            .await
            .unwrap()
            .iter()
            .map(|o| o.id)
            .collect::<Vec<_>>(),
        vec![second.id, first.id]
    );
}

async fn orders_are_scoped_to_their_workspace(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let a = open_shop(s, "a@example.com").await;
    let b = open_shop(s, "b@example.com").await;
    let ana = conversation(s, &a, "ana").await;
    let (order, _) = place(s, &a, ana, &new_order("k1", "RUN-1", 1), "secret-page").await;

    assert!(s.workspace(b.ws).order(order.id).await.unwrap().is_none());
    assert!(s.workspace(b.ws).orders(None, 10).await.unwrap().is_empty());
    assert!(
        s.workspace(b.ws)
            .order_events(order.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.workspace(b.ws)
            .conversation_orders(ana)
            .await
            .unwrap()
            .is_empty()
    );
    let change = s
        .workspace(b.ws)
        .set_order_status(order.id, OrderStatus::Paid, "intruder", "")
        .await
        .unwrap();
    assert!(matches!(change, StatusChange::Missing), "{change:?}");
    assert_eq!(
        s.workspace(a.ws)
            .order(order.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        OrderStatus::Placed
    );
    assert_eq!(
        s.workspace(a.ws)
            .order_events(order.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // The page token is the capability: it finds the order and its tenant.
    let (ws, found) = s.order_by_token("secret-page").await.unwrap().unwrap();
    assert_eq!((ws, found.id), (a.ws, order.id));
    assert!(s.order_by_token("guessed").await.unwrap().is_none());
    assert_eq!(s.workspace(a.ws).orders(None, 10).await.unwrap().len(), 1);
}

async fn order_status_follows_the_state_machine(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    runner_with_stock(s, shop.ws, 5).await;
    let ana = conversation(s, &shop, "ana").await;
    let (order, _) = place(s, &shop, ana, &new_order("k1", "RUN-1", 2), "page-1").await;

    let refused = s
        .workspace(shop.ws)
        .set_order_status(order.id, OrderStatus::Fulfilled, "ana@x", "")
        .await
        .unwrap();
    assert!(matches!(refused, StatusChange::Illegal(_)), "{refused:?}");
    assert_eq!(
        s.workspace(shop.ws)
            .order_events(order.id)
            .await
            .unwrap()
            .len(),
        1
    );

    let paid = s
        .workspace(shop.ws)
        .set_order_status(order.id, OrderStatus::Paid, "ana@x", "cash")
        .await
        .unwrap();
    let StatusChange::Changed(paid) = paid else {
        panic!("not changed: {paid:?}")
    };
    assert_eq!(paid.status, OrderStatus::Paid);
    assert!(paid.updated_at >= order.updated_at);
    let history: Vec<(Option<String>, String, String)> = s
        .workspace(shop.ws)
        .order_events(order.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.from_status.map(|s| s.as_str().to_string()),
                e.to_status.as_str().to_string(),
                e.actor,
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            (None, "placed".to_string(), "bot".to_string()),
            (
                Some("placed".to_string()),
                "paid".to_string(),
                "ana@x".to_string()
            ),
        ]
    );
    let of = |st| s.workspace(shop.ws).orders(Some(st), 10);
    assert_eq!(of(OrderStatus::Paid).await.unwrap().len(), 1);
    assert!(of(OrderStatus::Placed).await.unwrap().is_empty());
    // Paid orders are refunded, not cancelled.
    let cancel = s
        .workspace(shop.ws)
        .set_order_status(order.id, OrderStatus::Cancelled, "ana@x", "")
        .await
        .unwrap();
    assert!(matches!(cancel, StatusChange::Illegal(_)), "{cancel:?}");
    assert_eq!(stock_of(s, shop.ws).await, Some(3));

    // Cancelling a placed order gives its stock back, once.
    let (other, _) = place(s, &shop, ana, &new_order("k2", "RUN-1", 1), "page-2").await;
    assert_eq!(stock_of(s, shop.ws).await, Some(2));
    let done = s
        .workspace(shop.ws)
        .set_order_status(other.id, OrderStatus::Cancelled, "ana@x", "")
        .await
        .unwrap();
    assert!(matches!(done, StatusChange::Changed(_)), "{done:?}");
    assert_eq!(stock_of(s, shop.ws).await, Some(3));
    let twice = s
        .workspace(shop.ws)
        .set_order_status(other.id, OrderStatus::Cancelled, "ana@x", "")
        .await
        .unwrap();
    assert!(matches!(twice, StatusChange::Illegal(_)), "{twice:?}");
    assert_eq!(stock_of(s, shop.ws).await, Some(3));
}

async fn a_shopper_has_one_conversation_per_bot_and_channel(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    let first = tx
        .conversation_for_update(shop.bot, "messenger", "ana", "Ana", 1, "{}")
        .await
        .unwrap();
    // Opening it again finds it: the version and session it was created
    // with stay.
    let again = tx
        .conversation_for_update(shop.bot, "messenger", "ana", "Ana", 7, "{\"x\":1}")
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!((again.version, again.session.as_str()), (1, "{}"));
    let other_user = tx
        .conversation_for_update(shop.bot, "messenger", "bob", "Bob", 1, "{}")
        .await
        .unwrap();
    let other_channel = tx
        .conversation_for_update(shop.bot, "whatsapp", "ana", "Ana", 1, "{}")
        .await
        .unwrap();
    assert_ne!(other_user.id, first.id);
    assert_ne!(other_channel.id, first.id);
    tx.save_session(first.id, "{\"node\":\"cart\"}", 2)
        .await
        .unwrap();
    // An inbound event is recorded once per conversation.
    assert!(
        tx.record_inbound(first.id, "mid.1", "{}", "hi")
            .await
            .unwrap()
    );
    assert!(
        !tx.record_inbound(first.id, "mid.1", "{}", "hi")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(count(s, "conversations").await, 3);

    let stored = s
        .workspace(shop.ws)
        .conversation(first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.session, "{\"node\":\"cart\"}");
    assert_eq!(stored.version, 2);
    assert_eq!(stored.external_user, "ana");
    let by_user = s
        .workspace(shop.ws)
        .conversation_by_user(shop.bot, "messenger", "ana")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_user.id, first.id);
    let transcript = s
        .workspace(shop.ws)
        .transcript(first.id, 0, 10)
        .await
        .unwrap();
    assert_eq!(transcript.len(), 1);
    assert_eq!(transcript[0].event_id.as_deref(), Some("mid.1"));

    // A session saved in a transaction that rolls back is not kept.
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    tx.save_session(first.id, "{\"lost\":true}", 3)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let stored = s
        .workspace(shop.ws)
        .conversation(first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.version, stored.session.as_str()),
        (2, "{\"node\":\"cart\"}")
    );
}

async fn conversations_are_scoped_to_their_workspace(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let a = open_shop(s, "a@example.com").await;
    let b = open_shop(s, "b@example.com").await;
    let ana = conversation(s, &a, "ana").await;
    queue(s, a.ws, ana, "Welcome!").await;

    let listed = s.workspace(a.ws).conversations(10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0.id, ana);
    assert_eq!(listed[0].1.as_deref(), Some("Welcome!"));
    assert_eq!(listed[0].0.channel_id, Some(a.channel));

    assert!(
        s.workspace(b.ws)
            .conversations(10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.workspace(b.ws).conversation(ana).await.unwrap().is_none());
    assert!(
        s.workspace(b.ws)
            .transcript(ana, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.workspace(b.ws)
            .conversation_by_user(a.bot, "messenger", "ana")
            .await
            .unwrap()
            .is_none()
    );
    // Another workspace cannot overwrite the session.
    let mut tx = s.workspace(b.ws).transaction().await.unwrap();
    tx.save_session(ana, "{\"stolen\":true}", 9).await.unwrap();
    tx.commit().await.unwrap();
    let stored = s.workspace(a.ws).conversation(ana).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.session.as_str()), (1, "{}"));
}

async fn http_steps_are_queued_once_claimed_once_and_finished(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let shop = open_shop(s, "a@example.com").await;
    let ana = conversation(s, &shop, "ana").await;
    let queue_call = |request_id: &'static str| async move {
        let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
        tx.queue_http_call(
            ana,
            request_id,
            "POST",
            "https://merchant.example/stock",
            Some("{\"sku\":\"RUN-1\"}"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    };
    queue_call("req-1").await;
    // The interpreter's request id makes queueing idempotent.
    queue_call("req-1").await;
    assert_eq!(count(s, "http_calls").await, 1);

    let claimed = s.queue().claim_http_calls("worker-a", 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let call = &claimed[0];
    assert_eq!(call.request_id, "req-1");
    assert_eq!(
        (call.method.as_str(), call.url.as_str()),
        ("POST", "https://merchant.example/stock")
    );
    assert_eq!(call.body.as_deref(), Some("{\"sku\":\"RUN-1\"}"));
    assert_eq!((call.workspace_id, call.conversation_id), (shop.ws, ana));
    assert_eq!(call.bot_id, shop.bot);
    assert_eq!(
        (call.channel.as_str(), call.external_user.as_str()),
        ("messenger", "ana")
    );
    assert_eq!(status(s, "http_calls", call.id).await, "running");
    // Claimed once: another worker finds nothing.
    assert!(
        s.queue()
            .claim_http_calls("worker-b", 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Put back, it is taken again.
    s.queue().requeue_http_call(call.id).await.unwrap();
    assert_eq!(status(s, "http_calls", call.id).await, "pending");
    let retaken = s.queue().claim_http_calls("worker-b", 10).await.unwrap();
    assert_eq!(retaken.len(), 1);
    assert_eq!(retaken[0].id, call.id);

    // The claim of a stopped instance comes back; a finished call does not.
    assert_eq!(
        s.queue()
            .release_stale_claims("worker-b", true)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.queue()
            .release_stale_claims("worker-c", true)
            .await
            .unwrap(),
        1
    );
    let last = s.queue().claim_http_calls("worker-c", 10).await.unwrap();
    assert_eq!(last.len(), 1);
    s.queue().finish_http_call(call.id).await.unwrap();
    assert_eq!(status(s, "http_calls", call.id).await, "done");
    assert_eq!(
        s.queue()
            .release_stale_claims("worker-d", true)
            .await
            .unwrap(),
        0
    );
    assert!(
        s.queue()
            .claim_http_calls("worker-d", 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Queued in a transaction that rolls back: never queued.
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    tx.queue_http_call(ana, "req-2", "GET", "https://merchant.example/", None)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(count(s, "http_calls").await, 1);
    assert!(
        s.queue()
            .claim_http_calls("worker-d", 10)
            .await
            .unwrap()
            .is_empty()
    );
}
