//! The form of a `set_variable` step: the name and the value it remembers.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{TextField, get, set};
use crate::flow::doc::{Node, NodeId};

pub(super) fn set_variable_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    view! {
        <TextField label="Remember as" name="name" value=get!(node, SetVariable, |s| s.name.clone()) on_change=set!(ed, id, "name", SetVariable, |s, v: String| s.name = v) hint="Letters, digits and “_”; use it later as {{name}}. To write to the shopper’s contact: contact.tag adds the value as a tag, contact.untag removes it, contact.email (any lowercase name) sets an attribute." />
        <TextField label="Value" name="value" vars=true value=get!(node, SetVariable, |s| s.value.clone()) on_change=set!(ed, id, "value", SetVariable, |s, v: String| s.value = v) />
    }
    .into_any()
}
