//! Products of a workspace's catalog.

use app::commerce::csv::Columns;
use app::commerce::{CatalogView, Currency, Money, Product};
use sqlx::FromRow;

use super::Workspace;
use super::{ProductId, Result, StoreError, conflict_on_unique, now_ms};

/// A product as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ProductRow {
    /// Id.
    pub id: ProductId,
    /// SKU, unique in the workspace.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Price in minor units.
    pub price_minor: i64,
    /// ISO currency.
    pub currency: String,
    /// Picture.
    pub image_url: Option<String>,
    /// Units on hand; NULL when not tracked.
    pub stock: Option<i64>,
    /// 1 when for sale.
    pub active: i64,
    /// JSON array of collection names.
    pub collections: String,
    /// Created at.
    pub created_at: i64,
    /// Updated at.
    pub updated_at: i64,
}

impl ProductRow {
    /// The product as the pure core sees it.
    pub fn to_product(&self) -> Product {
        Product {
            sku: self.sku.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            price: Money::new(
                self.price_minor,
                Currency::parse(&self.currency).unwrap_or(Currency::XXX),
            ),
            image_url: self.image_url.clone(),
            stock: self
                .stock
                .map(|s| u32::try_from(s.max(0)).unwrap_or(u32::MAX)),
            active: self.active != 0,
            collections: serde_json::from_str(&self.collections).unwrap_or_default(),
        }
    }
}

const COLUMNS: &str = "id, sku, name, description, price_minor, currency, image_url, stock, active, \
                       collections, created_at, updated_at";

/// How to filter a product listing.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Only this collection (case-insensitive).
    pub collection: Option<String>,
    /// Name or SKU contains this (case-insensitive).
    pub query: Option<String>,
    /// Only active or only inactive.
    pub active: Option<bool>,
}

impl Workspace<'_> {
    /// The workspace's products, by name.
    pub async fn products(self, filter: &ProductFilter) -> Result<Vec<ProductRow>> {
        let ws = self.ws;
        let rows: Vec<ProductRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM products WHERE workspace_id = $1 ORDER BY LOWER(name), id"
        ))
        .bind(ws)
        .fetch_all(&self.readers)
        .await?;
        // Collections live in a JSON array; filtering here keeps one SQL for both backends.
        Ok(rows
            .into_iter()
            .filter(|r| filter.active.is_none_or(|a| (r.active != 0) == a))
            .filter(|r| {
                filter.query.as_ref().is_none_or(|q| {
                    let q = q.to_lowercase();
                    r.name.to_lowercase().contains(&q) || r.sku.to_lowercase().contains(&q)
                })
            })
            .filter(|r| {
                filter
                    .collection
                    .as_ref()
                    .is_none_or(|c| r.to_product().in_collection(c))
            })
            .collect())
    }

    /// Every product as the interpreter sees it.
    pub async fn catalog(self) -> Result<CatalogView> {
        let rows = self.products(&ProductFilter::default()).await?;
        Ok(CatalogView::new(rows.iter().map(ProductRow::to_product)))
    }

    /// One product.
    pub async fn product(self, id: ProductId) -> Result<Option<ProductRow>> {
        self.by_id("products", COLUMNS, id).await
    }

    /// Adds a product; `Conflict("sku")` when the SKU is taken.
    pub async fn create_product(self, p: &Product) -> Result<ProductRow> {
        let ws = self.ws;
        let now = now_ms();
        sqlx::query_as(&format!(
            "INSERT INTO products (workspace_id, sku, name, description, price_minor, currency, image_url, \
             stock, active, collections, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {COLUMNS}"
        ))
        .bind(ws)
        .bind(&p.sku)
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.price.minor)
        .bind(p.price.currency.code())
        .bind(&p.image_url)
        .bind(p.stock.map(i64::from))
        .bind(i64::from(p.active))
        .bind(serde_json::to_string(&p.collections).unwrap_or_else(|_| "[]".into()))
        .bind(now)
        .fetch_one(&mut *self.write().await?)
        .await
        .map_err(|e| conflict_on_unique(e, "sku"))
    }

    /// Replaces a product's fields; `None` when missing, `Conflict("sku")`
    /// when the new SKU is taken.
    pub async fn update_product(self, id: ProductId, p: &Product) -> Result<Option<ProductRow>> {
        let ws = self.ws;
        sqlx::query_as(&format!(
            "UPDATE products SET sku = $1, name = $2, description = $3, price_minor = $4, currency = $5, \
             image_url = $6, stock = $7, active = $8, collections = $9, updated_at = $10 \
             WHERE workspace_id = $11 AND id = $12 RETURNING {COLUMNS}"
        ))
        .bind(&p.sku)
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.price.minor)
        .bind(p.price.currency.code())
        .bind(&p.image_url)
        .bind(p.stock.map(i64::from))
        .bind(i64::from(p.active))
        .bind(serde_json::to_string(&p.collections).unwrap_or_else(|_| "[]".into()))
        .bind(now_ms())
        .bind(ws)
        .bind(id)
        .fetch_optional(&mut *self.write().await?)
        .await
        .map_err(|e| conflict_on_unique(e, "sku"))
    }

    /// Deletes a product; `false` when missing.
    pub async fn delete_product(self, id: ProductId) -> Result<bool> {
        let ws = self.ws;
        let done = sqlx::query("DELETE FROM products WHERE workspace_id = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Creates or updates (by SKU) every product, all or nothing. An update
    /// writes the name, the price and the optional `columns` the file has,
    /// and keeps the rest. Returns (created, updated).
    pub async fn import_products(
        self,
        products: &[Product],
        columns: &Columns,
    ) -> Result<(usize, usize)> {
        let ws = self.ws;
        let mut tx = self.begin().await?;
        let now = now_ms();
        let (mut created, mut updated) = (0, 0);
        let update = import_update(columns);
        for p in products {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM products WHERE workspace_id = $1 AND sku = $2")
                    .bind(ws)
                    .bind(&p.sku)
                    .fetch_optional(&mut *tx)
                    .await?;
            let collections = serde_json::to_string(&p.collections).unwrap_or_else(|_| "[]".into());
            match existing {
                Some(id) => {
                    bind_import(sqlx::query(&update), p, columns, now, &collections)
                        .bind(ws)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    updated += 1;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO products (workspace_id, sku, name, description, price_minor, currency, \
                         image_url, stock, active, collections, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                    )
                    .bind(ws)
                    .bind(&p.sku)
                    .bind(&p.name)
                    .bind(&p.description)
                    .bind(p.price.minor)
                    .bind(p.price.currency.code())
                    .bind(&p.image_url)
                    .bind(p.stock.map(i64::from))
                    .bind(i64::from(p.active))
                    .bind(&collections)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "sku"))?;
                    created += 1;
                }
            }
        }
        tx.commit().await?;
        Ok((created, updated))
    }

    /// The workspace's default currency.
    pub async fn workspace_currency(self) -> Result<Currency> {
        let ws = self.ws;
        let code: Option<String> =
            sqlx::query_scalar("SELECT currency FROM workspaces WHERE id = $1")
                .bind(ws)
                .fetch_optional(&self.readers)
                .await?;
        code.as_deref()
            .and_then(Currency::parse)
            .ok_or(StoreError::Conflict("workspace"))
    }
}

/// The one UPDATE an import runs for every existing product: the columns
/// are the same for every row, those the file has.
fn import_update(columns: &Columns) -> String {
    let mut update = String::from(
        "UPDATE products SET name = $1, price_minor = $2, currency = $3, updated_at = $4",
    );
    let mut n = 4;
    for (present, column) in [
        (columns.description, "description"),
        (columns.image_url, "image_url"),
        (columns.stock, "stock"),
        (columns.active, "active"),
        (columns.collections, "collections"),
    ] {
        if present {
            n += 1;
            update.push_str(&format!(", {column} = ${n}"));
        }
    }
    update.push_str(&format!(
        " WHERE workspace_id = ${} AND id = ${}",
        n + 1,
        n + 2
    ));
    update
}

/// Binds a product's values to [`import_update`]'s statement, in its order.
fn bind_import<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    p: &'q Product,
    columns: &Columns,
    now: i64,
    collections: &'q str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = q
        .bind(&p.name)
        .bind(p.price.minor)
        .bind(p.price.currency.code())
        .bind(now);
    if columns.description {
        q = q.bind(&p.description);
    }
    if columns.image_url {
        q = q.bind(&p.image_url);
    }
    if columns.stock {
        q = q.bind(p.stock.map(i64::from));
    }
    if columns.active {
        q = q.bind(i64::from(p.active));
    }
    if columns.collections {
        q = q.bind(collections);
    }
    q
}
