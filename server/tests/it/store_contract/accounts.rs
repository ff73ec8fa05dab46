//! Accounts, workspaces and their members, invitations, bots, API tokens
//! and web sessions.

use super::signup;
use crate::common::{Db, TestDb, count, now_ms};
use app::model::Role;
use server::store::{
    BotId, InvitationRow, MembershipRow, NewInvitation, NewSignup, SessionStoreImpl, Store,
    StoreError, UserId, WorkspaceId,
};

/// Invites `email` into `ws` as `role`, the link's hash being `hash`.
async fn invite(s: &Store, ws: WorkspaceId, email: &str, role: Role, hash: &str) -> InvitationRow {
    s.workspace(ws)
        .invite(&NewInvitation {
            email,
            role,
            token_hash: hash,
            invited_by: None,
            expires_at: now_ms() + 60_000,
        })
        .await
        .expect("invite")
}

/// Makes `user` (signed up as `email`) a member of `ws` as `role`, the
/// only way there is: an invitation, accepted.
async fn join(s: &Store, ws: WorkspaceId, user: UserId, email: &str, role: Role) -> MembershipRow {
    let hash = format!("invitation-{ws}-{email}");
    let inv = invite(s, ws, email, role, &hash).await;
    s.accept_invitation(inv.id, user, email)
        .await
        .expect("accept")
        .expect("accepted")
}

pub(super) async fn migrations_are_idempotent(db: Db) {
    let db = TestDb::new(db).await;
    signup(&db.store, "ana@example.com", "Ana").await;
    // Connecting again re-runs the migrator over an up-to-date database.
    let again = Store::connect(&db.url).await.expect("reconnect");
    assert_eq!(count(&again, "users").await, 1);
    again.ping().await.expect("ping");
}

pub(super) async fn signup_writes_user_workspace_membership_and_token(db: Db) {
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

pub(super) async fn duplicate_email_writes_nothing(db: Db) {
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

pub(super) async fn bots_are_scoped_to_their_workspace(db: Db) {
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

pub(super) async fn tokens_are_found_by_hash_until_revoked(db: Db) {
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

pub(super) async fn membership_keeps_an_owner(db: Db) {
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

    join(s, ws, other, "other@example.com", Role::Viewer).await;
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

pub(super) async fn duplicate_membership_is_a_conflict(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (owner, ws, _) = signup(s, "owner@example.com", "W").await;
    let (other, _, _) = signup(s, "other@example.com", "Other").await;
    // A member is not invited.
    let err = s
        .workspace(ws)
        .invite(&NewInvitation {
            email: "owner@example.com",
            role: Role::Viewer,
            token_hash: "h-owner",
            invited_by: Some(owner),
            expires_at: now_ms() + 60_000,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("member")), "{err:?}");
    assert_eq!(count(s, "invitations").await, 0);
    // Someone who became a member meanwhile accepts: nothing is written,
    // the invitation stays pending.
    let inv = invite(s, ws, "other@example.com", Role::Owner, "h-other").await;
    sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'viewer', 0)",
    )
    .bind(ws)
    .bind(other)
    .execute(s.pool())
    .await
    .unwrap();
    let err = s
        .accept_invitation(inv.id, other, "other@example.com")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("member")), "{err:?}");
    assert_eq!(
        s.membership(other, ws).await.unwrap().unwrap().role(),
        Role::Viewer
    );
    assert_eq!(
        s.invitation_by_hash("h-other")
            .await
            .unwrap()
            .unwrap()
            .status,
        "pending"
    );
    assert_eq!(
        s.membership(owner, ws).await.unwrap().unwrap().role(),
        Role::Owner
    );
}

pub(super) async fn invitations_refresh_and_are_accepted_once(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (owner, ws, _) = signup(s, "owner@example.com", "Shop").await;
    let (sam, own, _) = signup(s, "sam@example.com", "Sam's").await;
    let (eve, _, _) = signup(s, "eve@example.com", "Eve's").await;

    let first = s
        .workspace(ws)
        .invite(&NewInvitation {
            email: "sam@example.com",
            role: Role::Viewer,
            token_hash: "h1",
            invited_by: Some(owner),
            expires_at: now_ms() + 60_000,
        })
        .await
        .unwrap();
    assert_eq!(first.workspace_id, ws);
    assert_eq!(first.workspace_name, "Shop");
    assert_eq!(first.invited_by.as_deref(), Some("owner@example.com"));
    assert_eq!(
        (first.role(), first.status.as_str()),
        (Role::Viewer, "pending")
    );

    // Inviting again refreshes the one pending row: new hash and role.
    let again = invite(s, ws, "sam@example.com", Role::Editor, "h2").await;
    assert_eq!(again.id, first.id);
    assert_eq!(again.role(), Role::Editor);
    assert!(s.invitation_by_hash("h1").await.unwrap().is_none());
    assert_eq!(
        s.invitation_by_hash("h2").await.unwrap().unwrap().id,
        first.id
    );
    assert_eq!(s.workspace(ws).invitations().await.unwrap().len(), 1);
    assert_eq!(count(s, "invitations").await, 1);

    // Another address, or an expired invitation, writes nothing.
    assert!(
        s.accept_invitation(first.id, eve, "eve@example.com")
            .await
            .unwrap()
            .is_none()
    );
    sqlx::query("UPDATE invitations SET expires_at = $1")
        .bind(now_ms() - 1)
        .execute(s.pool())
        .await
        .unwrap();
    assert!(
        s.accept_invitation(first.id, sam, "sam@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.membership(sam, ws).await.unwrap().is_none());
    assert!(s.membership(eve, ws).await.unwrap().is_none());

    // Sent again: accepted once, with its role; the member opens it next.
    invite(s, ws, "sam@example.com", Role::Editor, "h3").await;
    let joined = s
        .accept_invitation(first.id, sam, "sam@example.com")
        .await
        .unwrap()
        .expect("accepted");
    assert_eq!((joined.workspace_id, joined.role()), (ws, Role::Editor));
    assert_eq!(
        s.user(sam).await.unwrap().unwrap().last_workspace_id,
        Some(ws)
    );
    assert_ne!(own, ws);
    let used = s.invitation_by_hash("h3").await.unwrap().unwrap();
    assert_eq!(used.status, "accepted");
    assert!(
        s.accept_invitation(first.id, sam, "sam@example.com")
            .await
            .unwrap()
            .is_none(),
        "once"
    );
    assert!(s.workspace(ws).invitations().await.unwrap().is_empty());
    assert!(
        !s.workspace(ws).revoke_invitation(first.id).await.unwrap(),
        "an accepted invitation is not revoked"
    );

    // Declined and revoked invitations close; the address may be invited
    // afresh afterwards.
    let d = invite(s, ws, "eve@example.com", Role::Viewer, "h4").await;
    assert!(!s.decline_invitation(d.id, "sam@example.com").await.unwrap());
    assert!(s.decline_invitation(d.id, "eve@example.com").await.unwrap());
    assert!(!s.decline_invitation(d.id, "eve@example.com").await.unwrap());
    let r = invite(s, ws, "eve@example.com", Role::Viewer, "h5").await;
    assert_ne!(r.id, d.id);
    assert!(s.workspace(ws).revoke_invitation(r.id).await.unwrap());
    assert!(!s.workspace(ws).revoke_invitation(r.id).await.unwrap());
    assert!(
        s.accept_invitation(r.id, eve, "eve@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        s.invitation_by_hash("h5").await.unwrap().unwrap().status,
        "revoked"
    );
    assert!(s.membership(eve, ws).await.unwrap().is_none());
    assert_eq!(count(s, "memberships").await, 4);
}

pub(super) async fn invitations_are_scoped_to_their_workspace(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (_, a, _) = signup(s, "a@example.com", "A").await;
    let (_, b, _) = signup(s, "b@example.com", "B").await;
    let inv = invite(s, a, "new@example.com", Role::Owner, "h-a").await;
    // The same address may be pending in two workspaces at once.
    let other = invite(s, b, "new@example.com", Role::Viewer, "h-b").await;
    assert_ne!(inv.id, other.id);
    assert!(!s.workspace(b).revoke_invitation(inv.id).await.unwrap());
    let listed: Vec<_> = s
        .workspace(b)
        .invitations()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(listed, vec![other.id]);
    assert_eq!(
        s.invitation_by_hash("h-a").await.unwrap().unwrap().status,
        "pending"
    );
}

pub(super) async fn workspaces_list_by_user(db: Db) {
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

pub(super) async fn sessions_round_trip_and_expire(db: Db) {
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
    // A request still in flight when the session was deleted (a logout)
    // saves it: it stays deleted.
    sessions.save(&record).await.unwrap();
    assert!(sessions.load(&record.id).await.unwrap().is_none());

    // However active, a session ends 30 days after it began.
    let mut old = Record {
        id: Id::default(),
        data: [("user_id".to_string(), serde_json::json!(8))].into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    sessions.create(&mut old).await.unwrap();
    assert!(sessions.load(&old.id).await.unwrap().is_some());
    sqlx::query("UPDATE web_sessions SET created_at = created_at - $1")
        .bind(server::store::ABSOLUTE_LIFETIME_MS)
        .execute(db.store.pool())
        .await
        .unwrap();
    assert!(sessions.load(&old.id).await.unwrap().is_none());
    sessions.save(&old).await.unwrap();
    assert!(sessions.load(&old.id).await.unwrap().is_none());
    assert_eq!(db.store.delete_expired_sessions().await.unwrap(), 1);
}

pub(super) async fn concurrent_owner_removals_keep_one_owner(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let (a, ws, _) = signup(s, "a@example.com", "W").await;
    let (b, _, _) = signup(s, "b@example.com", "B").await;
    join(s, ws, b, "b@example.com", Role::Owner).await;
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
