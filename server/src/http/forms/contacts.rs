//! The contacts page's forms: a contact's tags, attributes and opt-out.

use axum::response::Response;
use axum::routing::{MethodRouter, post};

use super::{Fields, Post, done, reply};
use crate::http::extract::PathId;
use crate::service;
use crate::state::AppState;
use crate::store::ContactId;

/// This area's form routes.
pub(super) fn route_table() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![("/contacts/{id}", post(update_contact))]
}

/// Tags (comma-separated), attributes (`key = value` a line, replacing
/// them all) and the opt-out checkbox.
async fn update_contact(
    Post { state, session, p }: Post,
    PathId(id): PathId<ContactId>,
    f: Fields,
) -> Response {
    let back = format!("/contacts/{id}");
    let opted_out = matches!(f.get("opted_out").as_str(), "on" | "true" | "1" | "yes");
    let r = service::update_contact_from_form(
        &state,
        &p,
        id,
        &f.get("tags"),
        &f.get("attributes"),
        opted_out,
    )
    .await;
    reply(&session, r, &back, |_| done(back.clone(), "Contact saved.")).await
}
