//! The operations behind the REST API, the HTML forms and the pages' server
//! functions: validation, authorisation and the store call. Each takes the
//! acting [`Principal`](app::model::Principal); tenant scoping follows from
//! its workspace.

use app::model::{Principal, Role};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{MembershipRow, UserId, Workspace, WorkspaceId};

mod accounts;
mod bots;
mod catalog;
mod channels;
mod contacts;
mod desk;
mod flows;
mod handoffs;
mod invitations;
mod orders;
mod ownership;

pub use accounts::*;
pub use bots::*;
pub use catalog::*;
pub use channels::*;
pub use contacts::*;
pub use desk::*;
pub use flows::*;
pub use handoffs::*;
pub use invitations::*;
pub use orders::*;

pub use app::views::*;

/// Who did something, for version and order history: the user's email, or
/// the API token.
pub fn actor_name(p: &app::model::Principal) -> String {
    match (&p.email, p.token_id) {
        (Some(email), _) => email.clone(),
        (None, Some(id)) => format!("API token #{id}"),
        (None, None) => "unknown".into(),
    }
}

/// Fails with 403 unless the principal holds at least `role`; `doing` names
/// the action in the message ("change bots").
pub fn require(p: &Principal, role: Role, doing: &str) -> ApiResult<()> {
    if p.can(role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "As {} of this workspace you cannot {doing}. Ask an owner for a different role.",
            match p.role {
                Role::Viewer => "a viewer",
                Role::Agent => "an agent",
                Role::Editor => "an editor",
                Role::Owner => "an owner",
            }
        )))
    }
}

/// The principal's workspace's data.
pub fn tenant<'a>(state: &'a AppState, p: &Principal) -> Workspace<'a> {
    state.store.workspace(workspace(p))
}

/// The principal's workspace as a store id.
pub fn workspace(p: &Principal) -> WorkspaceId {
    WorkspaceId(p.workspace_id)
}

/// The workspace a user lands in: the last one used if still a member, else
/// the first by name. A user who belongs to none gets a fresh workspace, so
/// every signed-in user always has somewhere to work.
pub async fn workspace_for_login(
    state: &AppState,
    user: UserId,
    last: Option<WorkspaceId>,
) -> ApiResult<MembershipRow> {
    if let Some(ws) = last
        && let Some(m) = state.store.membership(user, ws).await?
    {
        return Ok(m);
    }
    if let Some(m) = state.store.memberships(user).await?.into_iter().next() {
        return Ok(m);
    }
    let ws = state.store.create_workspace(user, "My workspace").await?;
    state
        .store
        .membership(user, ws)
        .await?
        .ok_or_else(|| ApiError::internal(&"new workspace has no membership"))
}
