//! Invitations: how a person joins someone else's workspace.
//!
//! An owner invites an address with a role and is shown the link once, to
//! send it themselves (Botme sends no email). The invitation is accepted
//! only by a signed-in person whose account uses that very address, so an
//! attacker who registered a future colleague's address first gains
//! nothing: the link still waits for that address, and the owner sees who
//! it is for. API tokens belong to a workspace, not a person, and cannot
//! accept.

use app::account::Email;
use app::model::{
    AppError, AuthVia, ErrorCode, InvitationSummary, Principal, Role, WorkspaceSummary, mask_email,
};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa::ToSchema;

use super::{require, tenant};
use crate::auth::{NewToken, SESSION_WORKSPACE, hash_token};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{InvitationId, InvitationRow, NewInvitation, StoreError, UserId, now_ms};

/// How long an invitation link works.
pub const INVITATION_LIFETIME_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// `POST /api/v1/members` and `POST /api/v1/invitations`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteRequest {
    /// The address to invite. They need no account yet, and must accept
    /// while signed in with this address.
    pub email: String,
    /// The role they get on accepting.
    pub role: Role,
}

/// A new invitation, with its link shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedInvitation {
    /// The invitation as listed.
    #[serde(flatten)]
    pub summary: InvitationSummary,
    /// The link to send to the invited person. Only a hash of it is kept,
    /// so it cannot be shown again; invite again for a fresh one.
    pub accept_url: String,
}

fn summary(row: InvitationRow, now: i64) -> InvitationSummary {
    InvitationSummary {
        id: row.id.0,
        role: row.role(),
        email: row.email,
        invited_by: row.invited_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        expired: row.expires_at <= now,
    }
}

/// Invites `req.email` into the principal's workspace, or sends a pending
/// invitation of that address again (a fresh link, role and expiry; the
/// old link stops working). Owners only; 409 `already_member` for a
/// current member.
pub async fn invite(
    state: &AppState,
    p: &Principal,
    req: InviteRequest,
) -> ApiResult<CreatedInvitation> {
    require(p, Role::Owner, "manage members")?;
    let email = Email::parse(&req.email)?;
    let token = NewToken::invitation();
    let now = now_ms();
    let new = NewInvitation {
        email: email.as_str(),
        role: req.role,
        token_hash: &token.hash,
        invited_by: p.user_id.map(UserId),
        expires_at: now + INVITATION_LIFETIME_MS,
    };
    match tenant(state, p).invite(&new).await {
        Ok(row) => Ok(CreatedInvitation {
            summary: summary(row, now),
            accept_url: format!(
                "{}/invitations/{}",
                state.public_url.trim_end_matches('/'),
                token.secret
            ),
        }),
        Err(StoreError::Conflict("member")) => Err(ApiError::conflict(
            ErrorCode::AlreadyMember,
            "That person is already a member of this workspace.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The workspace's pending invitations; owners only.
pub async fn list_invitations(
    state: &AppState,
    p: &Principal,
) -> ApiResult<Vec<InvitationSummary>> {
    require(p, Role::Owner, "manage members")?;
    let now = now_ms();
    Ok(tenant(state, p)
        .invitations()
        .await?
        .into_iter()
        .map(|row| summary(row, now))
        .collect())
}

/// Withdraws a pending invitation; its link stops working. Owners only.
pub async fn revoke_invitation(state: &AppState, p: &Principal, id: InvitationId) -> ApiResult<()> {
    require(p, Role::Owner, "manage members")?;
    if tenant(state, p).revoke_invitation(id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("pending invitation"))
    }
}

/// What the invitation page shows about the link in hand.
#[derive(Debug, Clone)]
pub struct InvitationView {
    /// The workspace it opens.
    pub workspace_name: String,
    /// The role it gives.
    pub role: Role,
    /// The invited address, masked (`a•••@example.com`).
    pub email_hint: String,
    /// When the link stops working.
    pub expires_at: i64,
    /// Who is looking: the signed-in person's email, if any.
    pub viewer: Option<String>,
    /// Why the person looking cannot accept it (`wrong_account`, or an API
    /// token), if so.
    pub refusal: Option<AppError>,
}

fn unknown_link() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "This invitation link is not valid. Check that you copied the whole link, \
         or ask the workspace owner for a new invitation.",
    )
}

/// The invitation behind a link's secret, if it can still be answered:
/// 404 for an unknown link, 410 for one that expired, was revoked or was
/// already used.
async fn open_invitation(state: &AppState, secret: &str) -> ApiResult<InvitationRow> {
    // Secrets are `inv_` and 43 characters; anything else is no link of
    // ours, and is not worth hashing.
    if secret.len() > 64 {
        return Err(unknown_link());
    }
    let row = state
        .store
        .invitation_by_hash(&hash_token(secret))
        .await?
        .ok_or_else(unknown_link)?;
    let gone = |code, message: String| ApiError::new(StatusCode::GONE, code, message);
    match row.status.as_str() {
        "pending" if row.expires_at <= now_ms() => Err(gone(
            ErrorCode::InvitationExpired,
            format!(
                "This invitation to {} has expired. Ask an owner of the workspace to invite you again.",
                row.workspace_name
            ),
        )),
        "pending" => Ok(row),
        "revoked" => Err(gone(
            ErrorCode::InvitationRevoked,
            format!(
                "This invitation to {} was withdrawn by an owner of the workspace.",
                row.workspace_name
            ),
        )),
        "declined" => Err(gone(
            ErrorCode::InvitationUsed,
            format!(
                "This invitation to {} was declined, so it cannot be used any more. \
                 Ask an owner of the workspace to invite you again.",
                row.workspace_name
            ),
        )),
        _ => Err(gone(
            ErrorCode::InvitationUsed,
            format!(
                "This invitation to {} was already accepted. Each invitation works once.",
                row.workspace_name
            ),
        )),
    }
}

/// 403 `wrong_account`: signed in as someone else than the invited address.
fn wrong_account(row: &InvitationRow, signed_in_as: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::WrongAccount,
        format!(
            "This invitation is for {}, but you are signed in as {signed_in_as}. \
             Log out, then log in or sign up with {} to accept it.",
            mask_email(&row.email),
            mask_email(&row.email)
        ),
    )
}

/// The signed-in person an invitation may be answered by: a session (API
/// tokens belong to a workspace, not a person) whose email is the invited
/// address.
fn invitee(p: &Principal, row: &InvitationRow) -> ApiResult<(UserId, String)> {
    let (Some(user), Some(email), AuthVia::Session) = (p.user_id, p.email.as_deref(), p.via) else {
        return Err(ApiError::forbidden(
            "API tokens belong to a workspace, not a person, so they cannot answer invitations. \
             Open the link in a browser signed in as the invited person.",
        ));
    };
    if email != row.email {
        return Err(wrong_account(row, email));
    }
    Ok((UserId(user), email.to_string()))
}

/// What the link shows: for anyone holding it, the workspace, the role and
/// the masked address it is for. Errors as [`open_invitation`].
pub async fn view_invitation(
    state: &AppState,
    viewer: Option<&Principal>,
    secret: &str,
) -> ApiResult<InvitationView> {
    let row = open_invitation(state, secret).await?;
    let refusal = viewer.and_then(|p| invitee(p, &row).err().map(|e| e.error));
    Ok(InvitationView {
        refusal,
        role: row.role(),
        email_hint: mask_email(&row.email),
        expires_at: row.expires_at,
        viewer: viewer.and_then(|p| p.email.clone()),
        workspace_name: row.workspace_name,
    })
}

/// Accepts the invitation behind `secret`: the signed-in person joins with
/// its role, in one transaction that also uses the invitation, and the
/// session moves to the workspace.
///
/// 404 for an unknown link; 410 when it expired, was revoked or was used;
/// 403 `wrong_account` for anyone but the invited address; 409
/// `already_member` when they are a member already.
pub async fn accept_invitation(
    state: &AppState,
    session: &Session,
    p: &Principal,
    secret: &str,
) -> ApiResult<WorkspaceSummary> {
    let row = open_invitation(state, secret).await?;
    let (user, email) = invitee(p, &row)?;
    let joined = match state.store.accept_invitation(row.id, user, &email).await {
        Ok(Some(m)) => m,
        // Used, revoked or expired since it was read: say which.
        Ok(None) => {
            open_invitation(state, secret).await?;
            return Err(ApiError::internal(&"invitation refused for no reason"));
        }
        Err(StoreError::Conflict("member")) => {
            return Err(ApiError::conflict(
                ErrorCode::AlreadyMember,
                format!("You are already a member of {}.", row.workspace_name),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    session
        .insert(SESSION_WORKSPACE, joined.workspace_id.0)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(WorkspaceSummary {
        id: joined.workspace_id.0,
        role: joined.role(),
        name: joined.workspace_name,
    })
}

/// Declines the invitation behind `secret`; only the invited person can.
/// Answers the workspace's name. Errors as [`accept_invitation`].
pub async fn decline_invitation(
    state: &AppState,
    p: &Principal,
    secret: &str,
) -> ApiResult<String> {
    let row = open_invitation(state, secret).await?;
    let (_, email) = invitee(p, &row)?;
    if state.store.decline_invitation(row.id, &email).await? {
        Ok(row.workspace_name)
    } else {
        open_invitation(state, secret).await?;
        Err(ApiError::internal(
            &"invitation decline refused for no reason",
        ))
    }
}
