//! HTTP steps: queued once, claimed once, finished.

use super::{release, shop_with_ana, status};
use crate::common::{Db, count};
use server::store::{HttpCallRow, Store};

pub(super) async fn http_steps_are_queued_once_claimed_once_and_finished(db: Db) {
    let (db, shop, ana) = shop_with_ana(db).await;
    let s = &db.store;
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

    let claimed = claim_calls(s, "worker-a", 10).await;
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
    assert!(claim_calls(s, "worker-b", 10).await.is_empty());

    // Put back, it is taken again.
    s.queue().requeue_http_call(call.id).await.unwrap();
    assert_eq!(status(s, "http_calls", call.id).await, "pending");
    let retaken = claim_calls(s, "worker-b", 10).await;
    assert_eq!(retaken.len(), 1);
    assert_eq!(retaken[0].id, call.id);

    // The claim of a stopped instance comes back; a finished call does not.
    assert_eq!(release(s, "worker-b", true).await, 0);
    assert_eq!(release(s, "worker-c", true).await, 1);
    let last = claim_calls(s, "worker-c", 10).await;
    assert_eq!(last.len(), 1);
    s.queue().finish_http_call(call.id).await.unwrap();
    assert_eq!(status(s, "http_calls", call.id).await, "done");
    assert_eq!(release(s, "worker-d", true).await, 0);
    assert!(claim_calls(s, "worker-d", 10).await.is_empty());

    // Queued in a transaction that rolls back: never queued.
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    tx.queue_http_call(ana, "req-2", "GET", "https://merchant.example/", None)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(count(s, "http_calls").await, 1);
    assert!(claim_calls(s, "worker-d", 10).await.is_empty());
}

/// The HTTP steps `instance` claims.
async fn claim_calls(s: &Store, instance: &str, limit: i64) -> Vec<HttpCallRow> {
    s.queue().claim_http_calls(instance, limit).await.unwrap()
}
