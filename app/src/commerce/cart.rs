//! A shopper's cart. Every change is checked against the catalog: inactive
//! products cannot be added and stock is never exceeded. A cart holds one
//! currency.

use serde::{Deserialize, Serialize};

use super::catalog::{CatalogView, Product};
use super::money::{Money, MoneyError};
use crate::hash::{FNV_OFFSET, fnv1a};

/// Most units of one product a cart holds.
pub const MAX_QTY_PER_LINE: u32 = 99;
/// Most lines a cart holds.
pub const MAX_LINES: usize = 50;

/// One product in the cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// The product.
    pub sku: String,
    /// Its name when added, for display.
    pub name: String,
    /// How many.
    pub qty: u32,
    /// Unit price when added.
    pub unit_price: Money,
}

/// The shopper's cart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    /// The lines, in the order they were first added.
    pub lines: Vec<CartLine>,
}

/// Why a cart change was refused, in words for the shopper.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    /// No such product, or it is not for sale.
    #[error("Sorry, that product is not available.")]
    Unavailable,
    /// Not enough stock for the quantity.
    #[error("Sorry, only {available} of {name} left.")]
    OutOfStock {
        /// The product's name.
        name: String,
        /// Units still available to this cart.
        available: u32,
    },
    /// Too many units or lines.
    #[error("Your cart is full.")]
    Full,
    /// The product is priced in another currency than the cart.
    #[error("That product cannot be bought together with the rest of your cart.")]
    Currency,
}

impl Cart {
    /// True when there is nothing in the cart.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Total units.
    pub fn count(&self) -> u32 {
        self.lines.iter().map(|l| l.qty).sum()
    }

    /// Units of one SKU in the cart.
    pub fn qty_of(&self, sku: &str) -> u32 {
        self.lines
            .iter()
            .find(|l| l.sku == sku)
            .map_or(0, |l| l.qty)
    }

    /// Adds `qty` units of `sku`, checking the catalog.
    pub fn add(
        &mut self,
        catalog: &CatalogView,
        sku: &str,
        qty: u32,
    ) -> Result<&CartLine, CartError> {
        let product = catalog
            .get(sku)
            .filter(|p| p.active)
            .ok_or(CartError::Unavailable)?;
        self.add_product(product, qty)
    }

    /// Adds `qty` units of a product already looked up.
    pub fn add_product(&mut self, product: &Product, qty: u32) -> Result<&CartLine, CartError> {
        if qty == 0 || !product.active {
            return Err(CartError::Unavailable);
        }
        if let Some(first) = self.lines.first()
            && first.unit_price.currency != product.price.currency
        {
            return Err(CartError::Currency);
        }
        let have = self.qty_of(&product.sku);
        if have.saturating_add(qty) > MAX_QTY_PER_LINE {
            return Err(CartError::Full);
        }
        if !product.can_sell(have, qty) {
            return Err(CartError::OutOfStock {
                name: product.name.clone(),
                available: product.stock.unwrap_or(0).saturating_sub(have),
            });
        }
        let index = match self.lines.iter().position(|l| l.sku == product.sku) {
            Some(i) => {
                self.lines[i].qty += qty;
                i
            }
            None => {
                if self.lines.len() >= MAX_LINES {
                    return Err(CartError::Full);
                }
                self.lines.push(CartLine {
                    sku: product.sku.clone(),
                    name: product.name.clone(),
                    qty,
                    unit_price: product.price,
                });
                self.lines.len() - 1
            }
        };
        Ok(&self.lines[index])
    }

    /// Removes a SKU entirely; false when it was not there.
    pub fn remove(&mut self, sku: &str) -> bool {
        let before = self.lines.len();
        self.lines.retain(|l| l.sku != sku);
        self.lines.len() != before
    }

    /// Empties the cart.
    pub fn clear(&mut self) {
        self.lines.clear();
    }

    /// The sum of all lines, or `None` for an empty cart.
    pub fn total(&self) -> Result<Option<Money>, MoneyError> {
        let mut total: Option<Money> = None;
        for line in &self.lines {
            let amount = line.unit_price.checked_mul(line.qty)?;
            total = Some(match total {
                None => amount,
                Some(t) => t.checked_add(amount)?,
            });
        }
        Ok(total)
    }

    /// Re-prices the cart against the current catalog and drops what can no
    /// longer be sold, clamping quantities to stock. Returns a sentence per
    /// change, for the shopper.
    pub fn refresh(&mut self, catalog: &CatalogView) -> Vec<String> {
        let mut notes = Vec::new();
        // In place and in order: a cart that is up to date costs no copies.
        self.lines.retain_mut(|line| {
            let Some(p) = catalog.get(&line.sku).filter(|p| p.active) else {
                notes.push(format!(
                    "{} is no longer available and was removed.",
                    line.name
                ));
                return false;
            };
            if let Some(stock) = p.stock
                && line.qty > stock
            {
                if stock == 0 {
                    notes.push(format!("{} is sold out and was removed.", p.name));
                    return false;
                }
                notes.push(format!(
                    "Only {stock} of {} left; your cart now has {stock}.",
                    p.name
                ));
                line.qty = stock;
            }
            if line.unit_price != p.price {
                notes.push(format!("The price of {} is now {}.", p.name, p.price));
                line.unit_price = p.price;
            }
            if line.name != p.name {
                line.name.clone_from(&p.name);
            }
            true
        });
        notes
    }

    /// A short fingerprint of the lines, so a confirmation tapped on an old
    /// message can be told from one for the cart as it is now.
    pub fn fingerprint(&self) -> String {
        // FNV-1a: stable across platforms and versions, unlike std's hasher.
        let hash = self.lines.iter().fold(FNV_OFFSET, |hash, line| {
            fnv1a(
                hash,
                line.sku
                    .bytes()
                    .chain([0])
                    .chain(line.qty.to_le_bytes())
                    .chain(line.unit_price.minor.to_le_bytes()),
            )
        });
        // `format!("{:08x}", hash as u32)`, without the formatting machinery.
        let hash = hash as u32;
        (0..8)
            .rev()
            .map(|i| char::from(b"0123456789abcdef"[(hash >> (i * 4)) as usize & 0xf]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commerce::money::Currency;

    fn product(sku: &str, price: i64, stock: Option<u32>) -> Product {
        Product {
            sku: sku.into(),
            name: format!("Item {sku}"),
            description: String::new(),
            price: Money::new(price, Currency::parse("USD").unwrap()),
            image_url: None,
            stock,
            active: true,
            collections: vec![],
        }
    }

    #[test]
    fn adding_respects_stock_and_merges_lines() {
        let catalog = CatalogView::new([product("A", 1000, Some(2)), product("B", 250, None)]);
        let mut cart = Cart::default();
        cart.add(&catalog, "A", 1).unwrap();
        cart.add(&catalog, "A", 1).unwrap();
        assert_eq!(cart.lines.len(), 1);
        assert_eq!(cart.qty_of("A"), 2);
        assert_eq!(
            cart.add(&catalog, "A", 1),
            Err(CartError::OutOfStock {
                name: "Item A".into(),
                available: 0
            })
        );
        cart.add(&catalog, "B", 3).unwrap();
        assert_eq!(cart.count(), 5);
        assert_eq!(cart.total().unwrap().unwrap().minor, 2750);
        assert_eq!(cart.add(&catalog, "Z", 1), Err(CartError::Unavailable));
        assert_eq!(cart.add(&catalog, "B", 0), Err(CartError::Unavailable));
        assert_eq!(cart.add(&catalog, "B", 97), Err(CartError::Full));
    }

    #[test]
    fn one_currency_per_cart() {
        let mut eur = product("E", 100, None);
        eur.price = Money::new(100, Currency::parse("EUR").unwrap());
        let catalog = CatalogView::new([product("A", 1000, None), eur]);
        let mut cart = Cart::default();
        cart.add(&catalog, "A", 1).unwrap();
        assert_eq!(cart.add(&catalog, "E", 1), Err(CartError::Currency));
    }

    #[test]
    fn refresh_reprices_and_clamps() {
        let catalog = CatalogView::new([product("A", 1000, None), product("B", 500, Some(5))]);
        let mut cart = Cart::default();
        cart.add(&catalog, "A", 1).unwrap();
        cart.add(&catalog, "B", 4).unwrap();
        let before = cart.fingerprint();
        let mut cheaper = product("A", 900, None);
        cheaper.name = "Item A v2".into();
        let changed = CatalogView::new([cheaper, product("B", 500, Some(2))]);
        let notes = cart.refresh(&changed);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(cart.total().unwrap().unwrap().minor, 900 + 1000);
        assert_ne!(cart.fingerprint(), before);
        let gone = CatalogView::new([product("B", 500, Some(0))]);
        let notes = cart.refresh(&gone);
        assert_eq!(notes.len(), 2);
        assert!(cart.is_empty());
        assert_eq!(cart.total().unwrap(), None);
    }

    #[test]
    fn fingerprints_are_eight_hex_digits_of_fnv1a() {
        let catalog = CatalogView::new([product("A", 1000, None), product("B", 250, None)]);
        let mut cart = Cart::default();
        assert_eq!(cart.fingerprint(), "84222325");
        cart.add(&catalog, "A", 2).unwrap();
        cart.add(&catalog, "B", 1).unwrap();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for line in &cart.lines {
            for b in line
                .sku
                .bytes()
                .chain([0])
                .chain(line.qty.to_le_bytes())
                .chain(line.unit_price.minor.to_le_bytes())
            {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        assert_eq!(cart.fingerprint(), format!("{:08x}", hash as u32));
    }

    #[test]
    fn remove_and_clear() {
        let catalog = CatalogView::new([product("A", 1000, None)]);
        let mut cart = Cart::default();
        cart.add(&catalog, "A", 2).unwrap();
        assert!(!cart.remove("B"));
        assert!(cart.remove("A"));
        assert!(cart.is_empty());
        cart.add(&catalog, "A", 1).unwrap();
        cart.clear();
        assert_eq!(cart.count(), 0);
    }
}
