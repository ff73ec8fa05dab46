//! The form of an `http_request` step: method, address, body and where the
//! reply is remembered.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{Choice, TextField, get, set};
use crate::flow::doc::{HttpMethod, Node, NodeId};

pub(super) fn http_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let method = get!(node, HttpRequest, |s| match s.method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
    }
    .to_string());
    let body = get!(node, HttpRequest, |s| s.body.clone().unwrap_or_default());
    let set_body = set!(ed, id, "body", HttpRequest, |s, v: String| s.body =
        Some(v).filter(|v| !v.trim().is_empty()));
    view! {
        <Choice
            label="Method"
            name="method"
            options=vec![("GET", "Fetch (GET)"), ("POST", "Send (POST)")]
            value=method
            on_change=set!(ed, id, "method", HttpRequest, |s, v: String| s.method = if v == "POST" { HttpMethod::Post } else { HttpMethod::Get })
        />
        <TextField label="Address" name="url" vars=true placeholder="https://api.example.com/…" value=get!(node, HttpRequest, |s| s.url.clone()) on_change=set!(ed, id, "url", HttpRequest, |s, v: String| s.url = v) hint="Must start with https://." />
        <Show when=move || method.get() == "POST">
            <TextField label="JSON to send" name="body" multiline=true vars=true value=body on_change=set_body />
        </Show>
        <TextField label="Remember the reply as (optional)" name="save_as" value=get!(node, HttpRequest, |s| s.save_as.clone().unwrap_or_default()) on_change=set!(ed, id, "save_as", HttpRequest, |s, v: String| s.save_as = Some(v).filter(|v| !v.trim().is_empty())) />
    }
    .into_any()
}
