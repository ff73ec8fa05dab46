//! Checkout: confirming the cart, choosing how to pay, placing the order
//! once per idempotency key, and payments that come back for it.

use super::{CheckoutStage, Effect, Next, Placed, Run, Status};
use crate::channel::{Choice, Outbound};
use crate::commerce::{NewOrder, PaymentMethod};
use crate::flow::doc::{CheckoutSettings, NodeId, PaymentOptions};
use crate::flow::payload::{self, CheckoutAction};

/// Placed orders remembered per session (to route payments and refuse a
/// second confirmation of the same cart).
const PLACED_KEPT: usize = 10;

impl Run<'_> {
    pub(super) fn enter_checkout(&mut self, id: &NodeId, s: &CheckoutSettings) -> Next<'static> {
        for note in self.s.cart.refresh(self.ctx.catalog) {
            self.say(note);
        }
        if self.s.cart.is_empty() {
            self.say("Your cart is empty.");
            return if self.flow.target_index(id, "empty_cart").is_some() {
                Next::Port("empty_cart")
            } else {
                self.end_here();
                Next::Stop
            };
        }
        self.confirm_prompt(id, s);
        Next::Wait
    }

    fn confirm_prompt(&mut self, id: &NodeId, s: &CheckoutSettings) {
        let cart = self.s.cart.fingerprint();
        let mut text = if s.text.trim().is_empty() {
            "Please check your order:".to_string()
        } else {
            self.fill(&s.text)
        };
        self.cart_summary_into(&mut text);
        let button = |label: &str, action| Choice {
            label: label.into(),
            payload: payload::encode_checkout(id, &cart, action),
        };
        self.send(Outbound::Choices {
            text,
            choices: vec![
                button("Confirm order", CheckoutAction::Confirm),
                button("Cancel", CheckoutAction::Cancel),
            ],
        });
        self.s.checkout = Some(CheckoutStage::Confirm { cart });
    }

    fn payment_prompt(&mut self, id: &NodeId, cart: String) {
        let button = |label: &str, action| Choice {
            label: label.into(),
            payload: payload::encode_checkout(id, &cart, action),
        };
        self.send(Outbound::Choices {
            text: "How would you like to pay?".into(),
            choices: vec![
                button("Cash on delivery", CheckoutAction::PayCash),
                button("Pay online", CheckoutAction::PayOnline),
            ],
        });
        self.s.checkout = Some(CheckoutStage::Payment { cart });
    }

    /// `typed` is the text normalized.
    pub(super) fn checkout_text(&mut self, id: &NodeId, s: &CheckoutSettings, typed: &str) {
        let action = match (&self.s.checkout, typed) {
            (
                Some(CheckoutStage::Confirm { .. }),
                "yes" | "y" | "ok" | "confirm" | "confirm order" | "1",
            ) => Some(CheckoutAction::Confirm),
            (Some(CheckoutStage::Confirm { .. }), "no" | "n" | "cancel" | "2") => {
                Some(CheckoutAction::Cancel)
            }
            (Some(CheckoutStage::Payment { .. }), "cash" | "cash on delivery" | "1") => {
                Some(CheckoutAction::PayCash)
            }
            (Some(CheckoutStage::Payment { .. }), "online" | "pay online" | "card" | "2") => {
                Some(CheckoutAction::PayOnline)
            }
            (Some(CheckoutStage::Payment { .. }), "cancel" | "no") => Some(CheckoutAction::Cancel),
            _ => None,
        };
        match action {
            Some(a) => {
                // Typed, the answer is about the cart as it is now.
                let cart = self.s.cart.fingerprint();
                self.checkout_act(id, s, &cart, &cart, a)
            }
            None => match self.s.checkout.clone() {
                Some(CheckoutStage::Payment { cart }) => self.payment_prompt(id, cart),
                _ => {
                    if self.s.cart.is_empty() {
                        self.enter_checkout(id, s);
                    } else {
                        self.confirm_prompt(id, s);
                    }
                }
            },
        }
    }

    pub(super) fn checkout_tap(
        &mut self,
        id: &NodeId,
        s: &CheckoutSettings,
        cart: &str,
        action: CheckoutAction,
    ) {
        let current = self.s.cart.fingerprint();
        self.checkout_act(id, s, cart, &current, action);
    }

    /// Acts on a checkout answer about the cart with fingerprint `cart`;
    /// `current` is the fingerprint of the cart as it is now.
    fn checkout_act(
        &mut self,
        id: &NodeId,
        s: &CheckoutSettings,
        cart: &str,
        current: &str,
        action: CheckoutAction,
    ) {
        // The same cart confirmed again (a double tap, a retried webhook with
        // a new id): the order exists already.
        let already_placed = self
            .s
            .placed
            .iter()
            .any(|p| p.cart == cart && p.node == *id);
        if already_placed && action != CheckoutAction::Cancel && current != cart {
            self.say("This order is already placed. Thank you!");
            return;
        }
        let here = self.s.node.as_ref() == Some(id) && self.s.status == Status::Waiting;
        if action == CheckoutAction::Cancel {
            if !here {
                self.reprompt_current();
                return;
            }
            self.say("No problem, your order was not placed. Your cart is saved.");
            if self.flow.target_index(id, "cancelled").is_some() {
                self.proceed(Next::Port("cancelled"));
            } else {
                self.end_here();
            }
            return;
        }
        if !here || self.s.checkout.is_none() {
            // A confirmation from an old message: show the order as it is now.
            if self.s.node.as_ref() != Some(id) {
                self.goto_id(id);
            } else {
                self.say("That button is from an earlier message.");
                self.reprompt_current();
            }
            return;
        }
        if current != cart {
            self.say("Your cart has changed since then. Here is your order as it is now:");
            self.confirm_prompt(id, s);
            return;
        }
        if self.refuse_payment(s, action) {
            return;
        }
        let method = match (action, s.payment) {
            (CheckoutAction::PayCash, _) => PaymentMethod::CashOnDelivery,
            (CheckoutAction::PayOnline, _) => PaymentMethod::OrderPage,
            (_, PaymentOptions::CashOnDelivery) => PaymentMethod::CashOnDelivery,
            (_, PaymentOptions::OrderPage) => PaymentMethod::OrderPage,
            (_, PaymentOptions::Both) => {
                self.payment_prompt(id, cart.to_string());
                return;
            }
        };
        self.place(id, s, method, cart);
    }

    /// A payment choice counts only when the shopper is being asked how to
    /// pay, and only for a way this checkout offers: a stale or forged
    /// "cash" must not skip the confirmation or override the merchant. When
    /// it does not count, says why, asks again and returns `true`.
    fn refuse_payment(&mut self, s: &CheckoutSettings, action: CheckoutAction) -> bool {
        let offered = match action {
            CheckoutAction::PayCash => s.payment != PaymentOptions::OrderPage,
            CheckoutAction::PayOnline => s.payment != PaymentOptions::CashOnDelivery,
            CheckoutAction::Confirm | CheckoutAction::Cancel => true,
        };
        let asked = match action {
            CheckoutAction::PayCash | CheckoutAction::PayOnline => {
                matches!(self.s.checkout, Some(CheckoutStage::Payment { .. }))
            }
            CheckoutAction::Confirm | CheckoutAction::Cancel => true,
        };
        if !offered {
            self.say(match action {
                CheckoutAction::PayCash => "Sorry, cash on delivery is not available here.",
                _ => "Sorry, paying online is not available here.",
            });
            self.reprompt_current();
            return true;
        }
        if !asked {
            self.say("Please confirm your order first.");
            self.reprompt_current();
            return true;
        }
        false
    }

    /// Places the order for the cart, whose fingerprint is `cart`.
    fn place(&mut self, id: &NodeId, s: &CheckoutSettings, method: PaymentMethod, cart: &str) {
        let total = match self.s.cart.total() {
            Ok(Some(t)) => t,
            Ok(None) => {
                self.say("Your cart is empty.");
                return;
            }
            Err(_) => {
                self.say("Sorry, this order is too large to place here. Please contact us.");
                return;
            }
        };
        let key = format!("{}:{}", self.ctx.conversation, self.ctx.event_id);
        if self.s.placed.iter().any(|p| p.key == key) {
            // This very event placed an order already and is being handled
            // again on a later state: one key, one order.
            self.say("This order is already placed. Thank you!");
            return;
        }
        let cart = cart.to_string();
        self.effects.push(Effect::PlaceOrder {
            order: NewOrder {
                key: key.clone(),
                // The cart is emptied below: its lines move to the order.
                lines: std::mem::take(&mut self.s.cart.lines),
                total,
                payment: method,
                details: self.s.vars.clone(),
            },
        });
        self.s.placed.push(Placed {
            key,
            node: id.clone(),
            cart,
        });
        if self.s.placed.len() > PLACED_KEPT {
            self.s.placed.remove(0);
        }
        self.s.cart.clear();
        self.s.checkout = None;
        let confirmation = if s.confirmation.trim().is_empty() {
            match method {
                PaymentMethod::CashOnDelivery => "Thank you! Your order {{order.number}} is placed. Please have {{order.total}} ready when it arrives.".to_string(),
                PaymentMethod::OrderPage => "Thank you! Your order {{order.number}} is placed. The total is {{order.total}}.".to_string(),
            }
        } else {
            self.fill(&s.confirmation)
        };
        self.say(confirmation);
        if method == PaymentMethod::OrderPage {
            self.send(Outbound::Link {
                text: "See your order and pay online:".into(),
                label: "Open order".into(),
                url: "{{order.url}}".into(),
            });
        }
        self.proceed(Next::Port("placed"));
    }

    pub(super) fn on_paid(&mut self, key: &str) {
        let Some(placed) = self.s.placed.iter().find(|p| p.key == key).cloned() else {
            return;
        };
        if self.flow.target_index(&placed.node, "paid").is_some() {
            self.s.node = Some(placed.node.clone());
            self.follow(&placed.node, "paid");
        } else {
            self.say("We received your payment. Thank you!");
        }
    }
}
