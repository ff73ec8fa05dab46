//! The ingest writer's group commit: deliveries that wait together are
//! stored in one transaction, duplicates count once, and a delivery the
//! database refuses fails alone while the rest of its group is stored.

use crate::common::{Db, TestApp, count, now_ms, on_both_dbs};
use app::channel::Channel;
use server::engine::ingest::{IngestError, Parcel, Stored};
use server::store::{BotId, ChannelId, NewInbound, WorkspaceId};

on_both_dbs!(a_refused_delivery_fails_alone_and_the_rest_of_its_group_is_stored,);

async fn a_refused_delivery_fails_alone_and_the_rest_of_its_group_is_stored(db: Db) {
    let app = TestApp::new(db).await;
    let (_, ws, bot) = app.shop("merchant@example.com").await;
    let ws = WorkspaceId(ws);
    let channel = app
        .db
        .store
        .workspace(ws)
        .create_channel(
            BotId(bot),
            Channel::Messenger,
            "page-1",
            "Page",
            Some("sealed"),
            "{}",
        )
        .await
        .unwrap()
        .id;
    let event = |id: &str| NewInbound {
        channel: Channel::Messenger,
        external_id: id.to_string(),
        channel_id: channel,
        workspace_id: ws,
        user_key: "ana".into(),
        recipient: "ana".into(),
        recipient_kind: "psid".into(),
        display_name: "Ana".into(),
        platform_ts: now_ms(),
        input: r#"{"text":"hi"}"#.into(),
    };
    // A channel that does not exist: the database refuses the row.
    let refused = NewInbound {
        channel_id: ChannelId(999_999),
        ..event("mid.refused")
    };
    // On this single-threaded runtime all three wait for the writer before
    // it runs, so they reach it as one group.
    let engine = &app.state.engine;
    let (first, bad, last) = tokio::join!(
        engine.ingest(Parcel::Resolved(vec![event("mid.1")])),
        engine.ingest(Parcel::Resolved(vec![refused])),
        engine.ingest(Parcel::Resolved(vec![event("mid.2"), event("mid.1")])),
    );
    assert_eq!(first, Ok(Stored { new: 1, events: 1 }));
    assert_eq!(bad, Err(IngestError::Failed));
    assert_eq!(
        last,
        Ok(Stored { new: 1, events: 2 }),
        "mid.1 was stored once, by the first"
    );
    assert_eq!(count(&app.db.store, "inbox").await, 2);
}
