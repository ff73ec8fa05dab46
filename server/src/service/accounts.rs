//! Accounts, workspaces, members and API tokens. Members join through
//! invitations (`invitations.rs`).

use app::model::ErrorCode;
use std::time::Instant;

use app::account::{Email, check_password, parse_name};
use app::model::{MemberSummary, Principal, Role, TokenSummary, WorkspaceSummary};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa::ToSchema;

use super::{require, tenant, workspace_for_login};
use crate::auth::{NewToken, SESSION_USER, SESSION_WORKSPACE};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{
    MemberRow, NewSignup, StoreError, TokenId, TokenRow, UserId, UserRow, WorkspaceId,
};

/// `POST /api/v1/signup`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupRequest {
    /// Login email.
    pub email: String,
    /// At least 10 characters, not a common password.
    pub password: String,
    /// Name of the first workspace, usually the shop's name.
    pub workspace: String,
}

/// The new account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignupResponse {
    /// The new user.
    pub user_id: i64,
    /// Their workspace.
    pub workspace_id: i64,
    /// An owner API token for the workspace, shown only this once.
    pub token: String,
}

/// Creates a user, their workspace and a first API token.
///
/// One client address creates at most `BOTME_SIGNUPS_PER_HOUR` accounts
/// at once and as many an hour after that; an IPv6 client counts by its
/// /64, like the login throttle.
pub async fn signup(
    state: &AppState,
    req: SignupRequest,
    ip: Option<std::net::IpAddr>,
) -> ApiResult<SignupResponse> {
    let email = Email::parse(&req.email)?;
    check_password(&req.password, Some(email.as_str()))?;
    let workspace_name = parse_name(&req.workspace, "workspace name")?;
    if let Some(ip) = ip {
        let wait = state.signups.try_take(
            &crate::engine::ratelimit::client_key(ip),
            tokio::time::Instant::now(),
        );
        if !wait.is_zero() {
            return Err(too_many(
                wait,
                format!(
                    "Too many accounts were created from your network. Try again in {}.",
                    minutes(wait)
                ),
            ));
        }
    }
    let hash = state.passwords.hash(req.password).await?;
    let token = NewToken::generate();
    let created = state
        .store
        .create_signup(&NewSignup {
            email: email.as_str(),
            password_hash: &hash,
            workspace_name: &workspace_name,
            token_hash: &token.hash,
            token_prefix: &token.prefix,
        })
        .await;
    match created {
        Ok((user, ws, _)) => Ok(SignupResponse {
            user_id: user.0,
            workspace_id: ws.0,
            token: token.secret,
        }),
        Err(StoreError::Conflict("email")) => Err(ApiError::conflict(
            ErrorCode::EmailTaken,
            "An account with this email already exists. Log in instead.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/login`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Login email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// The signed-in user and the workspace the session acts on.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// The user.
    pub user_id: i64,
    /// Their email.
    pub email: String,
    /// The workspace the session acts on.
    pub workspace_id: i64,
}

/// Checks credentials, throttling repeated failures. Wrong password and
/// unknown email get the same answer.
///
/// The attempt is counted before the password is checked and taken back
/// only on success, so parallel guesses cannot outrun the limit.
pub async fn check_login(
    state: &AppState,
    req: LoginRequest,
    ip: Option<std::net::IpAddr>,
) -> ApiResult<UserRow> {
    // An address that cannot be an account still counts against the throttle.
    let email = Email::parse(&req.email)
        .map(|e| e.as_str().to_string())
        .unwrap_or_else(|_| req.email.trim().to_lowercase());
    let attempt = state
        .throttle
        .reserve(&email, ip, Instant::now())
        .map_err(too_many_attempts)?;
    let verified = async {
        let user = state.store.user_by_email(&email).await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let ok = state.passwords.verify(req.password, hash).await?;
        ApiResult::Ok((ok, user))
    }
    .await;
    match verified {
        Ok((true, Some(user))) => {
            state.throttle.succeeded(attempt);
            Ok(user)
        }
        Ok(_) => {
            // Stays counted as a failure.
            drop(attempt);
            Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidCredentials,
                "That email and password do not match an account.",
            ))
        }
        Err(e) => {
            // The password was never judged: this try does not count.
            state.throttle.cancel(attempt);
            Err(e)
        }
    }
}

fn too_many_attempts(wait: std::time::Duration) -> ApiError {
    too_many(
        wait,
        format!(
            "Too many failed attempts. Wait {} and try again.",
            minutes(wait)
        ),
    )
}

/// 429 `too_many_attempts`, to try again after `wait`.
fn too_many(wait: std::time::Duration, message: String) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyAttempts,
        message,
    )
    .retry_after(wait)
}

/// "1 minute", "12 minutes": `wait`, rounded up to whole minutes.
fn minutes(wait: std::time::Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
}

/// Signs the session in as `user`: a fresh session id (against fixation) and
/// their last workspace.
pub async fn start_session(
    state: &AppState,
    session: &Session,
    user: &UserRow,
) -> ApiResult<LoginResponse> {
    let membership = workspace_for_login(state, user.id, user.last_workspace_id).await?;
    session
        .cycle_id()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    session
        .insert(SESSION_USER, user.id.0)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    session
        .insert(SESSION_WORKSPACE, membership.workspace_id.0)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(LoginResponse {
        user_id: user.id.0,
        email: user.email.clone(),
        workspace_id: membership.workspace_id.0,
    })
}

/// Ends the session and deletes it from the store.
pub async fn logout(session: &Session) -> ApiResult<()> {
    session.flush().await.map_err(|e| ApiError::internal(&e))
}

fn session_user(p: &Principal) -> ApiResult<UserId> {
    p.user_id.map(UserId).ok_or_else(|| {
        ApiError::forbidden("This needs a signed-in person; API tokens cannot do it.")
    })
}

/// The workspaces the principal can act in. A token sees only its own.
pub async fn list_workspaces(state: &AppState, p: &Principal) -> ApiResult<Vec<WorkspaceSummary>> {
    let Some(user) = p.user_id else {
        return Ok(vec![WorkspaceSummary {
            id: p.workspace_id,
            name: p.workspace_name.clone(),
            role: p.role,
        }]);
    };
    Ok(state
        .store
        .memberships(UserId(user))
        .await?
        .into_iter()
        .map(|m| WorkspaceSummary {
            id: m.workspace_id.0,
            role: m.role(),
            name: m.workspace_name,
        })
        .collect())
}

/// `POST /api/v1/workspaces`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWorkspaceRequest {
    /// Its name.
    pub name: String,
}

/// Creates a workspace owned by the signed-in user.
pub async fn create_workspace(
    state: &AppState,
    p: &Principal,
    req: CreateWorkspaceRequest,
) -> ApiResult<WorkspaceSummary> {
    let user = session_user(p)?;
    let name = parse_name(&req.name, "workspace name")?;
    let ws = state.store.create_workspace(user, &name).await?;
    Ok(WorkspaceSummary {
        id: ws.0,
        name,
        role: Role::Owner,
    })
}

/// Makes `ws` the session's current workspace; 404 unless a member.
pub async fn switch_workspace(
    state: &AppState,
    session: &Session,
    p: &Principal,
    ws: WorkspaceId,
) -> ApiResult<WorkspaceSummary> {
    let user = session_user(p)?;
    let m = state
        .store
        .membership(user, ws)
        .await?
        .ok_or_else(|| ApiError::not_found("workspace"))?;
    session
        .insert(SESSION_WORKSPACE, ws)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    state.store.set_last_workspace(user, m.workspace_id).await?;
    Ok(WorkspaceSummary {
        id: m.workspace_id.0,
        role: m.role(),
        name: m.workspace_name,
    })
}

fn member_summary(m: MemberRow) -> MemberSummary {
    MemberSummary {
        user_id: m.user_id.0,
        role: Role::parse(&m.role).unwrap_or(Role::Viewer),
        email: m.email,
        created_at: m.created_at,
    }
}

/// The members of the principal's workspace.
pub async fn list_members(state: &AppState, p: &Principal) -> ApiResult<Vec<MemberSummary>> {
    Ok(tenant(state, p)
        .members()
        .await?
        .into_iter()
        .map(member_summary)
        .collect())
}

/// `PATCH /api/v1/members/{user_id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetRoleRequest {
    /// The new role.
    pub role: Role,
}

fn last_owner() -> ApiError {
    ApiError::conflict(
        ErrorCode::LastOwner,
        "A workspace needs at least one owner. Make someone else an owner first.",
    )
}

/// Changes a member's role.
pub async fn set_member_role(
    state: &AppState,
    p: &Principal,
    user: UserId,
    role: Role,
) -> ApiResult<MemberSummary> {
    require(p, Role::Owner, "manage members")?;
    match tenant(state, p).set_member_role(user, role).await {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::not_found("member")),
        Err(StoreError::Conflict(_)) => return Err(last_owner()),
        Err(e) => return Err(e.into()),
    }
    list_members(state, p)
        .await?
        .into_iter()
        .find(|m| m.user_id == user.0)
        .ok_or_else(|| ApiError::not_found("member"))
}

/// Removes a member; owners may remove anyone, everyone may leave.
pub async fn remove_member(state: &AppState, p: &Principal, user: UserId) -> ApiResult<()> {
    if p.user_id != Some(user.0) {
        require(p, Role::Owner, "manage members")?;
    }
    match tenant(state, p).remove_member(user).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::not_found("member")),
        Err(StoreError::Conflict(_)) => Err(last_owner()),
        Err(e) => Err(e.into()),
    }
}

fn token_summary(t: TokenRow) -> TokenSummary {
    TokenSummary {
        id: t.id.0,
        role: Role::parse(&t.role).unwrap_or(Role::Viewer),
        name: t.name,
        prefix: t.prefix,
        created_at: t.created_at,
        last_used_at: t.last_used_at,
    }
}

/// The workspace's live tokens; owners only.
pub async fn list_tokens(state: &AppState, p: &Principal) -> ApiResult<Vec<TokenSummary>> {
    require(p, Role::Owner, "manage API tokens")?;
    Ok(tenant(state, p)
        .tokens()
        .await?
        .into_iter()
        .map(token_summary)
        .collect())
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTokenRequest {
    /// A name to recognise it by.
    pub name: String,
    /// What it may do; defaults to `editor`.
    #[serde(default)]
    pub role: Option<Role>,
}

/// A new token, with its secret shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    /// The token as listed.
    #[serde(flatten)]
    pub summary: TokenSummary,
    /// The secret, to send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Creates a token; owners only.
pub async fn create_token(
    state: &AppState,
    p: &Principal,
    req: CreateTokenRequest,
) -> ApiResult<CreatedToken> {
    require(p, Role::Owner, "manage API tokens")?;
    let name = parse_name(&req.name, "token name")?;
    let role = req.role.unwrap_or(Role::Editor);
    let token = NewToken::generate();
    let row = tenant(state, p)
        .create_token(
            &name,
            role,
            &token.hash,
            &token.prefix,
            p.user_id.map(UserId),
        )
        .await?;
    Ok(CreatedToken {
        summary: token_summary(row),
        token: token.secret,
    })
}

/// Revokes a token; owners only.
pub async fn revoke_token(state: &AppState, p: &Principal, id: TokenId) -> ApiResult<()> {
    require(p, Role::Owner, "manage API tokens")?;
    if tenant(state, p).revoke_token(id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("API token"))
    }
}
