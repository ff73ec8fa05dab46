//! Form posts for the catalog: products and CSV imports.

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

pub(super) async fn create_product(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    f: Fields,
) -> Response {
    let r = match product_input(&f) {
        Ok(input) => service::create_product(&state, &p, input).await,
        Err(e) => Err(e),
    };
    let outcome = result(r, "/products", |v| {
        Next::Done(
            "/products".into(),
            notice(format!("“{}” added to the catalog.", v.name)),
        )
    });
    finish(&session, outcome).await
}

pub(super) async fn update_product(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    PathId(id): PathId<ProductId>,
    f: Fields,
) -> Response {
    let r = match product_input(&f) {
        Ok(input) => service::update_product(&state, &p, id, input).await,
        Err(e) => Err(e),
    };
    let back = format!("/products/{id}");
    let outcome = result(r, &back, |v| {
        Next::Done("/products".into(), notice(format!("“{}” saved.", v.name)))
    });
    finish(&session, outcome).await
}

pub(super) async fn delete_product(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    PathId(id): PathId<ProductId>,
) -> Response {
    let r = service::delete_product(&state, &p, id).await;
    let outcome = result(r, "/products", |()| {
        Next::Done("/products".into(), notice("Product deleted.".into()))
    });
    finish(&session, outcome).await
}

pub(super) async fn import_products(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let r = match read_file(multipart).await {
        Ok(text) => service::import_products(&state, &p, &text).await,
        Err(e) => Err(e),
    };
    let outcome = result(r, "/products", |r| {
        Next::Done(
            "/products".into(),
            notice(format!(
                "Imported: {} new, {} updated.",
                r.created, r.updated
            )),
        )
    });
    finish(&session, outcome).await
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
