//! The flow's own settings, shown when nothing is selected: where
//! conversations start and the shortcut keywords.

use leptos::prelude::*;

use super::super::Ed;
use crate::editor_core::edit::Op;
use crate::flow::doc::{NodeId, Trigger};
use crate::flow::validate::describe;

/// The start step and the keywords, shown when nothing is selected.
#[component]
pub(super) fn FlowSettings() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let choices = Memo::new(move |_| {
        ed.shown.with(|d| {
            d.nodes
                .iter()
                .map(|n| (n.id.clone(), describe(n)))
                .collect::<Vec<_>>()
        })
    });
    let start = Memo::new(move |_| ed.shown.with(|d| d.start.clone()));
    let triggers = Memo::new(move |_| ed.shown.with(|d| d.triggers.clone()));
    let add = move |_| {
        let to = ed.doc.with_untracked(|d| {
            d.start
                .clone()
                .or_else(|| d.nodes.first().map(|n| n.id.clone()))
        });
        if let Some(to) = to {
            let mut t = triggers.get_untracked();
            t.push(Trigger {
                keywords: vec!["menu".into()],
                to,
            });
            set_triggers(ed, t, "triggers:add");
            ed.seal();
        }
    };
    let rows = move || {
        triggers
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, t)| trigger_row(ed, triggers, choices, i, t))
            .collect_view()
    };
    view! {
        <section class="inspector" aria-labelledby="flow-settings-title">
            <h2 id="flow-settings-title">"Flow settings"</h2>
            <p class="muted">
                "Select a step on the canvas to change what it says and where it leads. "
                "Here you choose where conversations begin and the words that work at any time."
            </p>
            <fieldset class="bare" disabled=move || !ed.editable()>
                {start_field(ed, start, choices)}
                <h3>"Shortcuts"</h3>
                <p class="hint">
                    "When a shopper types one of these words, the conversation jumps to the chosen step, "
                    "wherever it was. Separate several words with commas."
                </p>
                <ul class="triggers">{rows}</ul>
                <button type="button" class="small" on:click=add>"Add a shortcut"</button>
            </fieldset>
        </section>
    }
}

/// Replaces the shortcuts, as one edit of `key`.
fn set_triggers(ed: Ed, triggers: Vec<Trigger>, key: &str) {
    ed.apply(Op::SetTriggers { triggers }, Some(key));
}

/// The select of the step conversations start at.
fn start_field(
    ed: Ed,
    start: Memo<Option<NodeId>>,
    choices: Memo<Vec<(NodeId, String)>>,
) -> impl IntoView {
    view! {
    <div class="field">
        <label for="field-start">"Conversations start at"</label>
        <select
            id="field-start"
            on:change=move |ev| {
                let v = event_target_value(&ev);
                if !v.is_empty() {
                    ed.apply(Op::SetStart { id: NodeId(v) }, None);
                }
            }
        >
            <option value="" selected=move || start.get().is_none()>"Choose a step…"</option>
            {move || {
                let s = start.get();
                choices
                    .get()
                    .into_iter()
                    .map(|(id, name)| {
                        let sel = s.as_ref() == Some(&id);
                        view! { <option value=id.0 selected=sel>{name}</option> }
                    })
                    .collect_view()
            }}
        </select>
    </div>
    }
}

/// Shortcut `i`: its words, where it leads, and removing it.
fn trigger_row(
    ed: Ed,
    triggers: Memo<Vec<Trigger>>,
    choices: Memo<Vec<(NodeId, String)>>,
    i: usize,
    t: Trigger,
) -> impl IntoView {
    let words = t.keywords.join(", ");
    let to = t.to.clone();
    view! {
        <li class="trigger-row">
            <input
                type="text"
                aria-label=format!("Keywords of shortcut {}", i + 1)
                value=words
                on:change=move |ev| {
                    let mut all = triggers.get_untracked();
                    if let Some(t) = all.get_mut(i) {
                        t.keywords = event_target_value(&ev)
                            .split(',')
                            .map(|w| w.trim().to_string())
                            .filter(|w| !w.is_empty())
                            .collect();
                    }
                    set_triggers(ed, all, &format!("trigger:{i}:words"));
                    ed.seal();
                }
            />
            <span>"→"</span>
            <select
                aria-label=format!("Where shortcut {} leads", i + 1)
                on:change=move |ev| {
                    let mut all = triggers.get_untracked();
                    if let Some(t) = all.get_mut(i) {
                        t.to = NodeId(event_target_value(&ev));
                    }
                    set_triggers(ed, all, &format!("trigger:{i}:to"));
                    ed.seal();
                }
            >
                {choices
                    .get()
                    .into_iter()
                    .map(|(id, name)| {
                        let sel = id == to;
                        view! { <option value=id.0 selected=sel>{name}</option> }
                    })
                    .collect_view()}
            </select>
            <button
                type="button"
                class="small"
                aria-label=format!("Remove shortcut {}", i + 1)
                on:click=move |_| {
                    let mut all = triggers.get_untracked();
                    if i < all.len() {
                        all.remove(i);
                    }
                    set_triggers(ed, all, "triggers:remove");
                    ed.seal();
                }
            >
                "Remove"
            </button>
        </li>
    }
}
