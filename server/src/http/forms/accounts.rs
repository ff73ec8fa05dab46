//! Form posts for accounts: sign-up, login and logout, API tokens,
//! members, invitations and workspaces.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::model::Flash;

use super::{Fields, Next, Post, done, finish, reply};
use crate::http::auth::{ClientIp, MaybeSignedIn};
use crate::http::error::ApiError;
use crate::http::extract::PathId;
use crate::service::{self, LoginRequest, SignupRequest};
use crate::state::AppState;
use crate::store::{InvitationId, TokenId, UserId, WorkspaceId};

pub(super) async fn signup(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    f: Fields,
) -> Response {
    let email = f.get("email");
    let next = f.get("next");
    let req = SignupRequest {
        email: email.clone(),
        password: f.get("password"),
        workspace: f.get("workspace"),
    };
    let outcome = match service::signup(&state, req, ip).await {
        Ok(created) => match state
            .store
            .user(crate::store::UserId(created.user_id))
            .await
        {
            Ok(Some(user)) => match service::start_session(&state, &session, &user).await {
                // Back to where sign-up was asked for (an invitation).
                Ok(_) if !next.is_empty() => {
                    done(safe_next(&next), "Welcome to Botme! Your account is ready.")
                }
                Ok(_) => done(
                    "/dashboard",
                    "Welcome to Botme! Your workspace is ready. Create your first bot below.",
                ),
                Err(e) => Next::Failed("/login".into(), e, Some(email)),
            },
            Ok(None) => return ApiError::internal(&"new user vanished").into_response(),
            Err(e) => return ApiError::from(e).into_response(),
        },
        Err(e) => Next::Failed(with_next("/signup", &next), e, Some(email)),
    };
    finish(&session, outcome).await
}

pub(super) async fn login(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    f: Fields,
) -> Response {
    let email = f.get("email");
    let next = f.get("next");
    let req = LoginRequest {
        email: email.clone(),
        password: f.get("password"),
    };
    let outcome = match service::check_login(&state, req, ip).await {
        Ok(user) => match service::start_session(&state, &session, &user).await {
            Ok(_) => return Redirect::to(safe_next(&next)).into_response(),
            Err(e) => Next::Failed("/login".into(), e, Some(email)),
        },
        Err(e) => Next::Failed(with_next("/login", &next), e, Some(email)),
    };
    finish(&session, outcome).await
}

/// Logs out; a `next` field (the invitation page, asking for another
/// account) comes back through the login page.
pub(super) async fn logout(session: Session, f: Fields) -> Response {
    if let Err(e) = service::logout(&session).await {
        return e.into_response();
    }
    let to = with_next("/login", &f.get("next"));
    finish(&session, done(to, "You are logged out.")).await
}

pub(super) async fn create_token(Post { state, session, p }: Post, f: Fields) -> Response {
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
    reply(&session, r, "/settings", |t| {
        Next::Done(
            "/settings".into(),
            Flash {
                notice: Some(format!("API token “{}” created.", t.summary.name)),
                new_token: Some(t.token),
                ..Flash::default()
            },
        )
    })
    .await
}

pub(super) async fn revoke_token(
    Post { state, session, p }: Post,
    PathId(id): PathId<TokenId>,
) -> Response {
    let r = service::revoke_token(&state, &p, id).await;
    reply(&session, r, "/settings", |()| {
        done(
            "/settings",
            "API token revoked. Programs using it are locked out.",
        )
    })
    .await
}

pub(super) async fn invite(Post { state, session, p }: Post, f: Fields) -> Response {
    let r = match f.role("role") {
        Ok(role) => {
            let req = service::InviteRequest {
                email: f.get("email"),
                role,
            };
            service::invite(&state, &p, req).await
        }
        Err(e) => Err(e.into()),
    };
    reply(&session, r, "/settings", |i| {
        Next::Done(
            "/settings".into(),
            Flash {
                notice: Some(format!(
                    "Invitation for {} as {} created. Send them the link below; \
                     they join once they accept it, signed in as {}.",
                    i.summary.email,
                    i.summary.role.label().to_lowercase(),
                    i.summary.email
                )),
                new_invitation: Some(i.accept_url),
                ..Flash::default()
            },
        )
    })
    .await
}

pub(super) async fn revoke_invitation(
    Post { state, session, p }: Post,
    PathId(id): PathId<InvitationId>,
) -> Response {
    let r = service::revoke_invitation(&state, &p, id).await;
    reply(&session, r, "/settings", |()| {
        done("/settings", "Invitation revoked. Its link no longer works.")
    })
    .await
}

/// The invitation page of a link's secret.
fn invitation_page(secret: &str) -> String {
    format!("/invitations/{}", urlencoding(secret))
}

/// The secret as a path segment; real secrets are base64url already.
fn urlencoding(secret: &str) -> String {
    secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The login page, for a visitor answering an invitation: it comes back to
/// the invitation afterwards.
fn login_first(secret: &str) -> Response {
    let next = serde_urlencoded::to_string([("next", invitation_page(secret))]).unwrap_or_default();
    Redirect::to(&format!("/login?{next}")).into_response()
}

pub(super) async fn accept_invitation(
    State(state): State<AppState>,
    session: Session,
    MaybeSignedIn(p): MaybeSignedIn,
    Path(secret): Path<String>,
) -> Response {
    let Some(p) = p else {
        return login_first(&secret);
    };
    let r = service::accept_invitation(&state, &session, &p, &secret).await;
    reply(&session, r, &invitation_page(&secret), |ws| {
        done(
            "/dashboard",
            format!(
                "Welcome to {}! You joined as {} and are working in it now.",
                ws.name,
                ws.role.label().to_lowercase()
            ),
        )
    })
    .await
}

pub(super) async fn decline_invitation(
    State(state): State<AppState>,
    session: Session,
    MaybeSignedIn(p): MaybeSignedIn,
    Path(secret): Path<String>,
) -> Response {
    let Some(p) = p else {
        return login_first(&secret);
    };
    let r = service::decline_invitation(&state, &p, &secret).await;
    reply(&session, r, &invitation_page(&secret), |workspace| {
        done(
            "/dashboard",
            format!("You declined the invitation to {workspace}."),
        )
    })
    .await
}

pub(super) async fn set_member_role(
    Post { state, session, p }: Post,
    PathId(id): PathId<UserId>,
    f: Fields,
) -> Response {
    let r = match f.role("role") {
        Ok(role) => service::set_member_role(&state, &p, id, role).await,
        Err(e) => Err(e.into()),
    };
    reply(&session, r, "/settings", |m| {
        done(
            "/settings",
            format!("{} is now {}.", m.email, m.role.label().to_lowercase()),
        )
    })
    .await
}

pub(super) async fn remove_member(
    Post { state, session, p }: Post,
    PathId(id): PathId<UserId>,
) -> Response {
    let leaving = p.user_id == Some(id.0);
    let r = service::remove_member(&state, &p, id).await;
    reply(&session, r, "/settings", |()| {
        if leaving {
            done("/dashboard", format!("You left {}.", p.workspace_name))
        } else {
            done("/settings", "Member removed.")
        }
    })
    .await
}

pub(super) async fn create_workspace(Post { state, session, p }: Post, f: Fields) -> Response {
    let req = service::CreateWorkspaceRequest {
        name: f.get("name"),
    };
    let r = match service::create_workspace(&state, &p, req).await {
        Ok(ws) => service::switch_workspace(&state, &session, &p, WorkspaceId(ws.id)).await,
        Err(e) => Err(e),
    };
    reply(&session, r, "/settings", |ws| {
        done(
            "/dashboard",
            format!(
                "Workspace “{}” created. You are working in it now.",
                ws.name
            ),
        )
    })
    .await
}

pub(super) async fn switch_workspace(Post { state, session, p }: Post, f: Fields) -> Response {
    let r = match f.get("workspace_id").trim().parse::<i64>() {
        Ok(id) => service::switch_workspace(&state, &session, &p, WorkspaceId(id)).await,
        Err(_) => Err(ApiError::not_found("workspace")),
    };
    reply(&session, r, "/dashboard", |ws| {
        done("/dashboard", format!("You are now working in {}.", ws.name))
    })
    .await
}

/// `page` (`/login`), carrying `next` along when there is one.
fn with_next(page: &str, next: &str) -> String {
    if next.is_empty() {
        page.to_string()
    } else {
        format!(
            "{page}?{}",
            serde_urlencoded::to_string([("next", safe_next(next))]).unwrap_or_default()
        )
    }
}

/// A `next` value that stays on this site: a bare local path, else the
/// dashboard. Browsers drop tabs and newlines from URLs and read `\` as
/// `/`, so `/\t/evil.example` would leave the site; any whitespace, control
/// character or backslash is refused, as is a second leading slash.
fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    if local { next } else { "/dashboard" }
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
        // Browsers strip tabs and newlines, so these become `//evil.example`.
        for sneaky in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\u{0}/evil.example",
            " //evil.example",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "/\u{2028}/evil.example",
            "/x\\..\\/evil.example",
            "evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(sneaky), "/dashboard", "{sneaky:?}");
        }
        // Ordinary local paths with queries and fragments pass untouched.
        assert_eq!(
            safe_next("/bots/3/edit?tab=flow#node-1"),
            "/bots/3/edit?tab=flow#node-1"
        );
        assert_eq!(safe_next("/orders?status=paid"), "/orders?status=paid");
    }
}
