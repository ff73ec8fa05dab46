//! The form of an `order_status` step: what it says with and without orders.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{TextField, get, set};
use crate::flow::doc::{Node, NodeId};

pub(super) fn order_status_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    view! {
        <TextField label="Said above the orders" name="text" multiline=true vars=true value=get!(node, OrderStatus, |s| s.text.clone()) on_change=set!(ed, id, "text", OrderStatus, |s, v: String| s.text = v) placeholder="Here are your latest orders:" />
        <TextField label="Said when there are no orders" name="none" value=get!(node, OrderStatus, |s| s.none_text.clone()) on_change=set!(ed, id, "none", OrderStatus, |s, v: String| s.none_text = v) placeholder="You have no orders with us yet." />
    }
    .into_any()
}
