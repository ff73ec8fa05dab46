//! Conversations: one per shopper, bot and channel, scoped to their
//! workspace.

use super::{conversation, fresh_shop, open_shop, queue};
use crate::common::{Db, TestDb, count};
use app::channel::Channel;

pub(super) async fn a_shopper_has_one_conversation_per_bot_and_channel(db: Db) {
    let (db, shop) = fresh_shop(db).await;
    let s = &db.store;
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    let mut opened = Vec::new();
    for (channel, user, name, version, session) in [
        (Channel::Messenger, "ana", "Ana", 1, "{}"),
        // Opening it again finds it: the version and session it was
        // created with stay.
        (Channel::Messenger, "ana", "Ana", 7, "{\"x\":1}"),
        (Channel::Messenger, "bob", "Bob", 1, "{}"),
        (Channel::Whatsapp, "ana", "Ana", 1, "{}"),
    ] {
        let conv = tx
            .conversation_for_update(shop.bot, channel, user, name, version, session)
            .await
            .unwrap();
        opened.push(conv);
    }
    let [first, again, other_user, other_channel] = <[_; 4]>::try_from(opened).ok().unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!((again.version, again.session.as_str()), (1, "{}"));
    assert_ne!(other_user.id, first.id);
    assert_ne!(other_channel.id, first.id);
    tx.save_session(first.id, "{\"node\":\"cart\"}", 2, None)
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

    let stored = s.workspace(shop.ws).conversation(first.id).await;
    let stored = stored.unwrap().unwrap();
    assert_eq!(stored.session, "{\"node\":\"cart\"}");
    assert_eq!(stored.version, 2);
    assert_eq!(stored.external_user, "ana");
    let by_user = s
        .workspace(shop.ws)
        .conversation_by_user(shop.bot, app::channel::Channel::Messenger, "ana")
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
    tx.save_session(first.id, "{\"lost\":true}", 3, None)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let stored = s.workspace(shop.ws).conversation(first.id).await;
    let stored = stored.unwrap().unwrap();
    assert_eq!(
        (stored.version, stored.session.as_str()),
        (2, "{\"node\":\"cart\"}")
    );
}

pub(super) async fn conversations_are_scoped_to_their_workspace(db: Db) {
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
            .conversation_by_user(a.bot, app::channel::Channel::Messenger, "ana")
            .await
            .unwrap()
            .is_none()
    );
    // Another workspace cannot overwrite the session.
    let mut tx = s.workspace(b.ws).transaction().await.unwrap();
    tx.save_session(ana, "{\"stolen\":true}", 9, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let stored = s.workspace(a.ws).conversation(ana).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.session.as_str()), (1, "{}"));
}
