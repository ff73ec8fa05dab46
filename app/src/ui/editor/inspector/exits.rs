//! The "What happens next" part of a step's form: where each exit leads.

use leptos::prelude::*;

use super::super::Ed;
use crate::editor_core::edit::Op;
use crate::flow::doc::NodeId;

/// Where each of the node's exits leads, as selects: the keyboard way to
/// connect steps. The steps to choose from are the editor's shared list,
/// and each select's options are keyed, so an edit in a 500-step flow
/// replaces one option, not every option of every select.
#[component]
pub(super) fn Exits(id: NodeId) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let ports = Memo::new({
        let id = id.clone();
        move |_| {
            ed.shown_node(&id, |n| {
                n.kind
                    .ports()
                    .into_iter()
                    .map(|p| (p.name, p.label))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
        }
    });
    let targets = Memo::new({
        let id = id.clone();
        move |_| {
            ed.shown.with(|d| {
                d.edges
                    .iter()
                    .filter(|e| e.from == id)
                    .map(|e| (e.port.clone(), e.to.clone()))
                    .collect::<std::collections::HashMap<_, _>>()
            })
        }
    });
    let row = move |(name, label): (String, String)| {
        let to = {
            let name = name.clone();
            Memo::new(move |_| targets.with(|m| m.get(&name).cloned()))
        };
        let from = id.clone();
        let port = name.clone();
        let select_id = format!("exit-{name}");
        view! {
            <div class="field">
                <label for=select_id.clone()>"After “" {label} "”"</label>
                <select
                    id=select_id
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let op = if v.is_empty() {
                            Op::Disconnect { from: from.clone(), port: port.clone() }
                        } else {
                            Op::Connect { from: from.clone(), port: port.clone(), to: NodeId(v) }
                        };
                        ed.apply(op, None);
                    }
                >
                    <option value="" prop:selected=move || to.with(Option::is_none)>"Nothing: the chat ends"</option>
                    <For
                        each=move || ed.step_names.get()
                        key=|t| t.clone()
                        children=move |(tid, tname)| {
                            let value = tid.0.clone();
                            view! { <option value=value prop:selected=move || to.with(|t| t.as_ref() == Some(&tid))>{tname}</option> }
                        }
                    />
                </select>
            </div>
        }
    };
    view! {
        <Show
            when=move || ports.with(|p| !p.is_empty())
            fallback=|| view! { <p class="hint">"The conversation ends after this step."</p> }
        >
            <fieldset class="exits-form">
                <legend>"What happens next"</legend>
                <For each=move || ports.get() key=|p| p.clone() children=row.clone() />
            </fieldset>
        </Show>
    }
}
