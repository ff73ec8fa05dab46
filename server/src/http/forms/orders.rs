//! Form posts for orders: status changes.

use app::model::ErrorCode;
use axum::response::Response;

use super::{Fields, Post, done, reply};
use crate::http::error::ApiError;
use crate::http::extract::PathId;
use crate::service::{self};
use crate::store::OrderId;

pub(super) async fn set_order_status(
    Post { state, session, p }: Post,
    PathId(id): PathId<OrderId>,
    f: Fields,
) -> Response {
    let back = format!("/orders/{id}");
    let r = match app::commerce::OrderStatus::parse(&f.get("status")) {
        Some(status) => {
            let req = service::StatusRequest {
                status,
                note: f.get("note"),
            };
            service::set_order_status(&state, &p, id, req).await
        }
        None => Err(ApiError::invalid(
            ErrorCode::InvalidStatus,
            "Choose a status.",
        )),
    };
    reply(&session, r, &back, |o| {
        done(
            back.clone(),
            format!(
                "Order #{} is now {}.",
                o.summary.number,
                o.summary.status.label().to_lowercase()
            ),
        )
    })
    .await
}
