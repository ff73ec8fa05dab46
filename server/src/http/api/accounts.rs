//! Sign-up, login, the acting principal, workspaces, members, invitations
//! and tokens.

use app::model::{InvitationSummary, MemberSummary, TokenSummary, WorkspaceSummary};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa::ToSchema;

use crate::http::auth::{Auth, ClientIp};
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, PathId};
use crate::service::{
    self, CreateTokenRequest, CreateWorkspaceRequest, CreatedInvitation, CreatedToken,
    InviteRequest, LoginRequest, LoginResponse, SetRoleRequest, SignupRequest, SignupResponse,
};
use crate::state::AppState;
use crate::store::{InvitationId, TokenId, UserId, WorkspaceId};

#[utoipa::path(post, path = "/api/v1/signup", tag = "accounts",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Account, workspace and first API token created; the browser is signed in", body = SignupResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 422, description = "Invalid email, weak password or missing field", body = ErrorBody),
        (status = 429, description = "Too many accounts created from this address; see Retry-After", body = ErrorBody),
    ))]
pub(super) async fn signup(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SignupRequest>,
) -> ApiResult<Response> {
    let created = service::signup(&state, req, ip).await?;
    if let Some(user) = state
        .store
        .user(crate::store::UserId(created.user_id))
        .await?
    {
        service::start_session(&state, &session, &user).await?;
    }
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[utoipa::path(post, path = "/api/v1/login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; a session cookie is set", body = LoginResponse),
        (status = 401, description = "Wrong email or password (one answer for both)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody),
    ))]
pub(super) async fn login(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let user = service::check_login(&state, req, ip).await?;
    Ok(Json(service::start_session(&state, &session, &user).await?))
}

#[utoipa::path(post, path = "/api/v1/logout", tag = "accounts",
    responses((status = 204, description = "Signed out; the session is deleted")))]
pub(super) async fn logout(session: Session) -> ApiResult<StatusCode> {
    service::logout(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the request acts as.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    /// The user, for a session; absent for a token.
    pub user_id: Option<i64>,
    /// Their email.
    pub email: Option<String>,
    /// The workspace acted on.
    pub workspace: WorkspaceSummary,
    /// `session` or `token`.
    pub via: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses(
        (status = 200, description = "The acting user or token", body = MeResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub(super) async fn me(Auth(p): Auth) -> Json<MeResponse> {
    Json(MeResponse {
        user_id: p.user_id,
        email: p.email.clone(),
        workspace: WorkspaceSummary {
            id: p.workspace_id,
            name: p.workspace_name.clone(),
            role: p.role,
        },
        via: match p.via {
            app::model::AuthVia::Session => "session".into(),
            app::model::AuthVia::Token => "token".into(),
        },
    })
}

/// A list of workspaces.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkspaceList {
    /// The workspaces.
    pub workspaces: Vec<WorkspaceSummary>,
}

#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces",
    responses((status = 200, description = "Workspaces the user belongs to (a token: its own)", body = WorkspaceList)))]
pub(super) async fn list_workspaces(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Json<WorkspaceList>> {
    Ok(Json(WorkspaceList {
        workspaces: service::list_workspaces(&state, &p).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces",
    request_body = CreateWorkspaceRequest,
    responses(
        (status = 201, description = "Created; the user is its owner", body = WorkspaceSummary),
        (status = 403, description = "API tokens cannot create workspaces", body = ErrorBody),
    ))]
pub(super) async fn create_workspace(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<CreateWorkspaceRequest>,
) -> ApiResult<(StatusCode, Json<WorkspaceSummary>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_workspace(&state, &p, req).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{id}/switch", tag = "workspaces",
    params(("id" = i64, Path, description = "Workspace id")),
    responses(
        (status = 200, description = "The session now acts on this workspace", body = WorkspaceSummary),
        (status = 404, description = "Not a member of such a workspace", body = ErrorBody),
    ))]
pub(super) async fn switch_workspace(
    State(state): State<AppState>,
    session: Session,
    Auth(p): Auth,
    PathId(id): PathId<WorkspaceId>,
) -> ApiResult<Json<WorkspaceSummary>> {
    Ok(Json(
        service::switch_workspace(&state, &session, &p, id).await?,
    ))
}

/// A list of members.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberList {
    /// The members.
    pub members: Vec<MemberSummary>,
}

#[utoipa::path(get, path = "/api/v1/members", tag = "workspaces",
    responses((status = 200, description = "Members of the current workspace", body = MemberList)))]
pub(super) async fn list_members(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Json<MemberList>> {
    Ok(Json(MemberList {
        members: service::list_members(&state, &p).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/members", tag = "workspaces",
    request_body = InviteRequest,
    responses(
        (status = 201, description = "Invited: nobody joins until the invited person accepts, signed in with that address. `accept_url` is shown only this once; send it to them. Inviting a pending address again sends a fresh link", body = CreatedInvitation),
        (status = 403, description = "Only owners manage members", body = ErrorBody),
        (status = 409, description = "Already a member (`already_member`)", body = ErrorBody),
        (status = 422, description = "Not an email address, or not a role", body = ErrorBody),
    ))]
pub(super) async fn add_member(
    state: State<AppState>,
    auth: Auth,
    req: ApiJson<InviteRequest>,
) -> ApiResult<(StatusCode, Json<CreatedInvitation>)> {
    invite(state, auth, req).await
}

#[utoipa::path(post, path = "/api/v1/invitations", tag = "workspaces",
    request_body = InviteRequest,
    responses(
        (status = 201, description = "Invited, as `POST /api/v1/members`; `accept_url` is shown only this once", body = CreatedInvitation),
        (status = 403, description = "Only owners manage members", body = ErrorBody),
        (status = 409, description = "Already a member (`already_member`)", body = ErrorBody),
        (status = 422, description = "Not an email address, or not a role", body = ErrorBody),
    ))]
pub(super) async fn invite(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<InviteRequest>,
) -> ApiResult<(StatusCode, Json<CreatedInvitation>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::invite(&state, &p, req).await?),
    ))
}

/// A list of pending invitations.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationList {
    /// The invitations (never their links).
    pub invitations: Vec<InvitationSummary>,
}

#[utoipa::path(get, path = "/api/v1/invitations", tag = "workspaces",
    responses(
        (status = 200, description = "Pending invitations of the current workspace, expired ones included", body = InvitationList),
        (status = 403, description = "Only owners manage members", body = ErrorBody),
    ))]
pub(super) async fn list_invitations(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Json<InvitationList>> {
    Ok(Json(InvitationList {
        invitations: service::list_invitations(&state, &p).await?,
    }))
}

#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "workspaces",
    params(("id" = i64, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Revoked; the link stops working"),
        (status = 403, description = "Only owners manage members", body = ErrorBody),
        (status = 404, description = "No such pending invitation", body = ErrorBody),
    ))]
pub(super) async fn revoke_invitation(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<InvitationId>,
) -> ApiResult<StatusCode> {
    service::revoke_invitation(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/invitations/{token}/accept", tag = "workspaces",
    params(("token" = String, Path, description = "The secret at the end of the invitation link")),
    responses(
        (status = 200, description = "Joined with the invited role; the session now acts on the workspace", body = WorkspaceSummary),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Signed in with another address (`wrong_account`), or an API token", body = ErrorBody),
        (status = 404, description = "No such invitation", body = ErrorBody),
        (status = 409, description = "Already a member", body = ErrorBody),
        (status = 410, description = "Expired, revoked or already used (`invitation_expired`, `invitation_revoked`, `invitation_used`)", body = ErrorBody),
    ))]
pub(super) async fn accept_invitation(
    State(state): State<AppState>,
    session: Session,
    Auth(p): Auth,
    Path(token): Path<String>,
) -> ApiResult<Json<WorkspaceSummary>> {
    Ok(Json(
        service::accept_invitation(&state, &session, &p, &token).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/invitations/{token}/decline", tag = "workspaces",
    params(("token" = String, Path, description = "The secret at the end of the invitation link")),
    responses(
        (status = 204, description = "Declined; the link stops working"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Signed in with another address (`wrong_account`), or an API token", body = ErrorBody),
        (status = 404, description = "No such invitation", body = ErrorBody),
        (status = 410, description = "Expired, revoked or already used", body = ErrorBody),
    ))]
pub(super) async fn decline_invitation(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(token): Path<String>,
) -> ApiResult<StatusCode> {
    service::decline_invitation(&state, &p, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "workspaces",
    params(("id" = i64, Path, description = "User id of the member")),
    request_body = SetRoleRequest,
    responses(
        (status = 200, description = "Role changed", body = MemberSummary),
        (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "Would leave the workspace without an owner", body = ErrorBody),
    ))]
pub(super) async fn set_member_role(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<UserId>,
    ApiJson(req): ApiJson<SetRoleRequest>,
) -> ApiResult<Json<MemberSummary>> {
    Ok(Json(
        service::set_member_role(&state, &p, id, req.role).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/members/{id}", tag = "workspaces",
    params(("id" = i64, Path, description = "User id of the member")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "The last owner cannot leave", body = ErrorBody),
    ))]
pub(super) async fn remove_member(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<UserId>,
) -> ApiResult<StatusCode> {
    service::remove_member(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A list of API tokens.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    /// The tokens (never their secrets).
    pub tokens: Vec<TokenSummary>,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses(
        (status = 200, description = "Live tokens of the workspace", body = TokenList),
        (status = 403, description = "Only owners manage tokens", body = ErrorBody),
    ))]
pub(super) async fn list_tokens(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Json<TokenList>> {
    Ok(Json(TokenList {
        tokens: service::list_tokens(&state, &p).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    request_body = CreateTokenRequest,
    responses(
        (status = 201, description = "Created; `token` is shown only this once", body = CreatedToken),
        (status = 403, description = "Only owners manage tokens", body = ErrorBody),
    ))]
pub(super) async fn create_token(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_token(&state, &p, req).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token", body = ErrorBody),
    ))]
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<TokenId>,
) -> ApiResult<StatusCode> {
    service::revoke_token(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
