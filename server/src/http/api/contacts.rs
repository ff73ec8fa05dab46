//! Contacts and the CSV exports.

use app::contacts::{ContactDetail, ContactPage};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt as _;
use utoipa::OpenApi;

use crate::http::auth::Auth;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, PathId};
use crate::service::{self, ContactChange, ContactQuery, Export};
use crate::state::AppState;
use crate::store::ContactId;

/// This area's routes under `/api/v1`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list))
        .route("/contacts.csv", get(contacts_csv))
        .route("/contacts/{id}", get(detail).patch(update))
        .route("/orders.csv", get(orders_csv))
}

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, detail, update, contacts_csv, orders_csv))]
pub(super) struct Doc;

#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts",
    params(ContactQuery),
    responses(
        (status = 200, description = "One page of contacts (one per shopper per channel), most recently seen first; pass `next_cursor` as `cursor` for the next", body = ContactPage),
        (status = 422, description = "The cursor is not understood", body = ErrorBody),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(query): Query<ContactQuery>,
) -> ApiResult<Json<ContactPage>> {
    Ok(Json(service::list_contacts(&state, &p, &query).await?))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = i64, Path, description = "Contact id")),
    responses(
        (status = 200, description = "The contact, its conversations and its latest orders", body = ContactDetail),
        (status = 404, description = "No such contact", body = ErrorBody),
    ))]
pub(super) async fn detail(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ContactId>,
) -> ApiResult<Json<ContactDetail>> {
    Ok(Json(service::get_contact(&state, &p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = i64, Path, description = "Contact id")),
    request_body = ContactChange,
    responses(
        (status = 200, description = "Changed; the contact", body = ContactDetail),
        (status = 403, description = "Viewers cannot change contacts", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 422, description = "A tag or attribute breaks the rules; the message says which", body = ErrorBody),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ContactId>,
    ApiJson(change): ApiJson<ContactChange>,
) -> ApiResult<Json<ContactDetail>> {
    Ok(Json(service::update_contact(&state, &p, id, change).await?))
}

/// A streamed CSV download.
fn csv_download(state: &AppState, p: &app::model::Principal, export: Export) -> Response {
    let stream =
        service::export_csv(state, p, export).map(|chunk| chunk.map(axum::body::Bytes::from));
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", export.file_name()))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

#[utoipa::path(get, path = "/api/v1/contacts.csv", tag = "contacts",
    responses(
        (status = 200, description = "Every contact as CSV, streamed (no cap): id, name, channel, phone, shopper_id, first_seen, last_seen, orders, totals, tags, attributes, opted_out. Cells starting with = + - @ get a ' in front so spreadsheets do not run them.", content_type = "text/csv"),
    ))]
pub(super) async fn contacts_csv(State(state): State<AppState>, Auth(p): Auth) -> Response {
    csv_download(&state, &p, Export::Contacts)
}

#[utoipa::path(get, path = "/api/v1/orders.csv", tag = "orders",
    responses(
        (status = 200, description = "Every order as CSV, streamed (no cap), oldest first: number, date, status, shopper, phone, channel, lines, total, currency, payment, payment_status. Cells starting with = + - @ get a ' in front so spreadsheets do not run them.", content_type = "text/csv"),
    ))]
pub(super) async fn orders_csv(State(state): State<AppState>, Auth(p): Auth) -> Response {
    csv_download(&state, &p, Export::Orders)
}
