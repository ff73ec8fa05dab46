//! The shared pieces of every step's form: the `edit` helper, the `get!`
//! and `set!` macros that bind one setting, and the labelled text, number
//! and select fields. Nothing here knows about a particular step kind.

use leptos::prelude::*;

use super::super::Ed;
use crate::editor_core::edit::{Op, insert_variable, known_variables};
use crate::flow::doc::{NodeId, NodeKind};

/// Replaces a node's settings with `f` applied to them, as one edit of
/// `field` (edits of one field in a row undo together).
pub(super) fn edit(ed: Ed, id: &NodeId, field: &str, f: impl FnOnce(&mut NodeKind)) {
    let Some(mut kind) = ed
        .doc
        .with_untracked(|d| d.node(id).map(|n| n.kind.clone()))
    else {
        return;
    };
    f(&mut kind);
    ed.apply(
        Op::UpdateNode {
            id: id.clone(),
            kind,
        },
        Some(&format!("{id}:{field}")),
    );
}

/// A reactive read of one setting of the node.
macro_rules! get {
    ($node:expr, $variant:ident, |$s:ident| $e:expr) => {{
        let node = $node;
        ::leptos::prelude::Signal::derive(move || {
            node.with(|n| match n.as_ref().map(|n| &n.kind) {
                Some($crate::flow::doc::NodeKind::$variant($s)) => $e,
                _ => Default::default(),
            })
        })
    }};
}
pub(super) use get;

/// A callback writing one setting of the node.
macro_rules! set {
    ($ed:expr, $id:expr, $field:literal, $variant:ident, |$s:ident, $v:ident : $t:ty| $body:expr) => {{
        let id = $id.clone();
        let ed = $ed;
        ::leptos::prelude::Callback::new(move |$v: $t| {
            $crate::ui::editor::inspector::fields::edit(ed, &id, $field, |k| {
                if let $crate::flow::doc::NodeKind::$variant($s) = k {
                    $body;
                }
            })
        })
    }};
}
pub(super) use set;

/// A labelled text input or text area bound to a setting, with an
/// optional variable picker that inserts `{{name}}` at the caret.
#[component]
pub(super) fn TextField(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    value: Signal<String>,
    on_change: Callback<String>,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] vars: bool,
    #[prop(optional, into)] placeholder: String,
    #[prop(optional, into)] hint: String,
) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let id = format!("field-{name}");
    let area = NodeRef::<leptos::html::Textarea>::new();
    let line = NodeRef::<leptos::html::Input>::new();
    let insert = move |ev: leptos::ev::Event| insert_picked(&ev, value, on_change, area, line);
    let input_id = id.clone();
    let field = if multiline {
        view! {
            <textarea
                id=input_id
                rows="3"
                node_ref=area
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| on_change.run(event_target_value(&ev))
                on:blur=move |_| ed.seal()
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=input_id
                type="text"
                node_ref=line
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| on_change.run(event_target_value(&ev))
                on:blur=move |_| ed.seal()
            />
        }
        .into_any()
    };
    let picker = vars.then(|| {
        let options = move || {
            ed.doc
                .with(known_variables)
                .into_iter()
                .map(|v| view! { <option value=v.clone()>{v.clone()}</option> })
                .collect_view()
        };
        view! {
            <select class="var-picker" aria-label=format!("Insert a variable into “{label}”") on:change=insert>
                <option value="">"Insert a variable…"</option>
                {options}
            </select>
        }
    });
    view! {
        <div class="field">
            <div class="field-head">
                <label for=id.clone()>{label.clone()}</label>
                {picker}
            </div>
            {field}
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
        </div>
    }
}

/// Inserts the variable picked in `ev`'s select at the caret of the text
/// area or input, then resets the select to its prompt.
fn insert_picked(
    ev: &leptos::ev::Event,
    value: Signal<String>,
    on_change: Callback<String>,
    area: NodeRef<leptos::html::Textarea>,
    line: NodeRef<leptos::html::Input>,
) {
    let var = event_target_value(ev);
    if var.is_empty() {
        return;
    }
    let current = value.get_untracked();
    // The browser counts the caret in UTF-16 units.
    let caret = area
        .get_untracked()
        .and_then(|el| el.selection_start().ok().flatten())
        .or_else(|| {
            line.get_untracked()
                .and_then(|el| el.selection_start().ok().flatten())
        })
        .map(|c| c as usize);
    let next = insert_variable(&current, caret, &var);
    on_change.run(next);
    if let Ok(select) =
        wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(event_target::<
            web_sys::EventTarget,
        >(ev))
    {
        select.set_value("");
    }
}

/// A labelled number input bound to a setting.
#[component]
pub(super) fn NumberField(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    min: u32,
    max: u32,
    value: Signal<u32>,
    on_change: Callback<u32>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="number"
                min=min
                max=max
                prop:value=move || value.get().to_string()
                on:input=move |ev| {
                    if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                        on_change.run(n);
                    }
                }
            />
        </div>
    }
}

/// A labelled select bound to a setting.
#[component]
pub(super) fn Choice(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    options: Vec<(&'static str, &'static str)>,
    value: Signal<String>,
    on_change: Callback<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id on:change=move |ev| on_change.run(event_target_value(&ev))>
                {options
                    .into_iter()
                    .map(|(v, l)| view! { <option value=v selected=move || value.get() == v>{l}</option> })
                    .collect_view()}
            </select>
        </div>
    }
}
