//! Commerce, pure: money in integer minor units, products and the catalog
//! view, the cart, and the order state machine. No IO and no floats.

pub mod cart;
pub mod catalog;
pub mod csv;
pub mod money;
pub mod order;

pub use cart::{Cart, CartError, CartLine};
pub use catalog::{CatalogView, Product, ProductSource};
pub use money::{Currency, Money, MoneyError};
pub use order::{IllegalTransition, NewOrder, OrderStatus, PaymentMethod, UnknownOrderStatus};
