//! Products and CSV import.

use app::model::ErrorCode;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::Auth;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, PathId};
use crate::service::{self, ImportResult, ProductInput, ProductView};
use crate::state::AppState;
use crate::store::ProductFilter;
use crate::store::ProductId;

/// A list of products.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductList {
    /// The products, by name.
    pub products: Vec<ProductView>,
}

/// Filters for the product list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ProductQuery {
    /// Only this collection.
    pub collection: Option<String>,
    /// Name or SKU contains this.
    pub q: Option<String>,
    /// Only active (`true`) or inactive (`false`) products.
    pub active: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/products", tag = "catalog",
    params(ProductQuery),
    responses((status = 200, description = "Products", body = ProductList)))]
pub(super) async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ProductQuery>,
) -> ApiResult<Json<ProductList>> {
    let filter = ProductFilter {
        collection: q.collection.filter(|c| !c.trim().is_empty()),
        query: q.q.filter(|c| !c.trim().is_empty()),
        active: q.active,
    };
    Ok(Json(ProductList {
        products: service::list_products(&state, &p, filter).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/products", tag = "catalog",
    request_body = ProductInput,
    responses(
        (status = 201, description = "Created", body = ProductView),
        (status = 409, description = "The SKU is taken", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(input): ApiJson<ProductInput>,
) -> ApiResult<(StatusCode, Json<ProductView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_product(&state, &p, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub(super) async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ProductId>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(service::get_product(&state, &p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "Product id")),
    request_body = ProductInput,
    responses(
        (status = 200, description = "Updated", body = ProductView),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "The SKU is taken", body = ErrorBody),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ProductId>,
    ApiJson(input): ApiJson<ProductInput>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(service::update_product(&state, &p, id, input).await?))
}

#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub(super) async fn delete(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ProductId>,
) -> ApiResult<StatusCode> {
    service::delete_product(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/products/import", tag = "catalog",
    request_body(content = String, content_type = "text/csv",
        description = "Header `sku,name,price` plus optional `description,currency,image_url,stock,active,collections`"),
    responses(
        (status = 200, description = "Every row imported (created or updated by SKU)", body = ImportResult),
        (status = 422, description = "Problems per row in `rows`; nothing was imported", body = ErrorBody),
    ))]
pub(super) async fn import(
    State(state): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ImportResult>> {
    let csv_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv") || v.starts_with("text/plain"));
    if !csv_type {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Send the file as the request body with Content-Type: text/csv.",
        ));
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::invalid(
            ErrorCode::InvalidCsv,
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.",
        )
    })?;
    Ok(Json(service::import_products(&state, &p, text).await?))
}
