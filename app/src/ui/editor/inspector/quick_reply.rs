//! The form of a `quick_reply` step: its question and its list of buttons,
//! which can be renamed, reordered, added and removed.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{TextField, edit, get, set};
use crate::editor_core::edit::fresh_port_id;
use crate::flow::doc::{ChoiceOption, Node, NodeId, NodeKind};

pub(super) fn quick_reply_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let ids = Memo::new(move |_| {
        node.with(|n| match n.as_ref().map(|n| &n.kind) {
            Some(NodeKind::QuickReply(s)) => s.options.iter().map(|o| o.id.clone()).collect(),
            _ => Vec::<String>::new(),
        })
    });
    let nid = id.clone();
    let row = move |oid: String| option_row(ed, node, ids, nid.clone(), oid);
    let add_id = id.clone();
    let add = move |_| {
        options(
            ed,
            &|o: &mut Vec<ChoiceOption>| {
                let id = fresh_port_id("o", o.iter().map(|x| x.id.as_str()));
                o.push(ChoiceOption {
                    id,
                    label: format!("Option {}", o.len() + 1),
                });
            },
            "options:add",
            &add_id,
        );
        ed.seal();
    };
    view! {
        <TextField label="Question" name="text" multiline=true vars=true placeholder="What would you like to do?" value=get!(node, QuickReply, |s| s.text.clone()) on_change=set!(ed, id, "text", QuickReply, |s, v: String| s.text = v) />
        <div class="field">
            <span class="label">"Buttons"</span>
            <ol class="options">
                <For each=move || ids.get() key=|o| o.clone() let:oid>
                    {row(oid)}
                </For>
            </ol>
            <button type="button" class="small" on:click=add>"Add a button"</button>
        </div>
        <TextField label="Remember the answer as (optional)" name="save_as" placeholder="e.g. choice" value=get!(node, QuickReply, |s| s.save_as.clone().unwrap_or_default()) on_change=set!(ed, id, "save_as", QuickReply, |s, v: String| s.save_as = Some(v).filter(|v| !v.trim().is_empty())) />
        <TextField label="Said when the answer matches no button (optional)" name="reprompt" value=get!(node, QuickReply, |s| s.reprompt.clone().unwrap_or_default()) on_change=set!(ed, id, "reprompt", QuickReply, |s, v: String| s.reprompt = Some(v).filter(|v| !v.trim().is_empty())) />
    }
    .into_any()
}

/// Changes the buttons of quick reply `id`, as one edit of `field`.
fn options(ed: Ed, f: &dyn Fn(&mut Vec<ChoiceOption>), field: &str, id: &NodeId) {
    edit(ed, id, field, |k| {
        if let NodeKind::QuickReply(s) = k {
            f(&mut s.options);
        }
    })
}

/// One button's row: its label, and moving and removing it.
fn option_row(
    ed: Ed,
    node: Memo<Option<Node>>,
    ids: Memo<Vec<String>>,
    nid: NodeId,
    oid: String,
) -> impl IntoView {
    let label = {
        let oid = oid.clone();
        move || {
            node.with(|n| match n.as_ref().map(|n| &n.kind) {
                Some(NodeKind::QuickReply(s)) => s
                    .options
                    .iter()
                    .find(|o| o.id == oid)
                    .map(|o| o.label.clone())
                    .unwrap_or_default(),
                _ => String::new(),
            })
        }
    };
    let position = {
        let oid = oid.clone();
        Memo::new(move |_| ids.with(|v| v.iter().position(|x| *x == oid).unwrap_or(0)))
    };
    let position = move || position.get();
    let (a, b, c, d) = (oid.clone(), oid.clone(), oid.clone(), oid.clone());
    let (n1, n2, n3, n4) = (nid.clone(), nid.clone(), nid.clone(), nid.clone());
    let name = label.clone();
    let name2 = label.clone();
    let name3 = label.clone();
    view! {
        <li class="option-row">
            <input
                type="text"
                aria-label=move || format!("Option {}", position() + 1)
                prop:value=label
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    options(ed, &|o: &mut Vec<ChoiceOption>| {
                        if let Some(x) = o.iter_mut().find(|x| x.id == a) {
                            x.label = v.clone();
                        }
                    }, &format!("option:{a}"), &n1)
                }
                on:blur=move |_| ed.seal()
            />
            <button type="button" class="icon" aria-label=move || format!("Move “{}” up", name()) disabled={move || position() == 0}
                on:click=move |_| options(ed, &|o: &mut Vec<ChoiceOption>| {
                    if let Some(i) = o.iter().position(|x| x.id == b) && i > 0 { o.swap(i, i - 1); }
                }, "options:order", &n2)>"↑"</button>
            <button type="button" class="icon" aria-label=move || format!("Move “{}” down", name2()) disabled={move || position() + 1 >= ids.with(Vec::len)}
                on:click=move |_| options(ed, &|o: &mut Vec<ChoiceOption>| {
                    if let Some(i) = o.iter().position(|x| x.id == c) && i + 1 < o.len() { o.swap(i, i + 1); }
                }, "options:order", &n3)>"↓"</button>
            <button type="button" class="icon" aria-label=move || format!("Remove “{}”", name3())
                on:click=move |_| { options(ed, &|o: &mut Vec<ChoiceOption>| o.retain(|x| x.id != d), "options:remove", &n4); ed.seal(); }>"✕"</button>
        </li>
    }
}
