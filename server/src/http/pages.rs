//! The server side of the Leptos pages: the [`Backend`] their server
//! functions call, the guard that sends visitors to the login page, and the
//! static bundle.

use std::sync::OnceLock;

use app::flow::FlowDoc;
use app::flow::interpreter::Input;
use app::model::{
    AppError, BotSummary, ErrorCode, InvitationSummary, MemberSummary, Principal, TokenSummary,
    WorkspaceSummary,
};
use app::server_fns::backend::{Backend, BackendHandle};
use app::server_fns::{
    Account, BotPage, ChannelsPage, EditorData, InvitationPage, PageData, SaveOutcome, SimResult,
    VersionPage,
};
use app::views::{ConversationDetail, OrderDetail, ProductView, VersionSummary};
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes};
use tower_sessions::Session;

use crate::http::error::ApiError;
use crate::http::forms::take_flash;
use crate::service;
use crate::state::AppState;
use crate::store::{BotId, ConversationId, OrderId, ProductId};

/// Serves the pages' data from the store, acting as the request's principal.
pub struct PageBackend {
    state: AppState,
}

/// The signed-in person, or the error that asks them to log in.
fn signed_in(parts: &Parts) -> Result<Principal, AppError> {
    super::auth::signed_in(&parts.extensions).ok_or_else(|| plain(ApiError::unauthenticated()))
}

/// The error a server function answers with, its status set on the
/// response (see [`app::server_fns::backend::set_status`]): another workspace's bot
/// is a 404 over HTTP, as in the REST API.
///
/// Only for errors the function returns, never for ones it recovers from.
fn plain(e: ApiError) -> AppError {
    app::server_fns::backend::set_status(e.status);
    e.error
}

#[async_trait::async_trait]
impl Backend for PageBackend {
    async fn page_data(&self, parts: &Parts) -> Result<PageData, AppError> {
        let flash = match parts.extensions.get::<Session>() {
            Some(session) => take_flash(session).await.map_err(plain)?,
            None => Default::default(),
        };
        let account = match super::auth::signed_in(&parts.extensions) {
            Some(p) => Some(Account {
                email: p.email.clone().unwrap_or_default(),
                workspace: WorkspaceSummary {
                    id: p.workspace_id,
                    name: p.workspace_name.clone(),
                    role: p.role,
                },
                workspaces: service::list_workspaces(&self.state, &p)
                    .await
                    .map_err(plain)?,
                inbox: service::inbox_counts(&self.state, &p)
                    .await
                    .map_err(plain)?,
                user_id: p.user_id.unwrap_or_default(),
            }),
            None => None,
        };
        Ok(PageData { account, flash })
    }

    async fn inbox_settings(
        &self,
        parts: &Parts,
    ) -> Result<app::views::InboxSettingsView, AppError> {
        let p = signed_in(parts)?;
        let s = service::get_inbox_settings(&self.state, &p)
            .await
            .map_err(plain)?;
        Ok(app::views::InboxSettingsView {
            notify_url: s.notify_url,
            has_secret: s.has_secret,
            echo_pause_minutes: s.echo_pause_minutes,
            recent: s
                .recent
                .iter()
                .map(|n| {
                    (
                        n["status"].as_str().unwrap_or_default().to_string(),
                        n["attempts"].as_i64().unwrap_or_default(),
                        n["last_error"].as_str().map(str::to_string),
                        n["created_at"].as_i64().unwrap_or_default(),
                    )
                })
                .collect(),
        })
    }

    async fn list_bots(&self, parts: &Parts) -> Result<Vec<BotSummary>, AppError> {
        let p = signed_in(parts)?;
        service::list_bots(&self.state, &p).await.map_err(plain)
    }

    async fn list_tokens(&self, parts: &Parts) -> Result<Vec<TokenSummary>, AppError> {
        let p = signed_in(parts)?;
        service::list_tokens(&self.state, &p).await.map_err(plain)
    }

    async fn list_members(&self, parts: &Parts) -> Result<Vec<MemberSummary>, AppError> {
        let p = signed_in(parts)?;
        service::list_members(&self.state, &p).await.map_err(plain)
    }

    async fn list_invitations(&self, parts: &Parts) -> Result<Vec<InvitationSummary>, AppError> {
        let p = signed_in(parts)?;
        service::list_invitations(&self.state, &p)
            .await
            .map_err(plain)
    }

    async fn invitation(&self, parts: &Parts, token: String) -> Result<InvitationPage, AppError> {
        // Anyone holding the link may look; only the invited person may
        // answer it.
        let viewer = super::auth::signed_in(&parts.extensions);
        let v = service::view_invitation(&self.state, viewer.as_ref(), &token)
            .await
            .map_err(plain)?;
        Ok(InvitationPage {
            workspace: v.workspace_name,
            role: v.role,
            email_hint: v.email_hint,
            expires_at: v.expires_at,
            viewer: v.viewer,
            refusal: v.refusal,
        })
    }

    async fn bot_page(&self, parts: &Parts, id: BotId) -> Result<BotPage, AppError> {
        let p = signed_in(parts)?;
        let s = &self.state;
        let bot = service::get_bot(s, &p, id).await.map_err(plain)?;
        let (_, document) = service::draft_document(s, &p, id).await.map_err(plain)?;
        let problems = service::report(s, &p, &document)
            .await
            .map_err(plain)?
            .problems;
        let versions = service::versions(s, &p, id).await.map_err(plain)?;
        Ok(BotPage {
            bot,
            document,
            problems,
            versions,
            can_edit: p.can(app::model::Role::Editor),
        })
    }

    async fn version_page(
        &self,
        parts: &Parts,
        id: BotId,
        number: i64,
    ) -> Result<VersionPage, AppError> {
        let p = signed_in(parts)?;
        let s = &self.state;
        let bot = service::get_bot(s, &p, id).await.map_err(plain)?;
        let v = service::version(s, &p, id, number).await.map_err(plain)?;
        let document = app::flow::FlowDoc::from_value(v.document)
            .map_err(|e| plain(ApiError::internal(&e)))?;
        Ok(VersionPage {
            bot,
            version: v.summary,
            document,
            can_edit: p.can(app::model::Role::Editor),
        })
    }

    async fn simulate_draft(
        &self,
        parts: &Parts,
        id: BotId,
        inputs: Vec<Input>,
    ) -> Result<SimResult, AppError> {
        let p = signed_in(parts)?;
        let req = service::SimulateRequest {
            version: None,
            inputs: inputs.into_iter().map(service::SimInput::Full).collect(),
        };
        let out = service::simulate_bot(&self.state, &p, id, req)
            .await
            .map_err(plain)?;
        Ok(SimResult {
            transcript: out.transcript,
            orders: out.orders.len(),
        })
    }

    async fn editor(&self, parts: &Parts, id: BotId) -> Result<EditorData, AppError> {
        let p = signed_in(parts)?;
        let s = &self.state;
        let bot = service::get_bot(s, &p, id).await.map_err(plain)?;
        let (revision, document) = service::draft_document(s, &p, id).await.map_err(plain)?;
        let catalog = s
            .store
            .workspace(crate::service::workspace(&p))
            .catalog()
            .await
            .map_err(|e| plain(e.into()))?;
        let versions = service::versions(s, &p, id).await.map_err(plain)?;
        Ok(EditorData {
            bot,
            revision,
            document,
            catalog,
            versions,
            can_edit: p.can(app::model::Role::Editor),
        })
    }

    async fn save_flow(
        &self,
        parts: &Parts,
        id: BotId,
        revision: i64,
        document: FlowDoc,
    ) -> Result<SaveOutcome, AppError> {
        let p = signed_in(parts)?;
        let s = &self.state;
        let req = service::SaveDraftRequest {
            revision,
            document: serde_json::to_value(&document).map_err(|e| plain(ApiError::internal(&e)))?,
        };
        match service::save_draft(s, &p, id, req).await {
            Ok(saved) => Ok(SaveOutcome::Saved {
                revision: saved.revision,
            }),
            Err(e) if e.error.code == ErrorCode::StaleRevision => {
                let (revision, document) =
                    service::draft_document(s, &p, id).await.map_err(plain)?;
                Ok(SaveOutcome::Stale { revision, document })
            }
            Err(e) => Err(plain(e)),
        }
    }

    async fn publish_flow(
        &self,
        parts: &Parts,
        id: BotId,
        revision: i64,
    ) -> Result<VersionSummary, AppError> {
        let p = signed_in(parts)?;
        // The revision check and the publish are one transaction.
        service::publish_revision(&self.state, &p, id, revision)
            .await
            .map_err(plain)
    }

    async fn restore_flow(
        &self,
        parts: &Parts,
        id: BotId,
        number: i64,
    ) -> Result<VersionSummary, AppError> {
        let p = signed_in(parts)?;
        service::restore(&self.state, &p, id, number)
            .await
            .map_err(plain)
    }

    async fn list_products(
        &self,
        parts: &Parts,
        query: Option<String>,
    ) -> Result<Vec<ProductView>, AppError> {
        let p = signed_in(parts)?;
        let filter = crate::store::ProductFilter {
            query: query.filter(|q| !q.trim().is_empty()),
            ..Default::default()
        };
        service::list_products(&self.state, &p, filter)
            .await
            .map_err(plain)
    }

    async fn product(&self, parts: &Parts, id: ProductId) -> Result<ProductView, AppError> {
        let p = signed_in(parts)?;
        service::get_product(&self.state, &p, id)
            .await
            .map_err(plain)
    }

    async fn list_orders(
        &self,
        parts: &Parts,
        status: Option<String>,
        cursor: Option<String>,
    ) -> Result<app::server_fns::OrderPage, AppError> {
        let p = signed_in(parts)?;
        let status = status
            .as_deref()
            .and_then(app::commerce::OrderStatus::parse);
        let (orders, next_cursor) =
            service::list_orders(&self.state, &p, status, cursor.as_deref(), 100)
                .await
                .map_err(plain)?;
        Ok(app::server_fns::OrderPage {
            orders,
            next_cursor,
        })
    }

    async fn order(&self, parts: &Parts, id: OrderId) -> Result<OrderDetail, AppError> {
        let p = signed_in(parts)?;
        service::get_order(&self.state, &p, id).await.map_err(plain)
    }

    async fn channels_page(&self, parts: &Parts) -> Result<ChannelsPage, AppError> {
        let p = signed_in(parts)?;
        let can_edit = p.can(app::model::Role::Editor);
        Ok(ChannelsPage {
            channels: service::list_channels(&self.state, &p)
                .await
                .map_err(plain)?,
            bots: service::list_bots(&self.state, &p).await.map_err(plain)?,
            verify_token: self
                .state
                .meta_verify_token
                .as_deref()
                .filter(|_| can_edit)
                .map(str::to_string),
            meta_ready: self.state.meta_app_secret.is_some(),
            can_edit,
        })
    }

    async fn list_conversations(
        &self,
        parts: &Parts,
        f: app::server_fns::InboxFilters,
    ) -> Result<app::views::ConversationPage, AppError> {
        let p = signed_in(parts)?;
        let query = service::InboxQuery {
            status: f.status,
            assignee: f.assignee,
            channel: f.channel,
            bot: f.bot,
            q: f.q,
            cursor: f.cursor,
            limit: None,
        };
        service::list_conversations(&self.state, &p, &query)
            .await
            .map_err(plain)
    }

    async fn conversation(
        &self,
        parts: &Parts,
        id: ConversationId,
    ) -> Result<ConversationDetail, AppError> {
        let p = signed_in(parts)?;
        service::get_conversation(&self.state, &p, id)
            .await
            .map_err(plain)
    }
}

#[async_trait::async_trait]
impl app::ui::contacts::backend::ContactsBackend for PageBackend {
    async fn list_contacts(
        &self,
        parts: &Parts,
        q: Option<String>,
        tag: Option<String>,
        cursor: Option<String>,
    ) -> Result<app::contacts::ContactPage, AppError> {
        let p = signed_in(parts)?;
        let query = service::ContactQuery { q, tag, cursor };
        service::list_contacts(&self.state, &p, &query)
            .await
            .map_err(plain)
    }

    async fn contact(
        &self,
        parts: &Parts,
        id: crate::store::ContactId,
    ) -> Result<app::contacts::ContactDetail, AppError> {
        let p = signed_in(parts)?;
        service::get_contact(&self.state, &p, id)
            .await
            .map_err(plain)
    }
}

fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES
        .get_or_init(|| leptos_axum::generate_route_list(app::App))
        .clone()
}

/// The path templates of every page (`/bots/{id}`), so tests can check
/// that each is covered (tenant isolation).
pub fn page_paths() -> Vec<String> {
    route_list()
        .iter()
        .map(|route| route.path().to_string())
        .collect()
}

/// The page routes and their server functions.
pub fn routes(state: &AppState) -> axum::Router<AppState> {
    let contacts = app::ui::contacts::backend::ContactsHandle(std::sync::Arc::new(PageBackend {
        state: state.clone(),
    }));
    let backend = BackendHandle(std::sync::Arc::new(PageBackend {
        state: state.clone(),
    }));
    let options = state.leptos.clone();
    axum::Router::new()
        .leptos_routes_with_context(
            state,
            route_list(),
            move || {
                provide_context(backend.clone());
                provide_context(contacts.clone());
            },
            move || app::shell(options.clone()),
        )
        .layer(axum::middleware::from_fn(server_fn_body_limits))
}

/// The editor saves whole flow documents, which may be larger than other
/// bodies: as large as the REST API's `PUT /bots/{id}/draft` takes.
const DRAFT_BODY_BYTES: usize = app::flow::doc::MAX_DOC_BYTES + 64 * 1024;

/// Middleware: raises the body limit of the server functions that need it.
/// The rest keep the server's default; Leptos registers the functions
/// itself, so they cannot carry a route layer of their own.
async fn server_fn_body_limits(req: Request, next: Next) -> Response {
    use leptos::server_fn::ServerFn;
    use tower::{Layer, ServiceExt};
    if req.uri().path() == <app::server_fns::SaveFlow as ServerFn>::PATH {
        let raised = axum::extract::DefaultBodyLimit::max(DRAFT_BODY_BYTES).layer(next);
        return match raised.oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        };
    }
    next.run(req).await
}

/// Pages only signed-in users see.
const PRIVATE: &[&str] = &[
    "/dashboard",
    "/settings",
    "/bots",
    "/products",
    "/orders",
    "/channels",
    "/conversations",
    "/contacts",
];
/// Pages a signed-in user has no use for.
const PUBLIC_ONLY: &[&str] = &["/", "/login", "/signup"];

/// Middleware: sends visitors of private pages to the login page (and back
/// afterwards), and signed-in users from the login page to their dashboard.
pub async fn guard(req: Request, next: Next) -> Response {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        let path = req.uri().path();
        let signed_in = super::auth::signed_in(req.extensions()).is_some();
        let private = PRIVATE
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")));
        if private && !signed_in {
            let target = req
                .uri()
                .path_and_query()
                .map_or(path, |pq| pq.as_str())
                .to_string();
            let query = serde_urlencoded::to_string([("next", target)]).unwrap_or_default();
            return Redirect::to(&format!("/login?{query}")).into_response();
        }
        if signed_in && PUBLIC_ONLY.contains(&path) {
            return Redirect::to("/dashboard").into_response();
        }
    }
    let mut res = next.run(req).await;
    // Pages show private data: never cache them in shared caches.
    res.headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private, no-store"));
    res
}
