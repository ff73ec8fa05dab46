//! View models: what the REST API returns and the pages show. Shared so
//! that the server fills them once and both the JSON API and the Leptos
//! pages read the same shapes.

use serde::{Deserialize, Serialize};

use crate::commerce::OrderStatus;
use crate::flow::Problem;

/// A product as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductView {
    /// Id.
    pub id: i64,
    /// SKU, unique in the workspace.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Price as a decimal string, such as "12.50".
    pub price: String,
    /// Price in minor units (cents).
    pub price_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// Price formatted for people, such as "$12.50".
    pub price_label: String,
    /// Picture.
    pub image_url: Option<String>,
    /// Units on hand; absent when not tracked.
    pub stock: Option<u32>,
    /// For sale.
    pub active: bool,
    /// Collections.
    pub collections: Vec<String>,
    /// Created, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Updated, in milliseconds since the Unix epoch.
    pub updated_at: i64,
}

/// An order as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderSummary {
    /// Id.
    pub id: i64,
    /// The number shown to people.
    pub number: i64,
    /// Status.
    pub status: OrderStatus,
    /// Total as a decimal string.
    pub total: String,
    /// Total formatted for people.
    pub total_label: String,
    /// Currency.
    pub currency: String,
    /// `cash_on_delivery` or `order_page`.
    pub payment: String,
    /// The shopper's name, when the flow asked for it.
    pub customer: Option<String>,
    /// Units ordered.
    pub items: u32,
    /// Placed, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// The statuses it may move to next.
    pub next: Vec<OrderStatus>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderLine {
    /// SKU.
    pub sku: String,
    /// Name when ordered.
    pub name: String,
    /// Units.
    pub qty: u32,
    /// Unit price formatted for people.
    pub unit_price: String,
    /// Line total formatted for people.
    pub amount: String,
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderEvent {
    /// From (absent for the placement).
    pub from: Option<String>,
    /// To.
    pub to: String,
    /// Who.
    pub actor: String,
    /// A note.
    pub note: String,
    /// When, in milliseconds since the Unix epoch.
    pub at: i64,
}

/// An order with everything about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderDetail {
    /// The order.
    #[serde(flatten)]
    pub summary: OrderSummary,
    /// What was bought.
    pub lines: Vec<OrderLine>,
    /// Details the flow collected (name, address, phone, …).
    pub details: std::collections::BTreeMap<String, String>,
    /// Status history, oldest first.
    pub history: Vec<OrderEvent>,
    /// The conversation that placed it.
    pub conversation_id: Option<i64>,
    /// The hosted order page the shopper sees.
    pub page_url: String,
}

/// A published version, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionSummary {
    /// v1, v2, …
    pub number: i64,
    /// Who published it.
    pub author: String,
    /// A note, such as "Restored from version 2".
    pub note: String,
    /// When, in milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// A template, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateSummary {
    /// Id for `POST /api/v1/bots {template}`.
    pub id: String,
    /// Name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// How many steps it has.
    pub steps: usize,
}

/// Problems of a flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Validation {
    /// Errors first, then warnings; each tied to its node.
    pub problems: Vec<Problem>,
    /// Whether it can be published.
    pub publishable: bool,
}

/// A connected channel, as the API and the Channels page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChannelView {
    /// Id.
    pub id: i64,
    /// `messenger`, `whatsapp` or `web`.
    pub kind: String,
    /// The bot it talks with.
    pub bot_id: i64,
    /// A name for people.
    pub name: String,
    /// The Facebook page id, the WhatsApp phone number id, or the widget key.
    pub external_id: String,
    /// `ok`, or why sending stopped (such as an expired access token).
    pub health: String,
    /// Connected, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Where Meta must send this channel's webhooks (Meta channels).
    pub webhook_url: Option<String>,
    /// The web widget's key.
    pub widget_key: Option<String>,
    /// Sites allowed to embed the widget.
    pub allowed_origins: Vec<String>,
    /// The line to paste into a site to show the widget.
    pub script_tag: Option<String>,
}

/// A conversation as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationSummary {
    /// Id.
    pub id: i64,
    /// The bot.
    pub bot_id: i64,
    /// `messenger`, `whatsapp`, `web` or `test`.
    pub channel: String,
    /// The shopper's name, or their id on the channel.
    pub shopper: String,
    /// The flow version it runs on.
    pub version: i64,
    /// The last message, for the list.
    pub last_message: String,
    /// Started, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Last activity, in milliseconds since the Unix epoch.
    pub updated_at: i64,
    /// The bot's name.
    #[serde(default)]
    pub bot_name: String,
    /// The inbox state: `open`, `waiting` (for a person) or `closed`.
    #[serde(default)]
    pub status: String,
    /// A person holds it: the bot does not answer until resumed.
    #[serde(default)]
    pub held: bool,
    /// The bot is silent until then, after a reply typed outside Botme.
    #[serde(default)]
    pub paused_until: Option<i64>,
    /// The member it is assigned to.
    #[serde(default)]
    pub assignee_id: Option<i64>,
    /// Their email.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Why it waits for a person.
    #[serde(default)]
    pub handoff_reason: String,
    /// Since when it waits.
    #[serde(default)]
    pub handoff_at: Option<i64>,
    /// The shopper's messages nobody has read yet.
    #[serde(default)]
    pub unread: i64,
    /// When the shopper last wrote (the platforms' windows).
    #[serde(default)]
    pub last_inbound_at: Option<i64>,
}

/// A page of the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationPage {
    /// Newest activity first.
    pub conversations: Vec<ConversationSummary>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// A workspace's inbox settings as its Settings page shows them (never the
/// webhook's secret).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxSettingsView {
    /// Where handoffs are POSTed (empty: nowhere).
    pub notify_url: String,
    /// Whether a signing secret exists.
    pub has_secret: bool,
    /// Minutes a reply from Meta's inbox pauses the bot.
    pub echo_pause_minutes: i64,
    /// The latest deliveries: `(status, attempts, last error, created at)`.
    pub recent: Vec<(String, i64, Option<String>, i64)>,
}

/// What the top bar shows of the inbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InboxCounts {
    /// Open conversations with messages nobody has read.
    pub unread: i64,
    /// Conversations waiting for a person.
    pub waiting: i64,
}

/// One transcript entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TranscriptEntry {
    /// Id; also the cursor for `after`.
    pub id: i64,
    /// `in` (the shopper), `out` (the bot or a person) or `action` (what
    /// a person or a handoff did: `text` says it).
    pub direction: String,
    /// Readable text.
    pub text: String,
    /// The message or input as structured data.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub body: serde_json::Value,
    /// Outbound delivery: pending, sending, sent, delivered, read, failed,
    /// skipped; inbound: done.
    pub status: String,
    /// Why a message failed or was skipped.
    pub error: Option<String>,
    /// When, in milliseconds since the Unix epoch.
    pub at: i64,
    /// Who typed an outbound message: a member's email, or `null` for the
    /// bot. For `direction: "action"` entries, who acted.
    #[serde(default)]
    pub author: Option<String>,
}

/// A conversation with its transcript and orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationDetail {
    /// The conversation.
    #[serde(flatten)]
    pub summary: ConversationSummary,
    /// Everything said, oldest first.
    pub transcript: Vec<TranscriptEntry>,
    /// Orders it placed.
    pub orders: Vec<OrderSummary>,
    /// Whether a person can reply now, and how.
    pub window: crate::channel::window::ReplyWindow,
    /// The steps of its flow the bot can resume at: `[id, label]`.
    #[serde(default)]
    pub steps: Vec<(String, String)>,
}
