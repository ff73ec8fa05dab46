//! The store contract: one suite, run unchanged on SQLite and on PostgreSQL.
//! Each case gets a fresh, migrated database. It covers accounts, bots,
//! tokens and sessions, and the event pipeline's tables: the inbox, the
//! outbox, conversations, orders and HTTP steps.

use crate::common::{Db, TestDb, now_ms, on_both_dbs};
use server::store::{
    BotId, ChannelId, ConversationId, MessageStatus, NewInbound, NewReceipt, NewSignup, Store,
    TokenId, UserId, WorkspaceId,
};

mod accounts;
mod conversations;
mod http_steps;
mod inbox;
mod orders;
mod outbox;

// One list for all areas, so the tests keep their names:
// `store_contract::sqlite::case` and `store_contract::postgres::case`.
use self::{accounts::*, conversations::*, http_steps::*, inbox::*, orders::*, outbox::*};

on_both_dbs!(
    migrations_are_idempotent,
    signup_writes_user_workspace_membership_and_token,
    duplicate_email_writes_nothing,
    bots_are_scoped_to_their_workspace,
    tokens_are_found_by_hash_until_revoked,
    membership_keeps_an_owner,
    duplicate_membership_is_a_conflict,
    invitations_refresh_and_are_accepted_once,
    invitations_are_scoped_to_their_workspace,
    workspaces_list_by_user,
    sessions_round_trip_and_expire,
    concurrent_owner_removals_keep_one_owner,
    the_inbox_skips_an_event_it_already_holds,
    the_inbox_hands_out_each_shoppers_events_in_platform_order,
    an_inbox_row_is_finished_once,
    closed_inbox_rows_leave_the_line_and_are_pruned,
    instances_share_the_inbox_and_a_shopper_stays_with_one,
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

/// A fresh database with a shop.
async fn fresh_shop(db: Db) -> (TestDb, Shop) {
    let db = TestDb::new(db).await;
    let shop = open_shop(&db.store, "a@example.com").await;
    (db, shop)
}

/// A fresh database with a shop, and Ana's conversation on its channel.
async fn shop_with_ana(db: Db) -> (TestDb, Shop, ConversationId) {
    let (db, shop) = fresh_shop(db).await;
    let ana = conversation(&db.store, &shop, "ana").await;
    (db, shop, ana)
}

/// An inbound Messenger event from `user`, stamped `ts` by the platform.
fn event(shop: &Shop, id: &str, user: &str, ts: i64) -> NewInbound {
    NewInbound {
        channel: app::channel::Channel::Messenger,
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
        .conversation_for_update(
            shop.bot,
            app::channel::Channel::Messenger,
            user,
            "Ana",
            1,
            "{}",
        )
        .await
        .unwrap();
    let touch = server::store::Touch {
        channel: Some(shop.channel),
        recipient: user,
        recipient_kind: "psid",
        inbound_at: Some(now_ms()),
    };
    tx.touch_conversation(c.id, &touch).await.unwrap();
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
        channel: app::channel::Channel::Messenger,
        message_id: message_id.to_string(),
        status: MessageStatus::try_from(status.to_string()).unwrap(),
        error: None,
        platform_ts: now_ms(),
        sent_part: None,
    }
}

/// Releases the claims of instances other than `instance` that look
/// stale (or all of them, when told every other instance is gone).
async fn release(s: &Store, instance: &str, all_others: bool) -> u64 {
    s.queue()
        .release_stale_claims(instance, all_others, 0)
        .await
        .unwrap()
}
