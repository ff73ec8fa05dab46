//! Handlers for the pages' HTML forms, one file per area like the REST API.
//! They work without JavaScript: each calls the same [`service`] function as
//! the REST API, leaves a flash message in the session and redirects (303)
//! to the page to show next. Another workspace's object answers 404, as
//! everywhere. Handlers that need a signed-in person take [`Post`], which
//! sends anyone else to the login page.

mod accounts;
mod bots;
mod catalog;
mod channels;
mod contacts;
mod desk;
mod orders;

use std::collections::HashMap;

use app::model::{AppError, ErrorCode, Flash, Principal, Role};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, post};
use tower_sessions::Session;

use crate::http::auth::SignedIn;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Session key of the one-time flash message.
pub const SESSION_FLASH: &str = "flash";

/// The form routes.
pub fn routes() -> Router<AppState> {
    route_table()
        .into_iter()
        .fold(Router::new(), |router, (path, method)| {
            router.route(path, method)
        })
}

/// The path templates of every form route, so tests can check that each is
/// covered (tenant isolation).
pub fn paths() -> Vec<&'static str> {
    route_table().into_iter().map(|(path, _)| path).collect()
}

fn route_table() -> Vec<(&'static str, MethodRouter<AppState>)> {
    let mut table = vec![
        ("/signup", post(accounts::signup)),
        ("/login", post(accounts::login)),
        ("/logout", post(accounts::logout)),
        ("/bots", post(bots::create_bot)),
        ("/bots/{id}/rename", post(bots::rename_bot)),
        ("/bots/{id}/delete", post(bots::delete_bot)),
        ("/bots/{id}/publish", post(bots::publish_bot)),
        (
            "/bots/{id}/versions/{n}/restore",
            post(bots::restore_version),
        ),
        ("/products", post(catalog::create_product)),
        (
            "/products/import",
            post(catalog::import_products)
                .layer(axum::extract::DefaultBodyLimit::max(4 * 1024 * 1024)),
        ),
        ("/products/{id}", post(catalog::update_product)),
        ("/products/{id}/delete", post(catalog::delete_product)),
        ("/orders/{id}/status", post(orders::set_order_status)),
        ("/channels", post(channels::connect_channel)),
        ("/channels/{id}/delete", post(channels::disconnect_channel)),
        (
            "/channels/{id}/token",
            post(channels::replace_channel_token),
        ),
        ("/settings/tokens", post(accounts::create_token)),
        ("/settings/tokens/{id}/revoke", post(accounts::revoke_token)),
        ("/settings/members", post(accounts::invite)),
        (
            "/settings/invitations/{id}/revoke",
            post(accounts::revoke_invitation),
        ),
        (
            "/invitations/{token}/accept",
            post(accounts::accept_invitation),
        ),
        (
            "/invitations/{token}/decline",
            post(accounts::decline_invitation),
        ),
        (
            "/settings/members/{id}/role",
            post(accounts::set_member_role),
        ),
        (
            "/settings/members/{id}/remove",
            post(accounts::remove_member),
        ),
        ("/workspaces", post(accounts::create_workspace)),
        ("/workspaces/switch", post(accounts::switch_workspace)),
    ];
    table.extend(contacts::route_table());
    table.extend(desk::route_table());
    table
}

/// The fields of a url-encoded form. A body that does not parse reads as no
/// fields, which each handler reports as a missing value.
pub struct Fields(HashMap<String, String>);

impl Fields {
    fn get(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }

    fn role(&self, name: &str) -> Result<Role, AppError> {
        Role::parse(&self.get(name)).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidRole,
                "Choose owner, editor, agent or viewer.",
            )
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| crate::http::extract::too_large())?;
        Ok(Fields(
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
        ))
    }
}

/// Where a form post goes next.
enum Next {
    /// Redirect with a confirmation.
    Done(String, Flash),
    /// Redirect back with the error.
    Failed(String, ApiError, Option<String>),
}

async fn finish(session: &Session, next: Next) -> Response {
    let (to, flash) = match next {
        Next::Done(to, flash) => (to, flash),
        Next::Failed(_, err, _) if err.status == StatusCode::NOT_FOUND => {
            return not_found_page(&err.error.message);
        }
        Next::Failed(to, err, email) => {
            let details = details_of(&err);
            (
                to,
                Flash {
                    error: Some(err.error.message),
                    email,
                    details,
                    ..Flash::default()
                },
            )
        }
    };
    if let Err(e) = set_flash(session, flash).await {
        return e.into_response();
    }
    Redirect::to(&to).into_response()
}

fn not_found_page(message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found · Botme</title></head>\
         <body><main><h1>Not found</h1><p>{}</p><p><a href=\"/dashboard\">Back to your bots</a></p></main></body></html>",
        super::escape::html(message)
    );
    (StatusCode::NOT_FOUND, Html(body)).into_response()
}

/// Itemised problems carried by an error: CSV rows or flow problems.
fn details_of(err: &ApiError) -> Vec<String> {
    let mut out = Vec::new();
    for (key, value) in &err.extra {
        match *key {
            "rows" => {
                for row in value.as_array().into_iter().flatten() {
                    let errors: Vec<&str> = row["errors"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e.as_str())
                        .collect();
                    out.push(format!("Row {}: {}", row["row"], errors.join(" ")));
                }
            }
            "problems" => {
                for p in value.as_array().into_iter().flatten() {
                    if p["severity"] == "error" {
                        out.push(p["message"].as_str().unwrap_or_default().to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn notice(text: String) -> Flash {
    Flash {
        notice: Some(text),
        ..Flash::default()
    }
}

/// Redirect to `to` with a confirmation.
fn done(to: impl Into<String>, text: impl Into<String>) -> Next {
    Next::Done(to.into(), notice(text.into()))
}

/// What a signed-in person's form post works with: the state, the session
/// that carries the flash message, and the person. Anyone not signed in is
/// sent to the login page (see [`SignedIn`]).
pub struct Post {
    state: AppState,
    session: Session,
    p: Principal,
}

impl FromRequestParts<AppState> for Post {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let SignedIn(p) = SignedIn::from_request_parts(parts, state).await?;
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Post {
            state: state.clone(),
            session,
            p,
        })
    }
}

/// Answers a form post with the service's result: on success where `ok`
/// says, on failure back to `back` with the error.
async fn reply<T>(
    session: &Session,
    r: ApiResult<T>,
    back: &str,
    ok: impl FnOnce(T) -> Next,
) -> Response {
    finish(session, result(r, back, ok)).await
}

fn result<T>(r: ApiResult<T>, back: &str, ok: impl FnOnce(T) -> Next) -> Next {
    match r {
        Ok(v) => ok(v),
        Err(e) => Next::Failed(back.to_string(), e, None),
    }
}

/// Leaves a one-time message for the next page view.
pub async fn set_flash(session: &Session, flash: Flash) -> ApiResult<()> {
    session
        .insert(SESSION_FLASH, flash)
        .await
        .map_err(|e| ApiError::internal(&e))
}

/// Takes the flash message, if any, out of the session.
pub async fn take_flash(session: &Session) -> ApiResult<Flash> {
    Ok(session
        .remove::<Flash>(SESSION_FLASH)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .unwrap_or_default())
}
