//! Form posts for orders: status changes.

use app::model::ErrorCode;
use axum::extract::State;
use axum::response::Response;
use tower_sessions::Session;

use super::{Fields, Next, finish, notice, result};
use crate::http::auth::SignedIn;
use crate::http::error::ApiError;
use crate::http::extract::PathId;
use crate::service::{self};
use crate::state::AppState;
use crate::store::OrderId;

pub(super) async fn set_order_status(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
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
    let outcome = result(r, &back, |o| {
        Next::Done(
            back.clone(),
            notice(format!(
                "Order #{} is now {}.",
                o.summary.number,
                o.summary.status.label().to_lowercase()
            )),
        )
    });
    finish(&session, outcome).await
}
