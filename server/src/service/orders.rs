//! Orders: listing, detail with history, and status changes through the
//! state machine. Marking an order paid tells the conversation it came from.

use app::commerce::OrderStatus;
use app::flow::interpreter::Input;
use app::model::{Principal, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::actor_name;
use crate::AppState;
use crate::auth::{require, workspace};
use crate::error::{ApiError, ApiResult};
use crate::runner::{Turn, order_url};
use crate::store::{OrderId, OrderRow, StatusChange, WorkspaceId};

/// An order as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// The summary of an order.
pub fn order_summary(o: &OrderRow) -> OrderSummary {
    let total = o.total();
    let details = o.details();
    OrderSummary {
        id: o.id.0,
        number: o.number,
        status: o.status(),
        total: total.decimal(),
        total_label: total.to_string(),
        currency: total.currency.code().to_string(),
        payment: o.payment.clone(),
        customer: details.get("name").cloned(),
        items: o.lines().iter().map(|l| l.qty).sum(),
        created_at: o.created_at,
        next: o.status().next().to_vec(),
    }
}

/// The workspace's orders, newest first.
pub async fn list_orders(
    state: &AppState,
    p: &Principal,
    status: Option<OrderStatus>,
) -> ApiResult<Vec<OrderSummary>> {
    Ok(state
        .store
        .orders(workspace(p), status, 500)
        .await?
        .iter()
        .map(order_summary)
        .collect())
}

/// An order with lines, details and history.
pub async fn get_order(state: &AppState, p: &Principal, id: i64) -> ApiResult<OrderDetail> {
    let o = state
        .store
        .order(workspace(p), OrderId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("order"))?;
    let history = state.store.order_events(workspace(p), o.id).await?;
    Ok(OrderDetail {
        summary: order_summary(&o),
        lines: o
            .lines()
            .into_iter()
            .map(|l| OrderLine {
                amount: l
                    .unit_price
                    .checked_mul(l.qty)
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                unit_price: l.unit_price.to_string(),
                sku: l.sku,
                name: l.name,
                qty: l.qty,
            })
            .collect(),
        details: o.details(),
        history: history
            .into_iter()
            .map(|e| OrderEvent {
                from: e.from_status,
                to: e.to_status,
                actor: e.actor,
                note: e.note,
                at: e.created_at,
            })
            .collect(),
        conversation_id: o.conversation_id.map(|c| c.0),
        page_url: order_url(&state.public_url, &o.page_token),
    })
}

/// `POST /api/v1/orders/{id}/status`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    /// The new status.
    pub status: OrderStatus,
    /// Why, for the history.
    #[serde(default)]
    pub note: String,
}

/// Moves an order along its state machine. When it becomes paid, the
/// conversation that placed it hears about it (its checkout's `paid` port).
pub async fn set_order_status(
    state: &AppState,
    p: &Principal,
    id: i64,
    req: StatusRequest,
) -> ApiResult<OrderDetail> {
    require(p, Role::Editor, "change orders")?;
    let note: String = req.note.trim().chars().take(500).collect();
    match state
        .store
        .set_order_status(workspace(p), OrderId(id), req.status, &actor_name(p), &note)
        .await?
    {
        StatusChange::Missing => return Err(ApiError::not_found("order")),
        StatusChange::Illegal(e) => {
            return Err(
                ApiError::conflict("illegal_transition", e.to_string()).with(
                    "allowed",
                    serde_json::to_value(e.from.next()).unwrap_or_default(),
                ),
            );
        }
        StatusChange::Changed(order) => {
            if req.status == OrderStatus::Paid {
                tell_conversation_paid(state, workspace(p), &order).await;
            }
        }
    }
    get_order(state, p, id).await
}

/// Feeds "payment succeeded" to the order's conversation. The order change
/// stands even if this fails (the shopper just is not told); it is logged.
async fn tell_conversation_paid(state: &AppState, ws: WorkspaceId, order: &OrderRow) {
    let (Some(conv_id), Some(bot)) = (order.conversation_id, order.bot_id) else {
        return;
    };
    let Ok(Some(conv)) = state.store.conversation(ws, conv_id).await else {
        return;
    };
    let event = format!("order:{}:paid", order.id.0);
    let result = state
        .runner
        .run(Turn {
            workspace: ws,
            bot,
            channel: &conv.channel,
            user: &conv.external_user,
            display_name: &conv.display_name,
            event_id: &event,
            input: Input::PaymentSucceeded {
                order_key: order.idem_key.clone(),
            },
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, order = order.id.0, "could not tell the conversation about the payment");
    }
}
