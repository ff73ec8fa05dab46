//! The form of a `checkout` step: its texts and how shoppers pay.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{Choice, TextField, get, set};
use crate::flow::doc::{Node, NodeId, PaymentOptions};

pub(super) fn checkout_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let payment = get!(node, Checkout, |s| match s.payment {
        PaymentOptions::CashOnDelivery => "cash",
        PaymentOptions::OrderPage => "online",
        PaymentOptions::Both => "both",
    }
    .to_string());
    view! {
        <TextField label="Said above the order summary" name="text" multiline=true vars=true value=get!(node, Checkout, |s| s.text.clone()) on_change=set!(ed, id, "text", Checkout, |s, v: String| s.text = v) />
        <Choice
            label="How shoppers pay"
            name="payment"
            options=vec![("cash", "Cash on delivery"), ("online", "Online, on the order page"), ("both", "Let the shopper choose")]
            value=payment
            on_change=set!(ed, id, "payment", Checkout, |s, v: String| s.payment = match v.as_str() {
                "online" => PaymentOptions::OrderPage,
                "both" => PaymentOptions::Both,
                _ => PaymentOptions::CashOnDelivery,
            })
        />
        <TextField
            label="Said when the order is placed"
            name="confirmation"
            multiline=true
            vars=true
            value=get!(node, Checkout, |s| s.confirmation.clone())
            on_change=set!(ed, id, "confirmation", Checkout, |s, v: String| s.confirmation = v)
            hint="{{order.number}}, {{order.total}} and {{order.url}} are filled in with the order's number, what it costs and its page."
        />
    }
    .into_any()
}
