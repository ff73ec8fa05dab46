//! Orders: listing, detail with history, and status changes through the
//! state machine. Marking an order paid tells the conversation it came from.

use app::commerce::OrderStatus;
use app::flow::interpreter::Input;
use app::model::ErrorCode;
use app::model::{Principal, Role};
use app::views::{OrderDetail, OrderEvent, OrderLine, OrderSummary};
use serde::Deserialize;
use utoipa::ToSchema;

use super::actor_name;
use super::{require, tenant, workspace};
use crate::engine::turns::{Turn, order_url};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{OrderId, OrderRow, StatusChange, WorkspaceId};

/// The summary of an order.
pub fn order_summary(o: &OrderRow) -> OrderSummary {
    let total = o.total();
    let details = o.details();
    OrderSummary {
        id: o.id.0,
        number: o.number,
        status: o.status,
        total: total.decimal(),
        total_label: total.to_string(),
        currency: total.currency.code().to_string(),
        payment: o.payment.clone(),
        customer: details.get("name").cloned(),
        items: o.lines().iter().map(|l| l.qty).sum(),
        created_at: o.created_at,
        next: o.status.next().to_vec(),
    }
}

/// The workspace's orders, newest first.
pub async fn list_orders(
    state: &AppState,
    p: &Principal,
    status: Option<OrderStatus>,
    cursor: Option<&str>,
    limit: i64,
) -> ApiResult<(Vec<OrderSummary>, Option<String>)> {
    let before = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(OrderId(c.parse().map_err(|_| {
            ApiError::invalid(
                app::model::ErrorCode::InvalidQuery,
                "The cursor is not one this list gave; start again without it.",
            )
        })?)),
    };
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid(
            app::model::ErrorCode::InvalidQuery,
            "limit must be from 1 to 1000.",
        ));
    }
    let mut rows = tenant(state, p).orders(status, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|o| o.id.0.to_string())
    } else {
        None
    };
    Ok((rows.iter().map(order_summary).collect(), next))
}

/// An order with lines, details and history.
pub async fn get_order(state: &AppState, p: &Principal, id: OrderId) -> ApiResult<OrderDetail> {
    let o = tenant(state, p)
        .order(id)
        .await?
        .ok_or_else(|| ApiError::not_found("order"))?;
    let history = tenant(state, p).order_events(o.id).await?;
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
                from: e.from_status.map(|s| s.as_str().to_string()),
                to: e.to_status.as_str().to_string(),
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
    id: OrderId,
    req: StatusRequest,
) -> ApiResult<OrderDetail> {
    require(p, Role::Editor, "change orders")?;
    let note: String = req.note.trim().chars().take(500).collect();
    match tenant(state, p)
        .set_order_status(id, req.status, &actor_name(p), &note)
        .await?
    {
        StatusChange::Missing => return Err(ApiError::not_found("order")),
        StatusChange::Illegal(e) => {
            return Err(
                ApiError::conflict(ErrorCode::IllegalTransition, e.to_string()).with(
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
    let Ok(Some(conv)) = state.store.workspace(ws).conversation(conv_id).await else {
        return;
    };
    let event = format!("order:{}:paid", order.id.0);
    let result = state
        .engine
        .apply(Turn {
            workspace: ws,
            bot,
            channel: conv.channel,
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
