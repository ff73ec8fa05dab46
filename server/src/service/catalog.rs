//! The catalog: products and CSV import.

use app::commerce::catalog::check_sku;
use app::commerce::csv::{RowErrors, import_csv};
use app::commerce::{Currency, Money, MoneyError, Product};
use app::model::ErrorCode;
use app::model::{Principal, Role};
use app::views::ProductView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{require, tenant};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{ProductFilter, ProductId, ProductRow, StoreError};

/// The view of a stored product.
pub fn product_view(r: &ProductRow) -> ProductView {
    let p = r.to_product();
    ProductView {
        id: r.id.0,
        price: p.price.decimal(),
        price_minor: p.price.minor,
        currency: p.price.currency.code().to_string(),
        price_label: p.price.to_string(),
        sku: p.sku,
        name: p.name,
        description: p.description,
        image_url: p.image_url,
        stock: p.stock,
        active: p.active,
        collections: p.collections,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// A price: a decimal string ("12.50") or a JSON number (12.5). A number is
/// read from its digits as written in the request, never as a floating
/// point value: 0.1 is ten cents, not 0.1000000000000000055.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceInput {
    /// "12.50"
    Text(String),
    /// 12.5, the JSON number exactly as written.
    Number(String),
}

impl<'de> Deserialize<'de> for PriceInput {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        // The raw JSON text, before serde_json turns a number into an f64.
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        let text = raw.get().trim();
        if text.starts_with('"') {
            serde_json::from_str(text)
                .map(PriceInput::Text)
                .map_err(D::Error::custom)
        } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            Ok(PriceInput::Number(text.to_string()))
        } else {
            Err(D::Error::custom(
                "a price is a number like 12.5 or a text like \"12.50\"",
            ))
        }
    }
}

impl utoipa::PartialSchema for PriceInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .description(Some(
                "A decimal amount, as text (\"12.50\") or a JSON number (12.5), read exactly; at most as many decimals as the currency has.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for PriceInput {}

impl PriceInput {
    /// The amount as plain decimal text, for [`Money::parse`].
    fn text(&self) -> Result<String, MoneyError> {
        match self {
            PriceInput::Text(s) => Ok(s.clone()),
            PriceInput::Number(n) => plain_decimal(n).ok_or_else(|| MoneyError::Invalid(n.clone())),
        }
    }
}

/// Writes a JSON number literal without its exponent, digit for digit:
/// `1e2` → `100`, `1.25E-1` → `0.125`. `None` for exponents beyond any
/// price.
fn plain_decimal(literal: &str) -> Option<String> {
    let Some(e) = literal.find(['e', 'E']) else {
        return Some(literal.to_string());
    };
    let (mantissa, exp) = (&literal[..e], literal[e + 1..].parse::<i32>().ok()?);
    if exp.unsigned_abs() > 30 {
        return None;
    }
    let (sign, unsigned) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = format!("{int}{frac}");
    // Where the decimal point lands among the digits.
    let point = i32::try_from(int.len()).ok()? + exp;
    let plain = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let point = point.unsigned_abs() as usize;
        if point >= digits.len() {
            format!("{digits}{}", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    Some(format!("{sign}{plain}"))
}

/// `POST /api/v1/products`; `PATCH` takes the same fields, all optional.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProductInput {
    /// SKU, unique in the workspace.
    pub sku: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Price, in the product's currency.
    pub price: Option<PriceInput>,
    /// ISO 4217 currency; the workspace's when absent.
    pub currency: Option<String>,
    /// Picture (https).
    #[serde(default, deserialize_with = "double_option")]
    pub image_url: Option<Option<String>>,
    /// Units on hand; null when not tracked.
    #[serde(default, deserialize_with = "double_option")]
    pub stock: Option<Option<u32>>,
    /// For sale.
    pub active: Option<bool>,
    /// Collections.
    pub collections: Option<Vec<String>>,
}

/// Tells an absent field (`None`) from an explicit null (`Some(None)`).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Applies `input` onto `base` (a new product starts from an empty one) and
/// checks the result.
fn merge(
    base: Option<Product>,
    input: ProductInput,
    default_currency: Currency,
) -> ApiResult<Product> {
    let creating = base.is_none();
    let mut errors: Vec<String> = Vec::new();
    let currency = match &input.currency {
        Some(code) => Currency::parse(code).unwrap_or_else(|| {
            errors.push(format!("“{code}” is not a currency code like USD or EUR."));
            default_currency
        }),
        None => base.as_ref().map_or(default_currency, |b| b.price.currency),
    };
    let price = merged_price(base.as_ref(), input.price.as_ref(), currency, &mut errors);
    let mut p = base.unwrap_or_else(|| Product {
        sku: String::new(),
        name: String::new(),
        description: String::new(),
        price,
        image_url: None,
        stock: None,
        active: true,
        collections: Vec::new(),
    });
    p.price = price;
    apply_fields(&mut p, input);
    check_product(&p, creating, &mut errors);
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(ApiError::invalid(
            ErrorCode::InvalidProduct,
            errors.join(" "),
        ))
    }
}

/// The price after an edit: the one given, or the stored one while the
/// currency stays. Problems go to `errors`.
fn merged_price(
    base: Option<&Product>,
    given: Option<&PriceInput>,
    currency: Currency,
    errors: &mut Vec<String>,
) -> Money {
    match given {
        Some(p) => {
            let parsed = p.text().and_then(|text| Money::parse(&text, currency));
            match parsed {
                Ok(m) if m.minor >= 0 => m,
                Ok(_) => {
                    errors.push("The price cannot be negative.".into());
                    Money::zero(currency)
                }
                Err(e) => {
                    errors.push(format!("Price: {e}."));
                    Money::zero(currency)
                }
            }
        }
        None => match base {
            // Minor units mean different amounts in different currencies
            // ($19.99 is 1999 cents, ¥1999 is 1999 yen): a new currency
            // needs its own price.
            Some(b) if b.price.currency != currency => {
                errors.push(format!(
                    "To change the currency from {} to {currency}, give the price in {currency} too.",
                    b.price.currency
                ));
                b.price
            }
            Some(b) => b.price,
            None => {
                errors.push("Give the product a price.".into());
                Money::zero(currency)
            }
        },
    }
}

/// Copies the fields the input names onto the product, trimmed.
fn apply_fields(p: &mut Product, input: ProductInput) {
    if let Some(sku) = input.sku {
        p.sku = sku;
    }
    if let Some(name) = input.name {
        p.name = name.trim().to_string();
    }
    if let Some(d) = input.description {
        p.description = d.trim().to_string();
    }
    if let Some(url) = input.image_url {
        p.image_url = url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
    }
    if let Some(stock) = input.stock {
        p.stock = stock;
    }
    if let Some(active) = input.active {
        p.active = active;
    }
    if let Some(c) = input.collections {
        p.collections = c
            .into_iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
    }
}

/// Every problem with a product as it would be stored, into `errors`.
fn check_product(p: &Product, creating: bool, errors: &mut Vec<String>) {
    if let Err(e) = check_sku(&p.sku) {
        errors.push(e);
    }
    if p.name.is_empty() {
        errors.push(
            if creating {
                "Give the product a name."
            } else {
                "The name cannot be empty."
            }
            .into(),
        );
    } else if p.name.chars().count() > 200 {
        errors.push("Keep the name to at most 200 characters.".into());
    }
    if p.description.chars().count() > 2000 {
        errors.push("Keep the description to at most 2000 characters.".into());
    }
    if let Some(url) = &p.image_url
        && !app::channel::is_web_address(url)
    {
        errors.push("The image address must start with https://.".into());
    }
    if p.collections.len() > 20 || p.collections.iter().any(|c| c.chars().count() > 60) {
        errors.push("Use at most 20 collections of at most 60 characters each.".into());
    }
}

fn sku_taken(sku: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::SkuTaken,
        format!("Another product already uses the SKU “{sku}”."),
    )
}

/// The workspace's products.
pub async fn list_products(
    state: &AppState,
    p: &Principal,
    filter: ProductFilter,
) -> ApiResult<Vec<ProductView>> {
    Ok(tenant(state, p)
        .products(&filter)
        .await?
        .iter()
        .map(product_view)
        .collect())
}

/// One product.
pub async fn get_product(state: &AppState, p: &Principal, id: ProductId) -> ApiResult<ProductView> {
    tenant(state, p)
        .product(id)
        .await?
        .map(|r| product_view(&r))
        .ok_or_else(|| ApiError::not_found("product"))
}

/// Adds a product.
pub async fn create_product(
    state: &AppState,
    p: &Principal,
    input: ProductInput,
) -> ApiResult<ProductView> {
    require(p, Role::Editor, "change the catalog")?;
    let currency = tenant(state, p).workspace_currency().await?;
    let product = merge(None, input, currency)?;
    match tenant(state, p).create_product(&product).await {
        Ok(row) => Ok(product_view(&row)),
        Err(StoreError::Conflict(_)) => Err(sku_taken(&product.sku)),
        Err(e) => Err(e.into()),
    }
}

/// Changes some fields of a product.
pub async fn update_product(
    state: &AppState,
    p: &Principal,
    id: ProductId,
    input: ProductInput,
) -> ApiResult<ProductView> {
    require(p, Role::Editor, "change the catalog")?;
    let row = tenant(state, p)
        .product(id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    let currency = tenant(state, p).workspace_currency().await?;
    let product = merge(Some(row.to_product()), input, currency)?;
    match tenant(state, p).update_product(id, &product).await {
        Ok(Some(row)) => Ok(product_view(&row)),
        Ok(None) => Err(ApiError::not_found("product")),
        Err(StoreError::Conflict(_)) => Err(sku_taken(&product.sku)),
        Err(e) => Err(e.into()),
    }
}

/// Deletes a product. Orders keep their own copy of what was bought.
pub async fn delete_product(state: &AppState, p: &Principal, id: ProductId) -> ApiResult<()> {
    require(p, Role::Editor, "change the catalog")?;
    if tenant(state, p).delete_product(id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("product"))
    }
}

/// What an import did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportResult {
    /// New products.
    pub created: usize,
    /// Products updated by SKU.
    pub updated: usize,
}

/// Imports a CSV file: every row, or none.
pub async fn import_products(
    state: &AppState,
    p: &Principal,
    csv: &str,
) -> ApiResult<ImportResult> {
    require(p, Role::Editor, "change the catalog")?;
    let currency = tenant(state, p).workspace_currency().await?;
    // Rows without a currency keep their product's.
    let catalog = tenant(state, p).catalog().await?;
    let import = import_csv(csv, currency, |sku| {
        catalog.get(sku).map(|p| p.price.currency)
    })
    .map_err(import_failed)?;
    let (created, updated) = tenant(state, p)
        .import_products(&import.products, &import.columns)
        .await?;
    Ok(ImportResult { created, updated })
}

fn import_failed(rows: Vec<RowErrors>) -> ApiError {
    let n = rows.len();
    ApiError::invalid(
        ErrorCode::InvalidCsv,
        format!(
            "{n} row{} of the file {} problems, so nothing was imported. Fix them and import the file again.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "has" } else { "have" }
        ),
    )
    .with("rows", serde_json::to_value(&rows).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_number_literals_become_plain_decimals() {
        let p = |s: &str| plain_decimal(s);
        assert_eq!(p("12.5").as_deref(), Some("12.5"));
        assert_eq!(p("1e2").as_deref(), Some("100"));
        assert_eq!(p("1E+2").as_deref(), Some("100"));
        assert_eq!(p("1.25e1").as_deref(), Some("12.5"));
        assert_eq!(p("1.25e-1").as_deref(), Some("0.125"));
        assert_eq!(p("5e-3").as_deref(), Some("0.005"));
        assert_eq!(p("-2.5e1").as_deref(), Some("-25"));
        assert_eq!(p("1999e-2").as_deref(), Some("19.99"));
        assert_eq!(p("1e999"), None);
    }

    #[test]
    fn prices_deserialize_from_their_digits() {
        let price = |json: &str| serde_json::from_str::<PriceInput>(json);
        assert_eq!(price("0.1").unwrap(), PriceInput::Number("0.1".into()));
        assert_eq!(price("19.99").unwrap(), PriceInput::Number("19.99".into()));
        assert_eq!(
            price(r#""12.50""#).unwrap(),
            PriceInput::Text("12.50".into())
        );
        assert!(price("true").is_err());
        assert!(price("[1]").is_err());
        // Digits far beyond an f64's precision are kept as written.
        let long = "12345678901234567.89";
        assert_eq!(price(long).unwrap(), PriceInput::Number(long.into()));
    }
}
