//! The form of a `show_cart` step: what it says with and without items.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{TextField, get, set};
use crate::flow::doc::{Node, NodeId};

pub(super) fn show_cart_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    view! {
        <TextField label="Said above the cart" name="text" multiline=true vars=true value=get!(node, ShowCart, |s| s.text.clone()) on_change=set!(ed, id, "text", ShowCart, |s, v: String| s.text = v) />
        <TextField label="Said when the cart is empty" name="empty" value=get!(node, ShowCart, |s| s.empty_text.clone()) on_change=set!(ed, id, "empty", ShowCart, |s, v: String| s.empty_text = v) />
    }
    .into_any()
}
