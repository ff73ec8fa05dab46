//! The REST API under `/api/v1`: thin handlers that extract, call one
//! [`service`] function and map the result. Documented by the OpenAPI
//! document served at `/api/v1/openapi.json`.

use app::model::{BotSummary, MemberSummary, TokenSummary, WorkspaceSummary};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{Auth, client_ip};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, PathId};
use crate::service::{
    self, AddMemberRequest, CreateBotRequest, CreateTokenRequest, CreateWorkspaceRequest,
    CreatedToken, LoginRequest, LoginResponse, RenameBotRequest, SetRoleRequest, SignupRequest,
    SignupResponse,
};

/// The `/api/v1` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/workspaces", get(list_workspaces).post(create_workspace))
        .route("/workspaces/{id}/switch", post(switch_workspace))
        .route("/members", get(list_members).post(add_member))
        .route(
            "/members/{id}",
            axum::routing::patch(set_member_role).delete(remove_member),
        )
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/bots", get(list_bots).post(create_bot))
        .route(
            "/bots/{id}",
            get(get_bot).patch(rename_bot).delete(delete_bot),
        )
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no API route at this address. See /api/v1/openapi.json.",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This API route does not accept that HTTP method.",
    )
}

#[utoipa::path(post, path = "/api/v1/signup", tag = "accounts",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Account, workspace and first API token created; the browser is signed in", body = SignupResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 422, description = "Invalid email, weak password or missing field", body = ErrorBody),
    ))]
async fn signup(
    State(state): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<SignupRequest>,
) -> ApiResult<Response> {
    let created = service::signup(&state, req).await?;
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
async fn login(
    State(state): State<AppState>,
    session: Session,
    req_parts: axum::http::Extensions,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let user = service::check_login(&state, req, client_ip(&req_parts)).await?;
    Ok(Json(service::start_session(&state, &session, &user).await?))
}

#[utoipa::path(post, path = "/api/v1/logout", tag = "accounts",
    responses((status = 204, description = "Signed out; the session is deleted")))]
async fn logout(session: Session) -> ApiResult<StatusCode> {
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
async fn me(Auth(p): Auth) -> Json<MeResponse> {
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
async fn list_workspaces(
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
async fn create_workspace(
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
async fn switch_workspace(
    State(state): State<AppState>,
    session: Session,
    Auth(p): Auth,
    PathId(id): PathId,
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
async fn list_members(State(state): State<AppState>, Auth(p): Auth) -> ApiResult<Json<MemberList>> {
    Ok(Json(MemberList {
        members: service::list_members(&state, &p).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/members", tag = "workspaces",
    request_body = AddMemberRequest,
    responses(
        (status = 201, description = "Added", body = MemberSummary),
        (status = 403, description = "Only owners manage members", body = ErrorBody),
        (status = 409, description = "Already a member", body = ErrorBody),
        (status = 422, description = "No account with that email", body = ErrorBody),
    ))]
async fn add_member(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<AddMemberRequest>,
) -> ApiResult<(StatusCode, Json<MemberSummary>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::add_member(&state, &p, req).await?),
    ))
}

#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "workspaces",
    params(("id" = i64, Path, description = "User id of the member")),
    request_body = SetRoleRequest,
    responses(
        (status = 200, description = "Role changed", body = MemberSummary),
        (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "Would leave the workspace without an owner", body = ErrorBody),
    ))]
async fn set_member_role(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId,
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
async fn remove_member(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId,
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
async fn list_tokens(State(state): State<AppState>, Auth(p): Auth) -> ApiResult<Json<TokenList>> {
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
async fn create_token(
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
async fn revoke_token(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    service::revoke_token(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A list of bots.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BotList {
    /// The bots, most recently changed first.
    pub bots: Vec<BotSummary>,
}

#[utoipa::path(get, path = "/api/v1/bots", tag = "bots",
    responses((status = 200, description = "Bots of the workspace", body = BotList)))]
async fn list_bots(State(state): State<AppState>, Auth(p): Auth) -> ApiResult<Json<BotList>> {
    Ok(Json(BotList {
        bots: service::list_bots(&state, &p).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/bots", tag = "bots",
    request_body = CreateBotRequest,
    responses(
        (status = 201, description = "Created with an empty draft", body = BotSummary),
        (status = 403, description = "Viewers cannot create bots", body = ErrorBody),
        (status = 422, description = "Invalid name or unknown template", body = ErrorBody),
    ))]
async fn create_bot(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<CreateBotRequest>,
) -> ApiResult<(StatusCode, Json<BotSummary>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_bot(&state, &p, req).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/bots/{id}", tag = "bots",
    params(("id" = i64, Path, description = "Bot id")),
    responses(
        (status = 200, description = "The bot", body = BotSummary),
        (status = 404, description = "No such bot in this workspace", body = ErrorBody),
    ))]
async fn get_bot(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId,
) -> ApiResult<Json<BotSummary>> {
    Ok(Json(service::get_bot(&state, &p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/bots/{id}", tag = "bots",
    params(("id" = i64, Path, description = "Bot id")),
    request_body = RenameBotRequest,
    responses(
        (status = 200, description = "Renamed", body = BotSummary),
        (status = 404, description = "No such bot in this workspace", body = ErrorBody),
    ))]
async fn rename_bot(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId,
    ApiJson(req): ApiJson<RenameBotRequest>,
) -> ApiResult<Json<BotSummary>> {
    Ok(Json(service::rename_bot(&state, &p, id, req).await?))
}

#[utoipa::path(delete, path = "/api/v1/bots/{id}", tag = "bots",
    params(("id" = i64, Path, description = "Bot id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such bot in this workspace", body = ErrorBody),
    ))]
async fn delete_bot(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    service::delete_bot(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The OpenAPI description of this API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Botme REST API", version = "1", description = "Bots, accounts and tokens of a Botme workspace. Authenticate with `Authorization: Bearer <token>` or a browser session. Errors are `{\"error\": {\"code\", \"message\"}}`; another workspace's objects answer 404."),
    paths(
        signup, login, logout, me,
        list_workspaces, create_workspace, switch_workspace,
        list_members, add_member, set_member_role, remove_member,
        list_tokens, create_token, revoke_token,
        list_bots, create_bot, get_bot, rename_bot, delete_bot,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
