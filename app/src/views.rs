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
