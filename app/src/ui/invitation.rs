//! The page behind an invitation link (`/invitations/{token}`): which
//! workspace it opens and with what role, then what the person looking can
//! do about it. The invited person accepts or declines; a visitor is shown
//! the way to log in or sign up and come back; anyone signed in with
//! another address is told which account to use, by its masked address
//! only. Every button is a plain form post, so the page works without
//! JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::auth::with_next;
use super::{Loaded, Page, format_time};
use crate::model::Role;
use crate::server_fns::{InvitationPage, get_invitation};

/// The invitation page.
#[component]
pub fn InvitationView() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let invitation = Resource::new(token, get_invitation);
    view! {
        <Page title="Invitation">
            <main class="narrow">
                <Loaded data=invitation loading="Loading the invitation…" let:inv>
                    {invitation_view(
                        inv,
                        params.with_untracked(|p| p.get("token").unwrap_or_default()),
                    )}
                </Loaded>
            </main>
        </Page>
    }
}

/// What the role lets a member do, in a phrase.
fn role_phrase(role: Role) -> &'static str {
    match role {
        Role::Owner => "who can do everything, including managing members and API tokens",
        Role::Editor => "who builds bots and manages the catalog and orders",
        Role::Agent => "who answers shoppers in the inbox but changes no bot, catalog or setting",
        Role::Viewer => "who can look at everything but change nothing",
    }
}

fn invitation_view(inv: InvitationPage, token: String) -> impl IntoView {
    let InvitationPage {
        workspace,
        role,
        email_hint,
        expires_at,
        viewer,
        refusal,
    } = inv;
    let page = format!("/invitations/{token}");
    #[cfg(feature = "ssr")]
    if refusal.is_some()
        && let Some(resp) = use_context::<leptos_axum::ResponseOptions>()
    {
        resp.set_status(http::StatusCode::FORBIDDEN);
    }
    let answer = match (viewer, refusal) {
        (None, _) => view! {
            <p>"Log in or create an account with that address to accept."</p>
            <p class="actions">
                <a class="button primary" href=with_next("/login", &page)>"Log in to accept"</a>
                <a class="button" href=with_next("/signup", &page)>"Create an account"</a>
            </p>
        }
        .into_any(),
        (Some(_), Some(refusal)) => view! {
            <div class="flash error" role="alert" data-testid="invitation-refused">
                <p>{refusal.message}</p>
            </div>
            <form method="post" action="/logout">
                <input type="hidden" name="next" value=page.clone() />
                <button type="submit">"Log out and switch account"</button>
            </form>
        }
        .into_any(),
        (Some(_), None) => view! {
            <div class="actions" data-testid="invitation-answer">
                <form method="post" action=format!("{page}/accept")>
                    <button type="submit" class="primary">"Accept invitation"</button>
                </form>
                <form method="post" action=format!("{page}/decline")>
                    <button type="submit">"Decline"</button>
                </form>
            </div>
        }
        .into_any(),
    };
    view! {
        <h1>"Join " {workspace.clone()} " on Botme"</h1>
        <p data-testid="invitation-summary">
            "You are invited to work in " <strong>{workspace}</strong> " as "
            <strong>{role.label().to_lowercase()}</strong> ", " {role_phrase(role)} "."
        </p>
        <p class="muted">
            "This invitation is for " <strong>{email_hint}</strong> ". The link works until "
            {format_time(expires_at)} "."
        </p>
        {answer}
    }
}
