//! The form of an `ask` step: the question, the expected kind of answer,
//! where it is remembered and how often the shopper may retry.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{Choice, NumberField, TextField, get, set};
use crate::flow::doc::{AskKind, Node, NodeId};

pub(super) fn ask_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let kind = get!(node, Ask, |s| match s.kind {
        AskKind::Text => "text",
        AskKind::Email => "email",
        AskKind::Phone => "phone",
        AskKind::Number => "number",
        AskKind::Address => "address",
    }
    .to_string());
    view! {
        <TextField label="Question" name="text" multiline=true vars=true placeholder="What is your email address?" value=get!(node, Ask, |s| s.text.clone()) on_change=set!(ed, id, "text", Ask, |s, v: String| s.text = v) />
        <Choice
            label="Expected answer"
            name="kind"
            options=vec![("text", "Any text"), ("email", "An email address"), ("phone", "A phone number"), ("number", "A number"), ("address", "A postal address")]
            value=kind
            on_change=set!(ed, id, "kind", Ask, |s, v: String| s.kind = match v.as_str() {
                "email" => AskKind::Email,
                "phone" => AskKind::Phone,
                "number" => AskKind::Number,
                "address" => AskKind::Address,
                _ => AskKind::Text,
            })
        />
        <TextField label="Remember the answer as" name="save_as" value=get!(node, Ask, |s| s.save_as.clone()) on_change=set!(ed, id, "save_as", Ask, |s, v: String| s.save_as = v) hint="Use it later in messages as {{name}}." />
        <TextField label="Said when the answer is not valid (optional)" name="reprompt" value=get!(node, Ask, |s| s.reprompt.clone().unwrap_or_default()) on_change=set!(ed, id, "reprompt", Ask, |s, v: String| s.reprompt = Some(v).filter(|v| !v.trim().is_empty())) />
        <NumberField
            label="Tries before giving up"
            name="attempts"
            min=1
            max=10
            value=get!(node, Ask, |s| s.max_attempts)
            on_change=set!(ed, id, "attempts", Ask, |s, n: u32| s.max_attempts = n)
        />
    }
    .into_any()
}
