//! Orders: what a checkout places, and the state machine an order moves
//! through afterwards (placed → paid → fulfilled, with cancelled and
//! refunded). An illegal transition is an error, never silently applied.

use serde::{Deserialize, Serialize};

use super::cart::CartLine;
use super::money::Money;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Confirmed by the shopper, not yet paid.
    Placed,
    /// Paid (online, or cash collected).
    Paid,
    /// Handed over to the shopper.
    Fulfilled,
    /// Called off before payment.
    Cancelled,
    /// Money returned after payment.
    Refunded,
}

impl OrderStatus {
    /// Every status, in life order.
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Placed,
        OrderStatus::Paid,
        OrderStatus::Fulfilled,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Placed => "Placed",
            OrderStatus::Paid => "Paid",
            OrderStatus::Fulfilled => "Fulfilled",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Refunded => "Refunded",
        }
    }

    /// The statuses an order may move to from this one.
    pub fn next(self) -> &'static [OrderStatus] {
        match self {
            OrderStatus::Placed => &[OrderStatus::Paid, OrderStatus::Cancelled],
            OrderStatus::Paid => &[OrderStatus::Fulfilled, OrderStatus::Refunded],
            OrderStatus::Fulfilled => &[OrderStatus::Refunded],
            OrderStatus::Cancelled | OrderStatus::Refunded => &[],
        }
    }

    /// Checks a transition.
    pub fn transition(self, to: OrderStatus) -> Result<OrderStatus, IllegalTransition> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

impl TryFrom<String> for OrderStatus {
    type Error = UnknownOrderStatus;

    /// The one mapping from a stored name (the store reads `status`
    /// columns through it).
    fn try_from(name: String) -> Result<OrderStatus, UnknownOrderStatus> {
        OrderStatus::parse(&name).ok_or(UnknownOrderStatus(name))
    }
}

/// An order status name that is not one of [`OrderStatus::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order status {0:?}")]
pub struct UnknownOrderStatus(pub String);

/// A transition the order state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("An order that is {} cannot become {}.", from.as_str(), to.as_str())]
pub struct IllegalTransition {
    /// The current status.
    pub from: OrderStatus,
    /// The refused target.
    pub to: OrderStatus,
}

/// How the shopper pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash (or card) handed over on delivery.
    CashOnDelivery,
    /// The hosted order page, reached through its own unguessable link.
    OrderPage,
}

impl PaymentMethod {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::CashOnDelivery => "cash_on_delivery",
            PaymentMethod::OrderPage => "order_page",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<PaymentMethod> {
        match s {
            "cash_on_delivery" => Some(PaymentMethod::CashOnDelivery),
            "order_page" => Some(PaymentMethod::OrderPage),
            _ => None,
        }
    }
}

/// What a checkout asks the runner to store. `key` makes it idempotent:
/// placing the same key twice yields the one order already stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    /// Derived from the conversation and the inbound event.
    pub key: String,
    /// What was bought, at the confirmed prices.
    pub lines: Vec<CartLine>,
    /// Their sum.
    pub total: Money,
    /// How the shopper pays.
    pub payment: PaymentMethod,
    /// Variables collected in the conversation (name, address, …).
    pub details: std::collections::BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_is_legal() {
        assert_eq!(Placed.transition(Paid), Ok(Paid));
        assert_eq!(Paid.transition(Fulfilled), Ok(Fulfilled));
        assert_eq!(Fulfilled.transition(Refunded), Ok(Refunded));
        assert_eq!(Placed.transition(Cancelled), Ok(Cancelled));
        assert_eq!(Paid.transition(Refunded), Ok(Refunded));
    }

    #[test]
    fn everything_else_is_illegal() {
        let legal = [
            (Placed, Paid),
            (Placed, Cancelled),
            (Paid, Fulfilled),
            (Paid, Refunded),
            (Fulfilled, Refunded),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let ok = from.transition(to).is_ok();
                assert_eq!(ok, legal.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
        let err = Cancelled.transition(Paid).unwrap_err();
        assert_eq!(
            err.to_string(),
            "An order that is cancelled cannot become paid."
        );
    }

    #[test]
    fn names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
            assert_eq!(OrderStatus::try_from(s.as_str().to_string()), Ok(s));
        }
        assert_eq!(
            OrderStatus::try_from("shipped".to_string()),
            Err(UnknownOrderStatus("shipped".into()))
        );
        assert_eq!(
            PaymentMethod::parse("order_page"),
            Some(PaymentMethod::OrderPage)
        );
        assert_eq!(PaymentMethod::parse("card"), None);
    }
}
