//! Form posts for the catalog: products and CSV imports.

use app::model::ErrorCode;
use axum::response::Response;

use super::{Fields, Post, done, reply};
use crate::http::error::ApiError;
use crate::http::extract::PathId;
use crate::service::{self};
use crate::store::ProductId;

/// A product form's fields as an API input. Unchecked checkboxes are absent
/// from a form post, so `active` is read as present-or-not.
fn product_input(f: &Fields) -> Result<service::ProductInput, ApiError> {
    let stock = match f.get("stock").trim() {
        "" => None,
        s => Some(s.parse::<u32>().map_err(|_| {
            ApiError::invalid(
                ErrorCode::InvalidProduct,
                "Stock must be a whole number of units, or empty when not tracked.",
            )
        })?),
    };
    let currency = f.get("currency");
    Ok(service::ProductInput {
        sku: Some(f.get("sku").trim().to_string()),
        name: Some(f.get("name")),
        description: Some(f.get("description")),
        price: Some(service::PriceInput::Text(f.get("price"))),
        currency: (!currency.trim().is_empty()).then(|| currency.trim().to_string()),
        image_url: Some(Some(f.get("image_url"))),
        stock: Some(stock),
        active: Some(!f.get("active").is_empty()),
        collections: Some(
            f.get("collections")
                .split(',')
                .map(str::to_string)
                .collect(),
        ),
    })
}

pub(super) async fn create_product(Post { state, session, p }: Post, f: Fields) -> Response {
    let r = match product_input(&f) {
        Ok(input) => service::create_product(&state, &p, input).await,
        Err(e) => Err(e),
    };
    reply(&session, r, "/products", |v| {
        done("/products", format!("“{}” added to the catalog.", v.name))
    })
    .await
}

pub(super) async fn update_product(
    Post { state, session, p }: Post,
    PathId(id): PathId<ProductId>,
    f: Fields,
) -> Response {
    let r = match product_input(&f) {
        Ok(input) => service::update_product(&state, &p, id, input).await,
        Err(e) => Err(e),
    };
    let back = format!("/products/{id}");
    reply(&session, r, &back, |v| {
        done("/products", format!("“{}” saved.", v.name))
    })
    .await
}

pub(super) async fn delete_product(
    Post { state, session, p }: Post,
    PathId(id): PathId<ProductId>,
) -> Response {
    let r = service::delete_product(&state, &p, id).await;
    reply(&session, r, "/products", |()| {
        done("/products", "Product deleted.")
    })
    .await
}

pub(super) async fn import_products(
    Post { state, session, p }: Post,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let r = match read_file(multipart).await {
        Ok(text) => service::import_products(&state, &p, &text).await,
        Err(e) => Err(e),
    };
    reply(&session, r, "/products", |r| {
        done(
            "/products",
            format!("Imported: {} new, {} updated.", r.created, r.updated),
        )
    })
    .await
}

/// The text of the uploaded `file` field.
pub(super) async fn read_file(
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<String, ApiError> {
    let choose = || ApiError::invalid(ErrorCode::InvalidCsv, "Choose a CSV file to import.");
    let mut multipart = multipart.map_err(|_| choose())?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            let bytes = field
                .bytes()
                .await
                .map_err(|_| crate::http::extract::too_large())?;
            if bytes.is_empty() {
                return Err(choose());
            }
            return String::from_utf8(bytes.to_vec()).map_err(|_| {
                ApiError::invalid(
                    ErrorCode::InvalidCsv,
                    "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.",
                )
            });
        }
    }
    Err(choose())
}
