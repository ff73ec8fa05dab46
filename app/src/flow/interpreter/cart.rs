//! Cart: the show-cart step, its buttons, the cart summary other steps
//! print, and WhatsApp carts sent from the catalog.

use std::fmt::Write as _;

use super::{Next, OrderedItem, Run, Status};
use crate::channel::{Choice, Outbound};
use crate::flow::doc::{NodeId, ShowCartSettings};
use crate::flow::payload::{self, CartAction};

impl Run<'_> {
    pub(super) fn cart_summary(&self) -> String {
        let mut text = String::new();
        self.cart_summary_into(&mut text);
        text
    }

    /// Appends the cart summary to `text`.
    pub(super) fn cart_summary_into(&self, text: &mut String) {
        for l in &self.s.cart.lines {
            let _ = write!(text, "\n{} × {} — ", l.qty, l.name);
            if let Ok(amount) = l.unit_price.checked_mul(l.qty) {
                let _ = write!(text, "{amount}");
            }
        }
        if let Some(total) = self.cart_total() {
            let _ = write!(text, "\nTotal: {total}");
        }
    }

    pub(super) fn enter_cart(&mut self, id: &NodeId, s: &ShowCartSettings) -> Next<'static> {
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
            return if self.flow.target_index(id, "empty").is_some() {
                Next::Port("empty")
            } else {
                Next::Port("continue")
            };
        }
        self.cart_choices(id, s);
        Next::Wait
    }

    pub(super) fn cart_choices(&mut self, id: &NodeId, s: &ShowCartSettings) {
        let mut text = if s.text.trim().is_empty() {
            "Your cart:".to_string()
        } else {
            self.fill(&s.text)
        };
        self.cart_summary_into(&mut text);
        let choice = |label: &str, action| Choice {
            label: label.into(),
            payload: payload::encode_cart(id, action),
        };
        self.send(Outbound::Choices {
            text,
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
        let flow = self.flow;
        match &flow.first_checkout {
            Some(checkout) => self.goto_id(checkout),
            None => {
                self.say(format!("Thanks! Your cart:{}", self.cart_summary()));
                self.reprompt_current();
            }
        }
    }

    /// Typed text at a shown cart: checkout, keep shopping, or ask again.
    /// `typed` is the text normalized.
    pub(super) fn cart_text(&mut self, id: &NodeId, s: &ShowCartSettings, typed: &str) {
        if ["checkout", "check out", "pay", "order", "buy"].contains(&typed) {
            self.proceed(Next::Port("checkout"));
        } else if ["continue", "keep shopping", "shop", "back", "more"].contains(&typed) {
            self.proceed(Next::Port("continue"));
        } else {
            self.say("Please choose one of the options below.");
            self.cart_choices(id, s);
        }
    }

    /// A button under a shown cart, from this message or an earlier one.
    pub(super) fn cart_tap(&mut self, id: &NodeId, action: CartAction) {
        self.set_node(id);
        self.s.status = Status::Waiting;
        match action {
            CartAction::Checkout => self.proceed(Next::Port("checkout")),
            CartAction::Continue => self.proceed(Next::Port("continue")),
            CartAction::Clear => {
                self.s.cart.clear();
                self.say("Your cart is empty now.");
                let next = if self.flow.target_index(id, "empty").is_some() {
                    "empty"
                } else {
                    "continue"
                };
                self.proceed(Next::Port(next));
            }
        }
    }
}
