//! Orders.

use app::commerce::OrderStatus;
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::Auth;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, PathId};
use crate::service::{self, OrderDetail, OrderSummary, StatusRequest};
use crate::state::AppState;
use crate::store::OrderId;

/// A list of orders.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderList {
    /// Newest first, one page.
    pub orders: Vec<OrderSummary>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Filters for the order list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OrderQuery {
    /// Only orders with this status.
    pub status: Option<OrderStatus>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Orders per page (default 100, at most 1,000).
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(OrderQuery),
    responses((status = 200, description = "Orders, newest first", body = OrderList)))]
pub(super) async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<OrderQuery>,
) -> ApiResult<Json<OrderList>> {
    let (orders, next_cursor) = service::list_orders(
        &state,
        &p,
        q.status,
        q.cursor.as_deref(),
        q.limit.unwrap_or(100),
    )
    .await?;
    Ok(Json(OrderList {
        orders,
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = i64, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order with items, totals and status history", body = OrderDetail),
        (status = 404, description = "No such order", body = ErrorBody),
    ))]
pub(super) async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<OrderId>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(service::get_order(&state, &p, id).await?))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/status", tag = "orders",
    params(("id" = i64, Path, description = "Order id")),
    request_body = StatusRequest,
    responses(
        (status = 200, description = "Changed; the order with its history", body = OrderDetail),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "The state machine does not allow it; `allowed` lists what does", body = ErrorBody),
    ))]
pub(super) async fn set_status(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<OrderId>,
    ApiJson(req): ApiJson<StatusRequest>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(service::set_order_status(&state, &p, id, req).await?))
}
