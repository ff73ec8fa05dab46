//! Handlers for the pages' HTML forms. They work without JavaScript: each
//! calls the same [`service`] function as the REST API, leaves a flash
//! message in the session and redirects (303) to the page to show next.
//! Another workspace's object answers 404, as everywhere.

use std::collections::HashMap;

use app::model::{AppError, Flash, Principal, Role};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::post;
use tower_sessions::Session;

use crate::AppState;
use crate::auth::{client_ip, set_flash};
use crate::error::{ApiError, ApiResult};
use crate::extract::PathId;
use crate::service::{self, LoginRequest, SignupRequest};

/// The form routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/bots", post(create_bot))
        .route("/bots/{id}/rename", post(rename_bot))
        .route("/bots/{id}/delete", post(delete_bot))
        .route("/settings/tokens", post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
        .route("/settings/members", post(add_member))
        .route("/settings/members/{id}/role", post(set_member_role))
        .route("/settings/members/{id}/remove", post(remove_member))
        .route("/workspaces", post(create_workspace))
        .route("/workspaces/switch", post(switch_workspace))
}

/// The fields of a url-encoded form. A body that does not parse reads as no
/// fields, which each handler reports as a missing value.
pub struct Fields(HashMap<String, String>);

impl Fields {
    fn get(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }

    fn role(&self, name: &str) -> Result<Role, AppError> {
        Role::parse(&self.get(name))
            .ok_or_else(|| AppError::new("invalid_role", "Choose owner, editor or viewer."))
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| crate::extract::too_large())?;
        Ok(Fields(
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
        ))
    }
}

/// Where a form post goes next.
enum Outcome {
    /// Redirect with a confirmation.
    Done(&'static str, Flash),
    /// Redirect back with the error.
    Failed(String, ApiError, Option<String>),
}

async fn finish(session: &Session, outcome: Outcome) -> Response {
    let (to, flash) = match outcome {
        Outcome::Done(to, flash) => (to.to_string(), flash),
        Outcome::Failed(_, err, _) if err.status == StatusCode::NOT_FOUND => {
            return not_found_page(&err.error.message);
        }
        Outcome::Failed(to, err, email) => (
            to,
            Flash {
                error: Some(err.error.message),
                email,
                ..Flash::default()
            },
        ),
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
        html_escape(message)
    );
    (StatusCode::NOT_FOUND, Html(body)).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn notice(text: String) -> Flash {
    Flash {
        notice: Some(text),
        ..Flash::default()
    }
}

/// The signed-in principal of a browser session.
fn signed_in(ext: &Extensions) -> Option<Principal> {
    ext.get::<Principal>()
        .filter(|p| p.user_id.is_some())
        .cloned()
}

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// A `next` value that stays on this site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/dashboard"
    }
}

fn result<T>(r: ApiResult<T>, back: &str, ok: impl FnOnce(T) -> Outcome) -> Outcome {
    match r {
        Ok(v) => ok(v),
        Err(e) => Outcome::Failed(back.to_string(), e, None),
    }
}

async fn signup(State(state): State<AppState>, session: Session, f: Fields) -> Response {
    let email = f.get("email");
    let req = SignupRequest {
        email: email.clone(),
        password: f.get("password"),
        workspace: f.get("workspace"),
    };
    let outcome = match service::signup(&state, req).await {
        Ok(created) => match state
            .store
            .user(crate::store::UserId(created.user_id))
            .await
        {
            Ok(Some(user)) => match service::start_session(&state, &session, &user).await {
                Ok(_) => Outcome::Done(
                    "/dashboard",
                    notice(
                        "Welcome to Botme! Your workspace is ready. Create your first bot below."
                            .into(),
                    ),
                ),
                Err(e) => Outcome::Failed("/login".into(), e, Some(email)),
            },
            Ok(None) => return ApiError::internal(&"new user vanished").into_response(),
            Err(e) => return ApiError::from(e).into_response(),
        },
        Err(e) => Outcome::Failed("/signup".into(), e, Some(email)),
    };
    finish(&session, outcome).await
}

async fn login(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let email = f.get("email");
    let next = f.get("next");
    let req = LoginRequest {
        email: email.clone(),
        password: f.get("password"),
    };
    let outcome = match service::check_login(&state, req, client_ip(&ext)).await {
        Ok(user) => match service::start_session(&state, &session, &user).await {
            Ok(_) => return Redirect::to(safe_next(&next)).into_response(),
            Err(e) => Outcome::Failed("/login".into(), e, Some(email)),
        },
        Err(e) => {
            let back = if next.is_empty() {
                "/login".to_string()
            } else {
                format!(
                    "/login?{}",
                    serde_urlencoded::to_string([("next", safe_next(&next))]).unwrap_or_default()
                )
            };
            Outcome::Failed(back, e, Some(email))
        }
    };
    finish(&session, outcome).await
}

async fn logout(session: Session) -> Response {
    if let Err(e) = service::logout(&session).await {
        return e.into_response();
    }
    finish(
        &session,
        Outcome::Done("/login", notice("You are logged out.".into())),
    )
    .await
}

async fn create_bot(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let req = service::CreateBotRequest {
        name: f.get("name"),
        template: None,
    };
    let r = service::create_bot(&state, &p, req).await;
    let outcome = result(r, "/dashboard", |b| {
        Outcome::Done("/dashboard", notice(format!("Bot “{}” created.", b.name)))
    });
    finish(&session, outcome).await
}

async fn rename_bot(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let req = service::RenameBotRequest {
        name: f.get("name"),
    };
    let r = service::rename_bot(&state, &p, id, req).await;
    let outcome = result(r, "/dashboard", |b| {
        Outcome::Done(
            "/dashboard",
            notice(format!("Bot renamed to “{}”.", b.name)),
        )
    });
    finish(&session, outcome).await
}

async fn delete_bot(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = service::delete_bot(&state, &p, id).await;
    let outcome = result(r, "/dashboard", |()| {
        Outcome::Done("/dashboard", notice("Bot deleted.".into()))
    });
    finish(&session, outcome).await
}

async fn create_token(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match f.role("role") {
        Ok(role) => {
            let req = service::CreateTokenRequest {
                name: f.get("name"),
                role: Some(role),
            };
            service::create_token(&state, &p, req).await
        }
        Err(e) => Err(e.into()),
    };
    let outcome = result(r, "/settings", |t| {
        Outcome::Done(
            "/settings",
            Flash {
                notice: Some(format!("API token “{}” created.", t.summary.name)),
                new_token: Some(t.token),
                ..Flash::default()
            },
        )
    });
    finish(&session, outcome).await
}

async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = service::revoke_token(&state, &p, id).await;
    let outcome = result(r, "/settings", |()| {
        Outcome::Done(
            "/settings",
            notice("API token revoked. Programs using it are locked out.".into()),
        )
    });
    finish(&session, outcome).await
}

async fn add_member(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match f.role("role") {
        Ok(role) => {
            let req = service::AddMemberRequest {
                email: f.get("email"),
                role,
            };
            service::add_member(&state, &p, req).await
        }
        Err(e) => Err(e.into()),
    };
    let outcome = result(r, "/settings", |m| {
        Outcome::Done(
            "/settings",
            notice(format!(
                "{} can now work here as {}.",
                m.email,
                m.role.label().to_lowercase()
            )),
        )
    });
    finish(&session, outcome).await
}

async fn set_member_role(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match f.role("role") {
        Ok(role) => service::set_member_role(&state, &p, id, role).await,
        Err(e) => Err(e.into()),
    };
    let outcome = result(r, "/settings", |m| {
        Outcome::Done(
            "/settings",
            notice(format!(
                "{} is now {}.",
                m.email,
                m.role.label().to_lowercase()
            )),
        )
    });
    finish(&session, outcome).await
}

async fn remove_member(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let leaving = p.user_id == Some(id);
    let r = service::remove_member(&state, &p, id).await;
    let outcome = result(r, "/settings", |()| {
        if leaving {
            Outcome::Done(
                "/dashboard",
                notice(format!("You left {}.", p.workspace_name)),
            )
        } else {
            Outcome::Done("/settings", notice("Member removed.".into()))
        }
    });
    finish(&session, outcome).await
}

async fn create_workspace(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let req = service::CreateWorkspaceRequest {
        name: f.get("name"),
    };
    let r = match service::create_workspace(&state, &p, req).await {
        Ok(ws) => service::switch_workspace(&state, &session, &p, ws.id).await,
        Err(e) => Err(e),
    };
    let outcome = result(r, "/settings", |ws| {
        Outcome::Done(
            "/dashboard",
            notice(format!(
                "Workspace “{}” created. You are working in it now.",
                ws.name
            )),
        )
    });
    finish(&session, outcome).await
}

async fn switch_workspace(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match f.get("workspace_id").trim().parse::<i64>() {
        Ok(id) => service::switch_workspace(&state, &session, &p, id).await,
        Err(_) => Err(ApiError::not_found("workspace")),
    };
    let outcome = result(r, "/dashboard", |ws| {
        Outcome::Done(
            "/dashboard",
            notice(format!("You are now working in {}.", ws.name)),
        )
    });
    finish(&session, outcome).await
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/settings"), "/settings");
        assert_eq!(safe_next("//evil.example"), "/dashboard");
        assert_eq!(safe_next("/\\evil.example"), "/dashboard");
        assert_eq!(safe_next("https://evil.example"), "/dashboard");
        assert_eq!(safe_next(""), "/dashboard");
    }
}
