//! The form of a `handoff` step: what the shopper is told before a person takes over.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{TextField, get, set};
use crate::flow::doc::{Node, NodeId};

pub(super) fn handoff_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    view! {
        <TextField label="Said to the shopper" name="text" multiline=true vars=true value=get!(node, Handoff, |s| s.text.clone()) on_change=set!(ed, id, "text", Handoff, |s, v: String| s.text = v) hint="The bot then stays quiet until your team hands the conversation back." />
    }
    .into_any()
}
