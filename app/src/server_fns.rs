//! Server functions the pages load their data with.
//!
//! They run on the server during server-side rendering and are called over
//! HTTP after hydration. Each one is a thin call into [`backend::Backend`],
//! which the server implements over its store; this crate never touches a
//! database itself.

use crate::model::ErrorCode;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use leptos::server_fn::codec::Json;

use crate::commerce::CatalogView;
use crate::flow::interpreter::Input;
use crate::flow::simulate::SimLine;
use crate::flow::{FlowDoc, Problem};
use crate::model::{
    AppError, BotSummary, Flash, InvitationSummary, MemberSummary, Role, TokenSummary,
    WorkspaceSummary,
};
use crate::views::{
    ChannelView, ConversationDetail, OrderDetail, OrderSummary, ProductView, VersionSummary,
};

/// Everything the Channels page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelsPage {
    /// Connected channels.
    pub channels: Vec<ChannelView>,
    /// Bots a channel can be connected to.
    pub bots: Vec<BotSummary>,
    /// The verify token to type into Meta's webhook settings, shown to
    /// owners and editors; `None` when the server has none configured.
    pub verify_token: Option<String>,
    /// Whether the server can check Meta's signatures (META_APP_SECRET).
    pub meta_ready: bool,
    /// Whether the viewer may connect and disconnect.
    pub can_edit: bool,
}

/// Everything the bot page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotPage {
    /// The bot.
    pub bot: BotSummary,
    /// The draft document.
    pub document: FlowDoc,
    /// The draft's problems (with catalog-aware warnings).
    pub problems: Vec<Problem>,
    /// Published versions, newest first.
    pub versions: Vec<VersionSummary>,
    /// Whether the viewer may edit and publish.
    pub can_edit: bool,
}

/// Everything the flow editor starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorData {
    /// The bot.
    pub bot: BotSummary,
    /// The draft's revision; saves name it so none overwrites another.
    pub revision: i64,
    /// The draft document.
    pub document: FlowDoc,
    /// The workspace's catalog, for carousel sources and the preview chat.
    pub catalog: CatalogView,
    /// Published versions, newest first.
    pub versions: Vec<VersionSummary>,
    /// Whether the viewer may edit and publish.
    pub can_edit: bool,
}

/// What saving the draft from the editor did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SaveOutcome {
    /// Saved; this is the new revision.
    Saved {
        /// The new revision.
        revision: i64,
    },
    /// Someone saved since the editor loaded: nothing was written. Their
    /// draft is returned so the merchant can choose.
    Stale {
        /// The revision now stored.
        revision: i64,
        /// The document now stored.
        document: FlowDoc,
    },
}

/// A published version, read-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionPage {
    /// The bot.
    pub bot: BotSummary,
    /// The version.
    pub version: VersionSummary,
    /// Its document.
    pub document: FlowDoc,
    /// Whether the viewer may restore it.
    pub can_edit: bool,
}

/// What a simulated conversation produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimResult {
    /// The transcript.
    pub transcript: Vec<SimLine>,
    /// How many orders it would have placed.
    pub orders: usize,
}

/// What an invitation link shows: where it leads, as what, and for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPage {
    /// The workspace it opens.
    pub workspace: String,
    /// The role it gives.
    pub role: Role,
    /// The invited address, masked (`a•••@example.com`).
    pub email_hint: String,
    /// When the link stops working, in milliseconds since the Unix epoch.
    pub expires_at: i64,
    /// The signed-in person's email; `None` for a visitor.
    pub viewer: Option<String>,
    /// Why the signed-in person cannot accept it (another account), if so.
    pub refusal: Option<AppError>,
}

/// Everything a page's chrome needs: the account (when signed in) and the
/// one-time flash message left by the last form post.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageData {
    /// The signed-in account, or `None` for a visitor.
    pub account: Option<Account>,
    /// The flash message for this view, already removed from the session.
    pub flash: Flash,
}

/// The signed-in user and where they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Their email.
    pub email: String,
    /// The workspace they act in.
    pub workspace: WorkspaceSummary,
    /// Every workspace they can switch to, including the current one.
    pub workspaces: Vec<WorkspaceSummary>,
    /// The inbox's unread and waiting conversations, for the top bar.
    #[serde(default)]
    pub inbox: crate::views::InboxCounts,
    /// Their user id (the inbox's "assigned to me").
    #[serde(default)]
    pub user_id: i64,
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Request(_) | E::Response(_) => AppError::new(
                ErrorCode::Network,
                "Botme could not be reached. Check your connection and try again.",
            ),
            // The body limit cut the request off while it was read (axum's
            // `http_body_util::LengthLimitError`).
            E::Deserialization(why) if why.contains("length limit exceeded") => {
                #[cfg(feature = "ssr")]
                backend::set_status(http::StatusCode::PAYLOAD_TOO_LARGE);
                AppError::new(
                    ErrorCode::PayloadTooLarge,
                    "The request body is larger than this server accepts.",
                )
            }
            E::Args(why) | E::MissingArg(why) | E::Deserialization(why) => {
                #[cfg(feature = "ssr")]
                backend::set_status(http::StatusCode::BAD_REQUEST);
                AppError::new(
                    ErrorCode::BadRequest,
                    format!("The request was not understood: {why}"),
                )
            }
            other => {
                leptos::logging::error!("server function failed: {other}");
                AppError::internal()
            }
        }
    }
}

/// The account and flash message for the current page.
#[server(prefix = "/_app")]
pub async fn get_page_data() -> Result<PageData, AppError> {
    let (backend, parts) = backend::context()?;
    backend.page_data(&parts).await
}

/// The current workspace's bots, newest first.
#[server(prefix = "/_app")]
pub async fn list_bots() -> Result<Vec<BotSummary>, AppError> {
    let (backend, parts) = backend::context()?;
    backend.list_bots(&parts).await
}

/// The current workspace's live API tokens.
#[server(prefix = "/_app")]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, AppError> {
    let (backend, parts) = backend::context()?;
    backend.list_tokens(&parts).await
}

/// The current workspace's members.
#[server(prefix = "/_app")]
pub async fn list_members() -> Result<Vec<MemberSummary>, AppError> {
    let (backend, parts) = backend::context()?;
    backend.list_members(&parts).await
}

/// The current workspace's pending invitations (owners only).
#[server(prefix = "/_app")]
pub async fn list_invitations() -> Result<Vec<InvitationSummary>, AppError> {
    let (backend, parts) = backend::context()?;
    backend.list_invitations(&parts).await
}

/// The invitation behind a link's secret, for anyone holding the link.
#[server(prefix = "/_app", endpoint = "invitations/page")]
pub async fn get_invitation(token: String) -> Result<InvitationPage, AppError> {
    let (backend, parts) = backend::context()?;
    backend.invitation(&parts, token).await
}

/// The bot page.
#[server(prefix = "/_app")]
pub async fn get_bot_page(id: i64) -> Result<BotPage, AppError> {
    let (backend, parts) = backend::context()?;
    backend.bot_page(&parts, crate::ids::BotId(id)).await
}

/// A version, read-only.
#[server(prefix = "/_app", endpoint = "versions/page")]
pub async fn get_version_page(id: i64, number: i64) -> Result<VersionPage, AppError> {
    let (backend, parts) = backend::context()?;
    backend
        .version_page(&parts, crate::ids::BotId(id), number)
        .await
}

/// Runs the draft with these inputs (the bot page's test chat).
#[server(prefix = "/_app")]
pub async fn simulate_draft(id: i64, inputs: Vec<Input>) -> Result<SimResult, AppError> {
    let (backend, parts) = backend::context()?;
    backend
        .simulate_draft(&parts, crate::ids::BotId(id), inputs)
        .await
}

/// The editor's starting data.
#[server(prefix = "/_app", endpoint = "editor/load")]
pub async fn get_editor(id: i64) -> Result<EditorData, AppError> {
    let (backend, parts) = backend::context()?;
    backend.editor(&parts, crate::ids::BotId(id)).await
}

/// Saves the draft if nobody saved since `revision`.
#[server(prefix = "/_app", endpoint = "editor/save", input = Json)]
pub async fn save_flow(id: i64, revision: i64, document: FlowDoc) -> Result<SaveOutcome, AppError> {
    let (backend, parts) = backend::context()?;
    backend
        .save_flow(&parts, crate::ids::BotId(id), revision, document)
        .await
}

/// Publishes the draft, which must still be at `revision`.
#[server(prefix = "/_app", endpoint = "editor/publish")]
pub async fn publish_flow(id: i64, revision: i64) -> Result<VersionSummary, AppError> {
    let (backend, parts) = backend::context()?;
    backend
        .publish_flow(&parts, crate::ids::BotId(id), revision)
        .await
}

/// Publishes an old version again as a new one (a rollback).
#[server(prefix = "/_app", endpoint = "editor/restore")]
pub async fn restore_flow(id: i64, number: i64) -> Result<VersionSummary, AppError> {
    let (backend, parts) = backend::context()?;
    backend
        .restore_flow(&parts, crate::ids::BotId(id), number)
        .await
}

/// The catalog, optionally filtered by a search.
#[server(prefix = "/_app")]
pub async fn list_products(query: Option<String>) -> Result<Vec<ProductView>, AppError> {
    let (backend, parts) = backend::context()?;
    backend.list_products(&parts, query).await
}

/// One product.
#[server(prefix = "/_app")]
pub async fn get_product(id: i64) -> Result<ProductView, AppError> {
    let (backend, parts) = backend::context()?;
    backend.product(&parts, crate::ids::ProductId(id)).await
}

/// One page of orders, newest first, and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPage {
    /// The orders.
    pub orders: Vec<OrderSummary>,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

/// Orders, optionally of one status, a page at a time.
#[server(prefix = "/_app")]
pub async fn list_orders(
    status: Option<String>,
    cursor: Option<String>,
) -> Result<OrderPage, AppError> {
    let (backend, parts) = backend::context()?;
    backend.list_orders(&parts, status, cursor).await
}

/// One order with its history.
#[server(prefix = "/_app")]
pub async fn get_order(id: i64) -> Result<OrderDetail, AppError> {
    let (backend, parts) = backend::context()?;
    backend.order(&parts, crate::ids::OrderId(id)).await
}

/// The Channels page.
#[server(prefix = "/_app")]
pub async fn get_channels_page() -> Result<ChannelsPage, AppError> {
    let (backend, parts) = backend::context()?;
    backend.channels_page(&parts).await
}

/// The workspace's inbox settings.
#[server(prefix = "/_app")]
pub async fn get_inbox_settings() -> Result<crate::views::InboxSettingsView, AppError> {
    let (backend, parts) = backend::context()?;
    backend.inbox_settings(&parts).await
}

/// The inbox list's filters, as the page's query string carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxFilters {
    /// `waiting`, `open` or `closed`.
    pub status: Option<String>,
    /// A member id, `me` or `none`.
    pub assignee: Option<String>,
    /// A channel kind.
    pub channel: Option<String>,
    /// A bot id.
    pub bot: Option<String>,
    /// Search words.
    pub q: Option<String>,
    /// The page after this cursor.
    pub cursor: Option<String>,
}

/// One page of the inbox, newest activity first (each filter optional).
#[server(prefix = "/_app")]
pub async fn list_conversations(
    status: Option<String>,
    assignee: Option<String>,
    channel: Option<String>,
    bot: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
) -> Result<crate::views::ConversationPage, AppError> {
    let (backend, parts) = backend::context()?;
    let filters = InboxFilters {
        status,
        assignee,
        channel,
        bot,
        q,
        cursor,
    };
    backend.list_conversations(&parts, filters).await
}

/// One conversation with its transcript.
#[server(prefix = "/_app")]
pub async fn get_conversation(id: i64) -> Result<ConversationDetail, AppError> {
    let (backend, parts) = backend::context()?;
    backend
        .conversation(&parts, crate::ids::ConversationId(id))
        .await
}

/// The port the server implements so the UI can read data without knowing
/// about the database. Only compiled into the server.
#[cfg(feature = "ssr")]
pub mod backend {
    use std::sync::Arc;

    use http::request::Parts;
    use leptos::prelude::use_context;

    use super::{
        BotPage, ChannelsPage, EditorData, InvitationPage, PageData, SaveOutcome, SimResult,
        VersionPage,
    };
    use crate::flow::FlowDoc;
    use crate::flow::interpreter::Input;
    use crate::ids::{BotId, ConversationId, OrderId, ProductId};
    use crate::model::{AppError, BotSummary, InvitationSummary, MemberSummary, TokenSummary};
    use crate::views::{ConversationDetail, OrderDetail, ProductView, VersionSummary};

    /// What the pages may ask of the server. Every method receives the
    /// request parts, from which the implementation resolves the principal
    /// and the session; authorisation happens behind this trait.
    #[async_trait::async_trait]
    pub trait Backend: Send + Sync + 'static {
        /// See [`super::get_page_data`].
        async fn page_data(&self, parts: &Parts) -> Result<PageData, AppError>;
        /// See [`super::list_bots`].
        async fn list_bots(&self, parts: &Parts) -> Result<Vec<BotSummary>, AppError>;
        /// See [`super::list_tokens`].
        async fn list_tokens(&self, parts: &Parts) -> Result<Vec<TokenSummary>, AppError>;
        /// See [`super::get_inbox_settings`].
        async fn inbox_settings(
            &self,
            parts: &Parts,
        ) -> Result<crate::views::InboxSettingsView, AppError>;
        /// See [`super::list_members`].
        async fn list_members(&self, parts: &Parts) -> Result<Vec<MemberSummary>, AppError>;
        /// See [`super::list_invitations`].
        async fn list_invitations(&self, parts: &Parts)
        -> Result<Vec<InvitationSummary>, AppError>;
        /// See [`super::get_invitation`].
        async fn invitation(
            &self,
            parts: &Parts,
            token: String,
        ) -> Result<InvitationPage, AppError>;
        /// See [`super::get_bot_page`].
        async fn bot_page(&self, parts: &Parts, id: BotId) -> Result<BotPage, AppError>;
        /// See [`super::get_version_page`].
        async fn version_page(
            &self,
            parts: &Parts,
            id: BotId,
            number: i64,
        ) -> Result<VersionPage, AppError>;
        /// See [`super::simulate_draft`].
        async fn simulate_draft(
            &self,
            parts: &Parts,
            id: BotId,
            inputs: Vec<Input>,
        ) -> Result<SimResult, AppError>;
        /// See [`super::get_editor`].
        async fn editor(&self, parts: &Parts, id: BotId) -> Result<EditorData, AppError>;
        /// See [`super::save_flow`].
        async fn save_flow(
            &self,
            parts: &Parts,
            id: BotId,
            revision: i64,
            document: FlowDoc,
        ) -> Result<SaveOutcome, AppError>;
        /// See [`super::publish_flow`].
        async fn publish_flow(
            &self,
            parts: &Parts,
            id: BotId,
            revision: i64,
        ) -> Result<VersionSummary, AppError>;
        /// See [`super::restore_flow`].
        async fn restore_flow(
            &self,
            parts: &Parts,
            id: BotId,
            number: i64,
        ) -> Result<VersionSummary, AppError>;
        /// See [`super::list_products`].
        async fn list_products(
            &self,
            parts: &Parts,
            query: Option<String>,
        ) -> Result<Vec<ProductView>, AppError>;
        /// See [`super::get_product`].
        async fn product(&self, parts: &Parts, id: ProductId) -> Result<ProductView, AppError>;
        /// See [`super::list_orders`].
        async fn list_orders(
            &self,
            parts: &Parts,
            status: Option<String>,
            cursor: Option<String>,
        ) -> Result<super::OrderPage, AppError>;
        /// See [`super::get_order`].
        async fn order(&self, parts: &Parts, id: OrderId) -> Result<OrderDetail, AppError>;
        /// See [`super::get_channels_page`].
        async fn channels_page(&self, parts: &Parts) -> Result<ChannelsPage, AppError>;
        /// See [`super::list_conversations`].
        async fn list_conversations(
            &self,
            parts: &Parts,
            filters: super::InboxFilters,
        ) -> Result<crate::views::ConversationPage, AppError>;
        /// See [`super::get_conversation`].
        async fn conversation(
            &self,
            parts: &Parts,
            id: ConversationId,
        ) -> Result<ConversationDetail, AppError>;
    }

    /// Where the server functions are served: the `prefix` of each
    /// `#[server]` above, with a trailing slash.
    pub const PREFIX: &str = "/_app/";

    /// Sets the HTTP status of a server function's error response, so an
    /// error answers like the REST API would (404 for another workspace's
    /// object) instead of server_fn's blanket 500. It acts only when the
    /// function was called over HTTP; during server-side rendering the page
    /// picks its own status.
    pub fn set_status(status: http::StatusCode) {
        let over_http = use_context::<Parts>().is_some_and(|p| p.uri.path().starts_with(PREFIX));
        if over_http && let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(status);
        }
    }

    /// The backend as placed into Leptos context by the server.
    #[derive(Clone)]
    pub struct BackendHandle(pub Arc<dyn Backend>);

    /// The backend and the current request, both taken from context.
    pub fn context() -> Result<(Arc<dyn Backend>, Parts), AppError> {
        let backend = use_context::<BackendHandle>().ok_or_else(AppError::internal)?;
        let parts = use_context::<Parts>().ok_or_else(AppError::internal)?;
        Ok((backend.0, parts))
    }
}
