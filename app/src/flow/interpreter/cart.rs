//! Cart: the show-cart step, its buttons, the cart summary other steps
//! print, and WhatsApp carts sent from the catalog.

use super::{Next, OrderedItem, Run, Status};
use crate::channel::{Choice, Outbound};
use crate::flow::doc::{NodeId, ShowCartSettings};
use crate::flow::payload::{CartAction, Payload};
use crate::flow::text::normalize;

impl Run<'_> {
    pub(super) fn cart_summary(&self) -> String {
        let mut text = String::new();
        for l in &self.s.cart.lines {
            let amount = l
                .unit_price
                .checked_mul(l.qty)
                .map(|m| m.to_string())
                .unwrap_or_default();
            text.push_str(&format!("\n{} × {} — {}", l.qty, l.name, amount));
        }
        if let Some(total) = self.cart_total() {
            text.push_str(&format!("\nTotal: {total}"));
        }
        text
    }

    pub(super) fn enter_cart(&mut self, id: &NodeId, s: &ShowCartSettings) -> Next {
        for note in self.s.cart.refresh(self.ctx.catalog) {
            self.say(note);
        }
        if self.s.cart.is_empty() {
            let text = if s.empty_text.trim().is_empty() {
                "Your cart is empty.".to_string()
            } else {
                self.fill(&s.empty_text)
            };
            self.say(text);
            return if self.flow.target(id, "empty").is_some() {
                Next::Port("empty")
            } else {
                Next::Port("continue")
            };
        }
        self.cart_choices(id, s);
        Next::Wait
    }

    pub(super) fn cart_choices(&mut self, id: &NodeId, s: &ShowCartSettings) {
        let head = if s.text.trim().is_empty() {
            "Your cart:".to_string()
        } else {
            self.fill(&s.text)
        };
        let choice = |label: &str, action| Choice {
            label: label.into(),
            payload: Payload::Cart {
                node: id.clone(),
                action,
            }
            .encode(),
        };
        self.send(Outbound::Choices {
            text: format!("{head}{}", self.cart_summary()),
            choices: vec![
                choice("Checkout", CartAction::Checkout),
                choice("Keep shopping", CartAction::Continue),
                choice("Empty cart", CartAction::Clear),
            ],
        });
    }

    pub(super) fn on_cart_order(&mut self, items: Vec<OrderedItem>) {
        // The shopper's WhatsApp cart replaces ours, re-priced from our catalog.
        self.s.cart.clear();
        for item in items.iter().take(crate::commerce::cart::MAX_LINES) {
            if let Err(e) = self
                .s
                .cart
                .add(self.ctx.catalog, &item.sku, item.qty.min(99))
            {
                self.say(e.to_string());
            }
        }
        match self.flow.first_checkout.clone() {
            Some(checkout) => self.goto(checkout),
            None => {
                self.say(format!("Thanks! Your cart:{}", self.cart_summary()));
                self.reprompt_current();
            }
        }
    }

    /// Typed text at a shown cart: checkout, keep shopping, or ask again.
    pub(super) fn cart_text(&mut self, id: &NodeId, s: &ShowCartSettings, text: &str) {
        let n = normalize(text);
        if ["checkout", "check out", "pay", "order", "buy"].contains(&n.as_str()) {
            self.proceed(Next::Port("checkout"));
        } else if ["continue", "keep shopping", "shop", "back", "more"].contains(&n.as_str()) {
            self.proceed(Next::Port("continue"));
        } else {
            self.say("Please choose one of the options below.");
            self.cart_choices(id, s);
        }
    }

    /// A button under a shown cart, from this message or an earlier one.
    pub(super) fn cart_tap(&mut self, id: &NodeId, action: CartAction) {
        self.s.node = Some(id.clone());
        self.s.status = Status::Waiting;
        match action {
            CartAction::Checkout => self.proceed(Next::Port("checkout")),
            CartAction::Continue => self.proceed(Next::Port("continue")),
            CartAction::Clear => {
                self.s.cart.clear();
                self.say("Your cart is empty now.");
                let next = if self.flow.target(id, "empty").is_some() {
                    "empty"
                } else {
                    "continue"
                };
                self.proceed(Next::Port(next));
            }
        }
    }
}
