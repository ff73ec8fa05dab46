//! The form of an `end` step: the goodbye.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{TextField, get, set};
use crate::flow::doc::{Node, NodeId};

pub(super) fn end_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    view! {
        <TextField label="Goodbye" name="text" multiline=true vars=true value=get!(node, End, |s| s.text.clone()) on_change=set!(ed, id, "text", End, |s, v: String| s.text = v) />
    }
    .into_any()
}
