//! The inspector: a form for the selected step, where its exits lead, its
//! problems, and how Messenger, WhatsApp and the web widget will show it.
//! With nothing selected it edits the flow's start and keywords.
//!
//! Inputs are bound to the document and never rebuilt while typing, so the
//! caret stays put; each keystroke is an edit, and a run of keystrokes in
//! one field is one undo step.

//!
//! `fields` holds the widgets every form shares; each step kind has its own
//! file with its form, and this module picks the form for the selection.

mod ask;
mod checkout;
mod condition;
mod end;
mod exits;
mod fields;
mod flow_settings;
mod handoff;
mod http;
mod message;
mod order_status;
mod preview;
mod problems;
mod product_carousel;
mod quick_reply;
mod set_variable;
mod show_cart;

use leptos::prelude::*;

use self::exits::Exits;
use self::flow_settings::FlowSettings;
use self::preview::ChannelPreview;
use self::problems::NodeProblems;
use super::{Ed, Selection};
use crate::editor_core::edit::Op;
use crate::flow::doc::{NodeId, NodeKind};
use crate::flow::validate::describe;

/// The side panel's "Step" tab.
#[component]
pub(crate) fn Inspector() -> impl IntoView {
    let ed = expect_context::<Ed>();
    // Keyed on the step's type as well as its id: undo, an import or
    // "Load their version" can bring the same id back as another type,
    // which needs another form.
    let single = Memo::new(move |_| {
        let id = ed
            .selected
            .with(|s| (s.nodes.len() == 1).then(|| s.nodes[0].clone()))?;
        let ty = ed.shown_node(&id, |n| n.kind.type_name());
        Some((id, ty))
    });
    move || match single.get() {
        Some((id, Some(_))) => view! { <NodeInspector id=id /> }.into_any(),
        // Selected, but gone from what is shown (a version being viewed).
        Some((_, None)) => ().into_any(),
        None => view! { <OtherInspector /> }.into_any(),
    }
}

/// Several nodes, an edge, or nothing selected.
#[component]
fn OtherInspector() -> impl IntoView {
    let ed = expect_context::<Ed>();
    move || {
        let s = ed.selected.get();
        if let Some((from, port)) = s.edge {
            let text = ed.shown.with(|d| {
                let edge = d.edges.iter().find(|e| e.from == from && e.port == port);
                let from_node = d.node(&from);
                let port_label = from_node
                    .and_then(|n| n.kind.ports().into_iter().find(|p| p.name == port))
                    .map(|p| p.label)
                    .unwrap_or_default();
                match (from_node, edge.and_then(|e| d.node(&e.to))) {
                    (Some(a), Some(b)) => {
                        format!(
                            "“{port_label}” of {} leads to {}.",
                            describe(a),
                            describe(b)
                        )
                    }
                    _ => String::new(),
                }
            });
            return view! {
                <section class="inspector">
                    <h2>"Connection"</h2>
                    <p>{text}</p>
                    <button type="button" class="danger" disabled=move || !ed.editable() on:click=move |_| ed.delete_selection()>
                        "Remove this connection"
                    </button>
                </section>
            }
            .into_any();
        }
        if s.nodes.len() > 1 {
            let n = s.nodes.len();
            return view! {
                <section class="inspector">
                    <h2>{n} " steps selected"</h2>
                    <p class="muted">"Drag one of them to move them together, or delete them all."</p>
                    <button type="button" class="danger" disabled=move || !ed.editable() on:click=move |_| ed.delete_selection()>
                        "Delete " {n} " steps"
                    </button>
                </section>
            }
            .into_any();
        }
        view! { <FlowSettings /> }.into_any()
    }
}

/// The form for one step.
#[component]
fn NodeInspector(id: NodeId) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let node = {
        let id = id.clone();
        Memo::new(move |_| ed.shown.with(|d| d.node(&id).cloned()))
    };
    let Some(first) = node.get_untracked() else {
        return ().into_any();
    };
    let form = match &first.kind {
        NodeKind::Message(_) => message::message_form(ed, &id, node),
        NodeKind::QuickReply(_) => quick_reply::quick_reply_form(ed, &id, node),
        NodeKind::ProductCarousel(_) => product_carousel::carousel_form(ed, &id, node),
        NodeKind::Checkout(_) => checkout::checkout_form(ed, &id, node),
        NodeKind::Ask(_) => ask::ask_form(ed, &id, node),
        NodeKind::Condition(_) => condition::condition_form(ed, &id, node),
        NodeKind::SetVariable(_) => set_variable::set_variable_form(ed, &id, node),
        NodeKind::ShowCart(_) => show_cart::show_cart_form(ed, &id, node),
        NodeKind::OrderStatus(_) => order_status::order_status_form(ed, &id, node),
        NodeKind::Handoff(_) => handoff::handoff_form(ed, &id, node),
        NodeKind::HttpRequest(_) => http::http_form(ed, &id, node),
        NodeKind::End(_) => end::end_form(ed, &id, node),
    };
    let label = first.kind.label();
    let is_start = {
        let id = id.clone();
        Memo::new(move |_| ed.shown.with(|d| d.start.as_ref() == Some(&id)))
    };
    let make_start = {
        let id = id.clone();
        move |_| {
            ed.apply(Op::SetStart { id: id.clone() }, None);
        }
    };
    let delete = {
        let id = id.clone();
        move |_| {
            ed.selected.set(Selection {
                nodes: vec![id.clone()],
                edge: None,
            });
            ed.delete_selection();
        }
    };
    view! {
        <section class="inspector" aria-label="Selected step" data-testid="inspector">
            <header class="inspector-head">
                <h2 id="inspector-title">{label}</h2>
                <code class="muted" title="The step's id">{id.0.clone()}</code>
            </header>
            <fieldset class="bare" disabled=move || !ed.editable()>
                {form}
                <Exits id=id.clone() />
                <div class="row-actions">
                    <Show when=move || !is_start.get()>
                        <button type="button" class="small" on:click=make_start.clone()>"Start conversations here"</button>
                    </Show>
                    <button type="button" class="small danger" on:click=delete>"Delete this step"</button>
                </div>
            </fieldset>
            <NodeProblems id=id.clone() />
            <ChannelPreview id=id node=node />
        </section>
    }
    .into_any()
}
