//! Invitations over HTTP: an owner invites an address with a role; only a
//! person signed in with that address, holding the link, joins, once. The
//! attack this closes: someone who registered a future colleague's address
//! first used to be added with their role the moment the owner typed it.

use crate::common::{self, Client, Db, PASSWORD, TestApp, on_both_dbs};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

on_both_dbs!(an_invitation_is_accepted_once_by_its_address_with_its_role,);

/// The secret at the end of an `accept_url`.
pub(crate) fn secret_of(accept_url: &str) -> String {
    accept_url
        .rsplit_once("/invitations/")
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| panic!("not an invitation link: {accept_url}"))
}

/// Invites `email` into `owner`'s current workspace as `role`; the answer.
pub(crate) async fn invite(owner: &mut Client, email: &str, role: &str) -> Value {
    let res = owner
        .post_json("/api/v1/members", json!({"email": email, "role": role}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "invite: {}", res.text());
    res.json()
}

/// Accepts through the API as `member`.
pub(crate) async fn accept(member: &mut Client, secret: &str) -> common::TestResponse {
    member
        .post_json(&format!("/api/v1/invitations/{secret}/accept"), json!({}))
        .await
}

/// The one way into another person's workspace: `owner` invites `email` as
/// `role`, and `member`, signed in with that address, accepts. Answers the
/// joined workspace; the member's session now acts in it.
pub(crate) async fn join(
    owner: &mut Client,
    member: &mut Client,
    email: &str,
    role: &str,
) -> Value {
    let invitation = invite(owner, email, role).await;
    let res = accept(
        member,
        &secret_of(invitation["accept_url"].as_str().unwrap()),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "accept: {}", res.text());
    res.json()
}

fn emails(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap().to_string())
        .collect()
}

async fn an_invitation_is_accepted_once_by_its_address_with_its_role(db: Db) {
    let app = TestApp::new(db).await;
    let (mut owner, created) = app.signed_up("owner@example.com", "Shop").await;
    let shop = created["workspace_id"].as_i64().unwrap();

    // The invited person needs no account yet.
    let before = common::now_ms();
    let inv = invite(&mut owner, " Tea@Example.com ", "viewer").await;
    assert_eq!(inv["email"], "tea@example.com");
    assert_eq!(inv["role"], "viewer");
    assert_eq!(inv["invited_by"], "owner@example.com");
    assert_eq!(inv["expired"], false);
    let week = 7 * 24 * 3600 * 1000;
    let expires = inv["expires_at"].as_i64().unwrap();
    assert!(expires >= before + week && expires <= common::now_ms() + week);
    let url = inv["accept_url"].as_str().unwrap();
    assert!(
        url.starts_with("http://") && url.contains("/invitations/inv_"),
        "{url}"
    );
    let secret = secret_of(url);

    // Only the link's hash is kept, and nobody joined yet.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM invitations")
        .fetch_all(app.db.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, vec![server::auth::hash_token(&secret)]);
    let members = owner.get("/api/v1/members").await.json();
    assert_eq!(emails(&members, "members"), vec!["owner@example.com"]);
    let pending = owner.get("/api/v1/invitations").await.json();
    assert_eq!(emails(&pending, "invitations"), vec!["tea@example.com"]);
    assert!(
        pending["invitations"][0].get("accept_url").is_none(),
        "shown once"
    );

    // Signed out, nothing; then the person signs up with that address and
    // accepts, whatever the case of it.
    let mut anon = app.client();
    accept(&mut anon, &secret)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let (mut tea, _) = app.signed_up("TEA@example.com", "Tea's own").await;
    let res = accept(&mut tea, &secret).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["id"], shop);
    assert_eq!(res.json()["name"], "Shop");
    assert_eq!(res.json()["role"], "viewer");

    // The session moved there, with the invited role.
    let me = tea.get("/api/v1/me").await.json();
    assert_eq!(me["workspace"]["id"], shop);
    assert_eq!(me["workspace"]["role"], "viewer");
    let res = tea.post_json("/api/v1/bots", json!({"name": "x"})).await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "a viewer: {}",
        res.text()
    );
    let members = owner.get("/api/v1/members").await.json();
    assert_eq!(
        emails(&members, "members"),
        vec!["owner@example.com", "tea@example.com"]
    );
    assert_eq!(members["members"][1]["role"], "viewer");
    assert_eq!(
        owner.get("/api/v1/invitations").await.json()["invitations"],
        json!([])
    );

    // It works once: again, or by anyone else, it is used.
    accept(&mut tea, &secret)
        .await
        .assert_error(StatusCode::GONE, "invitation_used");
    let res = owner
        .post_json(&format!("/api/v1/invitations/{secret}/decline"), json!({}))
        .await;
    res.assert_error(StatusCode::GONE, "invitation_used");
    assert!(res.error_message().contains("already accepted"));
    assert_eq!(app.count("memberships").await, 3);

    // Logging in again opens the workspace joined last.
    tea.post_json("/api/v1/logout", json!({})).await;
    tea.login("tea@example.com", PASSWORD).await;
    assert_eq!(tea.get("/api/v1/me").await.json()["workspace"]["id"], shop);

    // A member is invited no more; nor is the owner.
    for email in ["tea@example.com", "OWNER@example.com"] {
        owner
            .post_json("/api/v1/members", json!({"email": email, "role": "editor"}))
            .await
            .assert_error(StatusCode::CONFLICT, "already_member");
    }
    assert_eq!(app.count("invitations").await, 1);
}

/// Someone registers a future colleague's address before they do. The
/// owner's invitation adds nobody; a person signed in with another
/// address who gets hold of the link is refused (403) and joins nothing.
#[tokio::test]
async fn a_pre_registered_address_or_a_forwarded_link_gains_nothing() {
    let app = TestApp::sqlite().await;
    let (mut attacker, attacker_signup) = app.signed_up("new.hire@shop.example", "Mallory").await;
    let (mut owner, _) = app.signed_up("owner@shop.example", "Shop").await;
    let inv = invite(&mut owner, "new.hire@shop.example", "owner").await;
    let secret = secret_of(inv["accept_url"].as_str().unwrap());

    // Inviting the address gave its account nothing: it sees only its own
    // workspace, and cannot guess its way in.
    let own = attacker.get("/api/v1/workspaces").await.json();
    assert_eq!(own["workspaces"].as_array().unwrap().len(), 1);
    assert_eq!(own["workspaces"][0]["name"], "Mallory");
    let forged = format!("inv_{}", "A".repeat(43));
    accept(&mut attacker, &forged)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.count("memberships").await, 2);

    // A link forwarded to (or intercepted by) another account: 403, with
    // the account to use, masked.
    let (mut eve, _) = app.signed_up("eve@elsewhere.example", "Eve").await;
    let res = accept(&mut eve, &secret).await;
    res.assert_error(StatusCode::FORBIDDEN, "wrong_account");
    let message = res.error_message();
    assert!(message.contains("n•••@shop.example"), "{message}");
    assert!(message.contains("eve@elsewhere.example"), "{message}");
    assert!(
        !message.contains("new.hire"),
        "the address is masked: {message}"
    );
    eve.post_json(&format!("/api/v1/invitations/{secret}/decline"), json!({}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "wrong_account");
    let me = eve.get("/api/v1/me").await.json();
    assert_eq!(me["workspace"]["name"], "Eve");
    assert_eq!(
        eve.get("/api/v1/workspaces").await.json()["workspaces"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // An API token is a workspace's, not a person's: it cannot accept,
    // even one of the invited address's own workspace.
    let mut token = attacker.with_token(attacker_signup["token"].as_str().unwrap());
    accept(&mut token, &secret)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("memberships").await, 3, "only each one's own");

    // The invitation still waits for its address.
    let pending = owner.get("/api/v1/invitations").await.json();
    assert_eq!(
        emails(&pending, "invitations"),
        vec!["new.hire@shop.example"]
    );
    let members = owner.get("/api/v1/members").await.json();
    assert_eq!(emails(&members, "members"), vec!["owner@shop.example"]);
}

#[tokio::test]
async fn expired_invitations_answer_410_until_sent_again() {
    let app = TestApp::sqlite().await;
    let (mut owner, _) = app.signed_up("owner@example.com", "Shop").await;
    let (mut sam, _) = app.signed_up("sam@example.com", "Sam's").await;
    let first = invite(&mut owner, "sam@example.com", "viewer").await;
    let old = secret_of(first["accept_url"].as_str().unwrap());
    sqlx::query("UPDATE invitations SET expires_at = $1")
        .bind(common::now_ms() - 1)
        .execute(app.db.store.pool())
        .await
        .unwrap();

    let res = accept(&mut sam, &old).await;
    res.assert_error(StatusCode::GONE, "invitation_expired");
    assert!(
        res.error_message().contains("invite you again"),
        "{}",
        res.text()
    );
    let pending = owner.get("/api/v1/invitations").await.json();
    assert_eq!(pending["invitations"][0]["expired"], true);

    // Inviting again refreshes the same invitation: a new link, role and
    // expiry; the old link no longer leads anywhere.
    let again = invite(&mut owner, "sam@example.com", "editor").await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["expired"], false);
    let new = secret_of(again["accept_url"].as_str().unwrap());
    assert_ne!(new, old);
    accept(&mut sam, &old)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let res = accept(&mut sam, &new).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["role"], "editor");
    assert_eq!(app.count("invitations").await, 1);
}

#[tokio::test]
async fn inviting_again_refreshes_and_owners_revoke() {
    let app = TestApp::sqlite().await;
    let (mut owner, _) = app.signed_up("owner@example.com", "Shop").await;
    let (mut ed, _) = app.signed_up("ed@example.com", "Ed's").await;
    join(&mut owner, &mut ed, "ed@example.com", "editor").await;

    let a = invite(&mut owner, "kim@example.com", "viewer").await;
    let b = invite(&mut owner, "KIM@example.com", "owner").await;
    assert_eq!(a["id"], b["id"], "one pending invitation per address");
    assert_eq!(b["role"], "owner");
    let list = owner.get("/api/v1/invitations").await.json();
    assert_eq!(list["invitations"].as_array().unwrap().len(), 1);
    assert_eq!(list["invitations"][0]["role"], "owner");

    // Editors neither invite, list nor revoke.
    let id = b["id"].as_i64().unwrap();
    for res in [
        ed.post_json(
            "/api/v1/members",
            json!({"email": "x@example.com", "role": "viewer"}),
        )
        .await,
        ed.post_json(
            "/api/v1/invitations",
            json!({"email": "x@example.com", "role": "viewer"}),
        )
        .await,
        ed.get("/api/v1/invitations").await,
        ed.delete(&format!("/api/v1/invitations/{id}")).await,
    ] {
        res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    }
    // Bad input is a clear 422.
    let res = owner
        .post_json(
            "/api/v1/invitations",
            json!({"email": "kim@", "role": "viewer"}),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_email");
    let res = owner
        .post_json(
            "/api/v1/members",
            json!({"email": "x@example.com", "role": "admin"}),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );

    // Revoked: the link stops working, with words.
    let res = owner.delete(&format!("/api/v1/invitations/{id}")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text());
    assert_eq!(
        owner.get("/api/v1/invitations").await.json()["invitations"],
        json!([])
    );
    owner
        .delete(&format!("/api/v1/invitations/{id}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let (mut kim, _) = app.signed_up("kim@example.com", "Kim's").await;
    let res = accept(&mut kim, &secret_of(b["accept_url"].as_str().unwrap())).await;
    res.assert_error(StatusCode::GONE, "invitation_revoked");
    assert!(res.error_message().contains("withdrawn"));
    assert_eq!(
        kim.get("/api/v1/me").await.json()["workspace"]["name"],
        "Kim's"
    );

    // After a revocation the address can be invited afresh, and may decline.
    let c = invite(&mut owner, "kim@example.com", "viewer").await;
    assert_ne!(c["id"], b["id"]);
    let secret = secret_of(c["accept_url"].as_str().unwrap());
    let res = kim
        .request(
            Method::POST,
            &format!("/api/v1/invitations/{secret}/decline"),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text());
    accept(&mut kim, &secret)
        .await
        .assert_error(StatusCode::GONE, "invitation_used");
    assert_eq!(
        owner.get("/api/v1/invitations").await.json()["invitations"],
        json!([])
    );
    let members = owner.get("/api/v1/members").await.json();
    assert_eq!(
        emails(&members, "members"),
        vec!["ed@example.com", "owner@example.com"]
    );
}

/// Accepting is one transaction: two clicks at once join once, and a
/// person who is a member already is told so, the invitation untouched.
#[tokio::test]
async fn accepting_twice_at_once_joins_once() {
    let app = TestApp::sqlite().await;
    let (mut owner, _) = app.signed_up("owner@example.com", "Shop").await;
    let (mut sam, _) = app.signed_up("sam@example.com", "Sam's").await;
    let inv = invite(&mut owner, "sam@example.com", "editor").await;
    let secret = secret_of(inv["accept_url"].as_str().unwrap());
    let mut sam2 = sam.clone();
    let (a, b) = tokio::join!(accept(&mut sam, &secret), accept(&mut sam2, &secret));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::GONE],
        "{} {}",
        a.text(),
        b.text()
    );
    let members = owner.get("/api/v1/members").await.json();
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    let used: String = sqlx::query_scalar("SELECT status FROM invitations")
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
    assert_eq!(used, "accepted");
}

/// The invitation page and its forms, without JavaScript: a visitor is
/// sent to log in or sign up and back; the wrong account is told which
/// to use; the invited person accepts or declines.
#[tokio::test]
async fn the_invitation_page_works_for_visitors_the_invited_and_others() {
    let app = TestApp::sqlite().await;
    let (mut owner, _) = app.signed_up("owner@example.com", "Green Grocer").await;

    // The settings form invites and shows the link once.
    let res = owner
        .post_form(
            "/settings/members",
            &[("email", "lee@example.com"), ("role", "editor")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let html = owner.get("/settings").await.text();
    assert!(
        html.contains("Invitation for lee@example.com as editor created."),
        "{html}"
    );
    let start = html.find("/invitations/inv_").expect("the link is shown");
    let secret: String = html[start + "/invitations/".len()..]
        .chars()
        .take(47)
        .collect();
    assert!(html.contains("It will not be shown again"));
    let html = owner.get("/settings").await.text();
    assert!(!html.contains(&secret), "shown twice");
    assert!(
        html.contains("lee@example.com") && html.contains("invitation-list"),
        "listed"
    );
    let page = format!("/invitations/{secret}");

    // A visitor sees where it leads, for whom (masked), and the way in.
    let mut visitor = app.client();
    let res = visitor.get(&page).await;
    assert_eq!(res.status, StatusCode::OK);
    let html = res.text();
    assert!(
        html.contains("Green Grocer") && html.contains("editor"),
        "{html}"
    );
    assert!(html.contains("l•••@example.com") && !html.contains("lee@example.com"));
    let next = format!("next=%2Finvitations%2F{secret}");
    assert!(html.contains(&format!("/login?{next}")), "{html}");
    assert!(html.contains(&format!("/signup?{next}")), "{html}");
    assert!(!html.contains("Accept invitation"));
    // Posting the form signed out goes to the login page, and back.
    let res = visitor.post_form(&format!("{page}/accept"), &[]).await;
    assert_eq!(
        res.location().as_deref(),
        Some(format!("/login?{next}").as_str())
    );

    // Signing up from there comes back to the invitation.
    let res = visitor
        .post_form(
            "/signup",
            &[
                ("email", "lee@example.com"),
                ("password", PASSWORD),
                ("workspace", "Lee's"),
                ("next", &page),
            ],
        )
        .await;
    assert_eq!(
        res.location().as_deref(),
        Some(page.as_str()),
        "{}",
        res.text()
    );

    // Another account: 403, told which address to use, no buttons.
    let (mut other, _) = app.signed_up("other@example.com", "Other").await;
    let res = other.get(&page).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let html = res.text();
    assert!(html.contains("signed in as other@example.com"), "{html}");
    assert!(html.contains("l•••@example.com") && !html.contains("lee@example.com"));
    assert!(!html.contains("Accept invitation"));
    assert!(html.contains("Log out and switch account"));
    let res = other.post_form(&format!("{page}/accept"), &[]).await;
    assert_eq!(res.location().as_deref(), Some(page.as_str()));
    assert!(
        other
            .get(&page)
            .await
            .text()
            .contains("signed in as other@example.com")
    );
    assert_eq!(app.count("memberships").await, 3, "nobody joined");
    // Logging out from there comes back through the login page.
    let res = other.post_form("/logout", &[("next", &page)]).await;
    assert_eq!(
        res.location().as_deref(),
        Some(format!("/login?{next}").as_str())
    );

    // The invited person accepts and lands in the workspace.
    let res = visitor.get(&page).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("Accept invitation"));
    let res = visitor.post_form(&format!("{page}/accept"), &[]).await;
    assert_eq!(res.location().as_deref(), Some("/dashboard"));
    let html = visitor.get("/dashboard").await.text();
    assert!(
        html.contains("Welcome to Green Grocer! You joined as editor"),
        "{html}"
    );
    assert_eq!(
        visitor.get("/api/v1/me").await.json()["workspace"]["name"],
        "Green Grocer"
    );

    // Used: the page says so with 410.
    let res = visitor.get(&page).await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(res.text().contains("already accepted"));
    // An unknown link: 404, in words.
    let res = visitor
        .get(&format!("/invitations/inv_{}", "x".repeat(43)))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.text().contains("This invitation link is not valid"));

    // Declining, and revoking from the settings page.
    let inv = invite(&mut owner, "other@example.com", "viewer").await;
    let declined = format!(
        "/invitations/{}",
        secret_of(inv["accept_url"].as_str().unwrap())
    );
    other.login("other@example.com", PASSWORD).await;
    let res = other.post_form(&format!("{declined}/decline"), &[]).await;
    assert_eq!(res.location().as_deref(), Some("/dashboard"));
    assert!(
        other
            .get("/dashboard")
            .await
            .text()
            .contains("You declined the invitation to Green Grocer.")
    );
    assert_eq!(other.get(&declined).await.status, StatusCode::GONE);

    let inv = invite(&mut owner, "pat@example.com", "viewer").await;
    let id = inv["id"].as_i64().unwrap();
    let res = owner
        .post_form(&format!("/settings/invitations/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        owner
            .get("/settings")
            .await
            .text()
            .contains("Invitation revoked.")
    );
    let revoked = format!(
        "/invitations/{}",
        secret_of(inv["accept_url"].as_str().unwrap())
    );
    let res = visitor.get(&revoked).await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(res.text().contains("withdrawn"));
}
