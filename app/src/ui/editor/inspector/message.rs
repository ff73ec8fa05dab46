//! The form of a `message` step: its text and an optional picture.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{TextField, get, set};
use crate::flow::doc::{Node, NodeId};

pub(super) fn message_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    view! {
        <TextField label="Message" name="text" multiline=true vars=true placeholder="What should the bot say?" value=get!(node, Message, |s| s.text.clone()) on_change=set!(ed, id, "text", Message, |s, v: String| s.text = v) />
        <TextField
            label="Picture address (optional)"
            name="image"
            placeholder="https://…"
            value=get!(node, Message, |s| s.image_url.clone().unwrap_or_default())
            on_change=set!(ed, id, "image", Message, |s, v: String| s.image_url = Some(v).filter(|v| !v.trim().is_empty()))
        />
    }
    .into_any()
}
