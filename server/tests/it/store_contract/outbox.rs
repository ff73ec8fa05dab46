//! The outbox: outbound messages, claimed one at a time per conversation,
//! retried, closed and released.

use super::{claim, conversation, delivery, queue, receipt, release, shop_with_ana};
use crate::common::{Db, count, now_ms};
use server::store::MessageStatus;

pub(super) async fn the_outbox_sends_one_message_at_a_time_per_conversation(db: Db) {
    let (db, shop, ana) = shop_with_ana(db).await;
    let s = &db.store;
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

pub(super) async fn outbox_retries_wait_until_they_are_due(db: Db) {
    let (db, shop, ana) = shop_with_ana(db).await;
    let s = &db.store;
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

pub(super) async fn outbox_statuses_never_go_back(db: Db) {
    let (db, shop, ana) = shop_with_ana(db).await;
    let s = &db.store;
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

    // The last part and the end of the send in one write: a receipt that
    // came first is applied all the same.
    let m2 = queue(s, shop.ws, ana, "two").await;
    assert_eq!(claim(s, "w").await, vec![m2]);
    s.queue()
        .ingest(&[], &[receipt("mid.out.2", "delivered")], &[])
        .await
        .unwrap();
    s.queue()
        .outbox_delivered(m2, 1, "mid.out.2")
        .await
        .unwrap();
    assert_eq!(delivery(s, shop.ws, ana, m2).await.0, "delivered");
    let (parts, external): (i64, Option<String>) =
        sqlx::query_as("SELECT parts_sent, external_id FROM messages WHERE id = $1")
            .bind(m2)
            .fetch_one(s.pool())
            .await
            .unwrap();
    assert_eq!((parts, external.as_deref()), (1, Some("mid.out.2")));
}

pub(super) async fn the_outbox_skips_stopped_channels_and_closed_messages(db: Db) {
    let (db, shop, ana) = shop_with_ana(db).await;
    let s = &db.store;
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

pub(super) async fn stale_outbox_claims_come_back_and_live_ones_stay(db: Db) {
    let (db, shop, ana) = shop_with_ana(db).await;
    let s = &db.store;
    let m = queue(s, shop.ws, ana, "one").await;
    assert_eq!(claim(s, "dead").await, vec![m]);
    // A fresh claim of another instance is left alone...
    assert_eq!(release(s, "alive", false).await, 0);
    s.queue().renew_claims("dead").await.unwrap();
    assert_eq!(release(s, "alive", false).await, 0);
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "sending");
    // ...and an instance never releases its own.
    assert_eq!(release(s, "dead", true).await, 0);
    // Every other instance's claims, when told they are all gone.
    assert_eq!(release(s, "alive", true).await, 1);
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "pending");
    assert_eq!(claim(s, "alive").await, vec![m]);
    // Sent messages are not claims.
    s.queue().outbox_sent(m).await.unwrap();
    assert_eq!(release(s, "other", true).await, 0);
    assert_eq!(delivery(s, shop.ws, ana, m).await.0, "sent");
}
