//! Products and the read-only catalog view the interpreter shops from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::money::Money;

/// Longest SKU accepted; it travels inside button payloads.
pub const MAX_SKU_CHARS: usize = 64;

/// A product of a merchant's catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Product {
    /// The merchant's stock-keeping unit, unique in the workspace.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Longer text shown under "Details".
    #[serde(default)]
    pub description: String,
    /// Unit price.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub price: Money,
    /// Picture shown on cards.
    #[serde(default)]
    pub image_url: Option<String>,
    /// Units on hand; `None` means not tracked (always available).
    #[serde(default)]
    pub stock: Option<u32>,
    /// Inactive products are hidden from shoppers.
    #[serde(default = "yes")]
    pub active: bool,
    /// Collections (like "Shoes" or "Summer") the product belongs to.
    #[serde(default)]
    pub collections: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Product {
    /// Whether a shopper can buy `qty` more units on top of `in_cart`.
    pub fn can_sell(&self, in_cart: u32, qty: u32) -> bool {
        self.active
            && match self.stock {
                None => true,
                Some(stock) => in_cart.saturating_add(qty) <= stock,
            }
    }

    /// Whether the product is in `collection` (case-insensitive).
    pub fn in_collection(&self, collection: &str) -> bool {
        self.collections
            .iter()
            .any(|c| c.trim().eq_ignore_ascii_case(collection.trim()))
    }
}

/// Checks a SKU: present, bounded, and free of characters that would break a
/// button payload or a CSV cell.
pub fn check_sku(sku: &str) -> Result<(), String> {
    if sku.trim().is_empty() {
        return Err("Give the product a SKU.".into());
    }
    if sku != sku.trim() {
        return Err("A SKU cannot start or end with a space.".into());
    }
    if sku.chars().count() > MAX_SKU_CHARS {
        return Err(format!(
            "Keep the SKU to at most {MAX_SKU_CHARS} characters."
        ));
    }
    if sku.chars().any(|c| c.is_control()) {
        return Err("A SKU cannot contain line breaks or control characters.".into());
    }
    Ok(())
}

/// Where a product carousel takes its cards from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProductSource {
    /// Every active product.
    All,
    /// The active products of one collection.
    Collection {
        /// The collection's name.
        collection: String,
    },
    /// These SKUs, in this order.
    Skus {
        /// The SKUs.
        skus: Vec<String>,
    },
    /// Products whose name, description or collection contain these words.
    Search {
        /// The words.
        query: String,
    },
}

/// A read-only view of a workspace's catalog, handed to the interpreter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Products")]
pub struct CatalogView {
    products: BTreeMap<String, Product>,
    /// How many of `products` are active, counted once: every page of a
    /// carousel of the whole catalog says how many products there are.
    #[serde(skip)]
    active: usize,
}

/// What a [`CatalogView`] is read from.
#[derive(Deserialize)]
struct Products {
    products: BTreeMap<String, Product>,
}

impl From<Products> for CatalogView {
    fn from(p: Products) -> CatalogView {
        CatalogView::from_map(p.products)
    }
}

impl CatalogView {
    /// Builds the view; a later product with the same SKU replaces an earlier.
    pub fn new(products: impl IntoIterator<Item = Product>) -> CatalogView {
        CatalogView::from_map(products.into_iter().map(|p| (p.sku.clone(), p)).collect())
    }

    fn from_map(products: BTreeMap<String, Product>) -> CatalogView {
        let active = products.values().filter(|p| p.active).count();
        CatalogView { products, active }
    }

    /// A product by SKU, active or not.
    pub fn get(&self, sku: &str) -> Option<&Product> {
        self.products.get(sku)
    }

    /// Every product.
    pub fn all(&self) -> impl Iterator<Item = &Product> {
        self.products.values()
    }

    /// The active products a source selects, in a stable order.
    pub fn select(&self, source: &ProductSource) -> Vec<&Product> {
        let mut selected = Vec::new();
        self.for_each_selected(source, |p| selected.push(p));
        selected
    }

    /// Calls `f` with each active product a source selects, in the order of
    /// [`CatalogView::select`], without collecting them.
    pub fn for_each_selected<'c>(&'c self, source: &ProductSource, mut f: impl FnMut(&'c Product)) {
        match source {
            ProductSource::All => self.products.values().filter(|p| p.active).for_each(f),
            ProductSource::Collection { collection } => self
                .products
                .values()
                .filter(|p| p.active && p.in_collection(collection))
                .for_each(f),
            ProductSource::Skus { skus } => skus
                .iter()
                .filter_map(|s| self.products.get(s))
                .filter(|p| p.active)
                .for_each(f),
            ProductSource::Search { query } => {
                let words: Vec<String> = crate::fold::normalize(query)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                for p in self.products.values().filter(|p| p.active) {
                    let hay = crate::fold::normalize(&format!(
                        "{} {} {}",
                        p.name,
                        p.description,
                        p.collections.join(" ")
                    ));
                    if words.iter().all(|w| hay.contains(w.as_str())) {
                        f(p);
                    }
                }
            }
        }
    }

    /// How many products a source selects.
    pub fn count_selected(&self, source: &ProductSource) -> usize {
        if matches!(source, ProductSource::All) {
            return self.active;
        }
        let mut count = 0;
        self.for_each_selected(source, |_| count += 1);
        count
    }

    /// The products a source selects from the `start`th on, at most `len`
    /// of them, and how many it selects in all: a page of
    /// [`CatalogView::select`] without collecting the rest.
    pub fn select_page<'c>(
        &'c self,
        source: &ProductSource,
        start: usize,
        len: usize,
    ) -> (Vec<&'c Product>, usize) {
        if matches!(source, ProductSource::All) {
            let mut page = Vec::with_capacity(len.min(self.active.saturating_sub(start)));
            page.extend(
                self.products
                    .values()
                    .filter(|p| p.active)
                    .skip(start)
                    .take(len),
            );
            return (page, self.active);
        }
        let mut page = Vec::with_capacity(len.min(self.products.len()));
        let mut total = 0usize;
        self.for_each_selected(source, |p| {
            if total >= start && total - start < len {
                page.push(p);
            }
            total += 1;
        });
        (page, total)
    }

    /// The names of every collection, sorted.
    pub fn collections(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .products
            .values()
            .flat_map(|p| p.collections.iter().map(|c| c.trim().to_string()))
            .filter(|c| !c.is_empty())
            .collect();
        all.sort_by_key(|c| c.to_lowercase());
        all.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commerce::money::Currency;

    fn product(sku: &str, collections: &[&str], stock: Option<u32>, active: bool) -> Product {
        Product {
            sku: sku.into(),
            name: format!("Product {sku}"),
            description: String::new(),
            price: Money::new(1000, Currency::parse("USD").unwrap()),
            image_url: None,
            stock,
            active,
            collections: collections.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn stock_limits_what_can_be_sold() {
        let p = product("A", &[], Some(3), true);
        assert!(p.can_sell(0, 3));
        assert!(!p.can_sell(1, 3));
        assert!(p.can_sell(2, 1));
        assert!(product("B", &[], None, true).can_sell(1000, 1000));
        assert!(!product("C", &[], None, false).can_sell(0, 1));
    }

    #[test]
    fn sources_select_active_products() {
        let catalog = CatalogView::new([
            product("A", &["Shoes"], None, true),
            product("B", &["shoes", "Sale"], None, true),
            product("C", &["Shoes"], None, false),
            product("D", &[], None, true),
        ]);
        let skus = |v: Vec<&Product>| v.iter().map(|p| p.sku.clone()).collect::<Vec<_>>();
        assert_eq!(skus(catalog.select(&ProductSource::All)), ["A", "B", "D"]);
        assert_eq!(
            skus(catalog.select(&ProductSource::Collection {
                collection: "SHOES".into()
            })),
            ["A", "B"]
        );
        assert_eq!(
            skus(catalog.select(&ProductSource::Skus {
                skus: vec!["D".into(), "C".into(), "A".into(), "Z".into()]
            })),
            ["D", "A"]
        );
        assert_eq!(
            skus(catalog.select(&ProductSource::Search {
                query: "product sale".into()
            })),
            ["B"]
        );
        assert_eq!(catalog.collections(), ["Sale", "Shoes"]);
    }

    #[test]
    fn pages_and_counts_agree_with_select() {
        let catalog = CatalogView::new([
            product("A", &["Shoes"], None, true),
            product("B", &["shoes", "Sale"], None, true),
            product("C", &["Shoes"], None, false),
            product("D", &[], None, true),
            product("E", &["Shoes"], None, true),
        ]);
        let sources = [
            ProductSource::All,
            ProductSource::Collection {
                collection: "shoes".into(),
            },
            ProductSource::Skus {
                skus: vec!["D".into(), "C".into(), "A".into(), "D".into()],
            },
            ProductSource::Search {
                query: "product".into(),
            },
        ];
        for source in &sources {
            let all = catalog.select(source);
            assert_eq!(catalog.count_selected(source), all.len(), "{source:?}");
            for start in 0..7 {
                for len in 0..4 {
                    let page: Vec<&Product> = all.iter().skip(start).take(len).copied().collect();
                    assert_eq!(
                        catalog.select_page(source, start, len),
                        (page, all.len()),
                        "{source:?} {start} {len}"
                    );
                }
            }
        }
        let read: CatalogView =
            serde_json::from_str(&serde_json::to_string(&catalog).unwrap()).unwrap();
        assert_eq!(read, catalog);
        assert_eq!(read.count_selected(&ProductSource::All), 4);
    }

    #[test]
    fn skus_are_checked() {
        assert!(check_sku("RUN-42").is_ok());
        assert!(check_sku("").is_err());
        assert!(check_sku(" A").is_err());
        assert!(check_sku("a\nb").is_err());
        assert!(check_sku(&"x".repeat(65)).is_err());
    }
}
