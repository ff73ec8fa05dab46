//! The inspector: a form for the selected step, where its exits lead, its
//! problems, and how Messenger, WhatsApp and the web widget will show it.
//! With nothing selected it edits the flow's start and keywords.
//!
//! Inputs are bound to the document and never rebuilt while typing, so the
//! caret stays put; each keystroke is an edit, and a run of keystrokes in
//! one field is one undo step.

use leptos::prelude::*;

use super::{Ed, Selection};
use crate::channel::Channel;
use crate::channel::preview::{Bubble, bubbles};
use crate::commerce::ProductSource;
use crate::editor_core::edit::{Op, fresh_port_id, insert_variable, known_variables};
use crate::flow::doc::{
    AskKind, Branch, ChoiceOption, Comparison, HttpMethod, Node, NodeId, NodeKind, PaymentOptions,
    Subject, Trigger,
};
use crate::flow::simulate::sample_messages;
use crate::flow::validate::describe;

/// Replaces a node's settings with `f` applied to them, as one edit of
/// `field` (edits of one field in a row undo together).
fn edit(ed: Ed, id: &NodeId, field: &str, f: impl FnOnce(&mut NodeKind)) {
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
        Signal::derive(move || {
            node.with(|n| match n.as_ref().map(|n| &n.kind) {
                Some(NodeKind::$variant($s)) => $e,
                _ => Default::default(),
            })
        })
    }};
}

/// A callback writing one setting of the node.
macro_rules! set {
    ($ed:expr, $id:expr, $field:literal, $variant:ident, |$s:ident, $v:ident : $t:ty| $body:expr) => {{
        let id = $id.clone();
        let ed = $ed;
        Callback::new(move |$v: $t| {
            edit(ed, &id, $field, |k| {
                if let NodeKind::$variant($s) = k {
                    $body;
                }
            })
        })
    }};
}

/// A labelled text input or text area bound to a setting, with an
/// optional variable picker that inserts `{{name}}` at the caret.
#[component]
fn TextField(
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
    let insert = move |ev: leptos::ev::Event| {
        let var = event_target_value(&ev);
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
            >(&ev))
        {
            select.set_value("");
        }
    };
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

/// A labelled number input bound to a setting.
#[component]
fn NumberField(
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
fn Choice(
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

/// The start step and the keywords, shown when nothing is selected.
#[component]
fn FlowSettings() -> impl IntoView {
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
    let set_triggers = move |t: Vec<Trigger>, key: &str| {
        ed.apply(Op::SetTriggers { triggers: t }, Some(key));
    };
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
            set_triggers(t, "triggers:add");
            ed.seal();
        }
    };
    let rows = move || {
        triggers
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
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
                                set_triggers(all, &format!("trigger:{i}:words"));
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
                                set_triggers(all, &format!("trigger:{i}:to"));
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
                                set_triggers(all, "triggers:remove");
                                ed.seal();
                            }
                        >
                            "Remove"
                        </button>
                    </li>
                }
            })
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
        NodeKind::Message(_) => message_form(ed, &id, node),
        NodeKind::QuickReply(_) => quick_reply_form(ed, &id, node),
        NodeKind::ProductCarousel(_) => carousel_form(ed, &id, node),
        NodeKind::Checkout(_) => checkout_form(ed, &id, node),
        NodeKind::Ask(_) => ask_form(ed, &id, node),
        NodeKind::Condition(_) => condition_form(ed, &id, node),
        NodeKind::SetVariable(_) => view! {
            <TextField label="Remember as" name="name" value=get!(node, SetVariable, |s| s.name.clone()) on_change=set!(ed, id, "name", SetVariable, |s, v: String| s.name = v) hint="Letters, digits and “_”; use it later as {{name}}." />
            <TextField label="Value" name="value" vars=true value=get!(node, SetVariable, |s| s.value.clone()) on_change=set!(ed, id, "value", SetVariable, |s, v: String| s.value = v) />
        }
        .into_any(),
        NodeKind::ShowCart(_) => view! {
            <TextField label="Said above the cart" name="text" multiline=true vars=true value=get!(node, ShowCart, |s| s.text.clone()) on_change=set!(ed, id, "text", ShowCart, |s, v: String| s.text = v) />
            <TextField label="Said when the cart is empty" name="empty" value=get!(node, ShowCart, |s| s.empty_text.clone()) on_change=set!(ed, id, "empty", ShowCart, |s, v: String| s.empty_text = v) />
        }
        .into_any(),
        NodeKind::OrderStatus(_) => view! {
            <TextField label="Said above the orders" name="text" multiline=true vars=true value=get!(node, OrderStatus, |s| s.text.clone()) on_change=set!(ed, id, "text", OrderStatus, |s, v: String| s.text = v) placeholder="Here are your latest orders:" />
            <TextField label="Said when there are no orders" name="none" value=get!(node, OrderStatus, |s| s.none_text.clone()) on_change=set!(ed, id, "none", OrderStatus, |s, v: String| s.none_text = v) placeholder="You have no orders with us yet." />
        }
        .into_any(),
        NodeKind::Handoff(_) => view! {
            <TextField label="Said to the shopper" name="text" multiline=true vars=true value=get!(node, Handoff, |s| s.text.clone()) on_change=set!(ed, id, "text", Handoff, |s, v: String| s.text = v) hint="The bot then stays quiet until your team hands the conversation back." />
        }
        .into_any(),
        NodeKind::HttpRequest(_) => http_form(ed, &id, node),
        NodeKind::End(_) => view! {
            <TextField label="Goodbye" name="text" multiline=true vars=true value=get!(node, End, |s| s.text.clone()) on_change=set!(ed, id, "text", End, |s, v: String| s.text = v) />
        }
        .into_any(),
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

fn message_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
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

fn quick_reply_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let ids = Memo::new(move |_| {
        node.with(|n| match n.as_ref().map(|n| &n.kind) {
            Some(NodeKind::QuickReply(s)) => s.options.iter().map(|o| o.id.clone()).collect(),
            _ => Vec::<String>::new(),
        })
    });
    let options = move |f: &dyn Fn(&mut Vec<ChoiceOption>), field: &str, id: &NodeId| {
        edit(ed, id, field, |k| {
            if let NodeKind::QuickReply(s) = k {
                f(&mut s.options);
            }
        })
    };
    let nid = id.clone();
    let row = move |oid: String| {
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
                        options(&|o: &mut Vec<ChoiceOption>| {
                            if let Some(x) = o.iter_mut().find(|x| x.id == a) {
                                x.label = v.clone();
                            }
                        }, &format!("option:{a}"), &n1)
                    }
                    on:blur=move |_| ed.seal()
                />
                <button type="button" class="icon" aria-label=move || format!("Move “{}” up", name()) disabled={move || position() == 0}
                    on:click=move |_| options(&|o: &mut Vec<ChoiceOption>| {
                        if let Some(i) = o.iter().position(|x| x.id == b) && i > 0 { o.swap(i, i - 1); }
                    }, "options:order", &n2)>"↑"</button>
                <button type="button" class="icon" aria-label=move || format!("Move “{}” down", name2()) disabled={move || position() + 1 >= ids.with(Vec::len)}
                    on:click=move |_| options(&|o: &mut Vec<ChoiceOption>| {
                        if let Some(i) = o.iter().position(|x| x.id == c) && i + 1 < o.len() { o.swap(i, i + 1); }
                    }, "options:order", &n3)>"↓"</button>
                <button type="button" class="icon" aria-label=move || format!("Remove “{}”", name3())
                    on:click=move |_| { options(&|o: &mut Vec<ChoiceOption>| o.retain(|x| x.id != d), "options:remove", &n4); ed.seal(); }>"✕"</button>
            </li>
        }
    };
    let add_id = id.clone();
    let add = move |_| {
        options(
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

fn carousel_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let source = Memo::new(move |_| {
        node.with(|n| match n.as_ref().map(|n| &n.kind) {
            Some(NodeKind::ProductCarousel(s)) => Some(s.source.clone()),
            _ => None,
        })
    });
    let kind = Signal::derive(move || {
        match source.get() {
            Some(ProductSource::Collection { .. }) => "collection",
            Some(ProductSource::Skus { .. }) => "skus",
            Some(ProductSource::Search { .. }) => "search",
            _ => "all",
        }
        .to_string()
    });
    let collections = ed.catalog.with_value(|c| c.collections());
    let products: Vec<(String, String)> = ed.catalog.with_value(|c| {
        c.all()
            .filter(|p| p.active)
            .map(|p| (p.sku.clone(), format!("{} — {}", p.name, p.price)))
            .collect()
    });
    let first_collection = collections.first().cloned().unwrap_or_default();
    let set_kind = {
        let id = id.clone();
        Callback::new(move |k: String| {
            let fc = first_collection.clone();
            edit(ed, &id, "source", |kind| {
                if let NodeKind::ProductCarousel(s) = kind {
                    s.source = match k.as_str() {
                        "collection" => ProductSource::Collection { collection: fc },
                        "skus" => ProductSource::Skus { skus: vec![] },
                        "search" => ProductSource::Search {
                            query: String::new(),
                        },
                        _ => ProductSource::All,
                    };
                }
            });
            ed.seal();
        })
    };
    let set_source = {
        let id = id.clone();
        move |f: Box<dyn FnOnce(&mut ProductSource)>, field: &str| {
            edit(ed, &id, field, |kind| {
                if let NodeKind::ProductCarousel(s) = kind {
                    f(&mut s.source);
                }
            })
        }
    };
    let detail = move || match kind.get().as_str() {
        "collection" => {
            if collections.is_empty() {
                return view! {
                    <p class="hint">"Your catalog has no collections yet. Give products a collection on the " <a href="/products">"Products"</a> " page."</p>
                }
                .into_any();
            }
            let current = match source.get() {
                Some(ProductSource::Collection { collection }) => collection,
                _ => String::new(),
            };
            let set_source = set_source.clone();
            view! {
                <div class="field">
                    <label for="field-collection">"Collection"</label>
                    <select
                        id="field-collection"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            set_source(Box::new(move |s| *s = ProductSource::Collection { collection: v }), "collection");
                        }
                    >
                        {collections
                            .iter()
                            .map(|c| {
                                let sel = *c == current;
                                view! { <option value=c.clone() selected=sel>{c.clone()}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
            }
            .into_any()
        }
        "skus" => {
            if products.is_empty() {
                return view! {
                    <p class="hint">"Your catalog is empty. Add products on the " <a href="/products">"Products"</a> " page first."</p>
                }
                .into_any();
            }
            let chosen = match source.get() {
                Some(ProductSource::Skus { skus }) => skus,
                _ => vec![],
            };
            view! {
                <fieldset class="product-picks">
                    <legend>"Products to show, in the order you tick them"</legend>
                    {products
                        .iter()
                        .map(|(sku, name)| {
                            let checked = chosen.contains(sku);
                            let sku = sku.clone();
                            let set_source = set_source.clone();
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        checked=checked
                                        data-sku=sku.clone()
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let sku = sku.clone();
                                            set_source(Box::new(move |s| {
                                                if let ProductSource::Skus { skus } = s {
                                                    skus.retain(|x| *x != sku);
                                                    if on {
                                                        skus.push(sku);
                                                    }
                                                }
                                            }), "skus");
                                        }
                                    />
                                    {name.clone()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
            }
            .into_any()
        }
        "search" => {
            let set_source = set_source.clone();
            view! {
                <TextField
                    label="Words to look for"
                    name="query"
                    placeholder="e.g. summer shoes"
                    value=Signal::derive(move || match source.get() {
                        Some(ProductSource::Search { query }) => query,
                        _ => String::new(),
                    })
                    on_change=Callback::new(move |v: String| set_source(Box::new(move |s| *s = ProductSource::Search { query: v }), "query"))
                />
            }
            .into_any()
        }
        _ => view! { <p class="hint">"Every active product, newest first."</p> }.into_any(),
    };
    view! {
        <TextField label="Said above the products" name="text" multiline=true vars=true value=get!(node, ProductCarousel, |s| s.text.clone()) on_change=set!(ed, id, "text", ProductCarousel, |s, v: String| s.text = v) />
        <Choice
            label="Which products"
            name="source"
            options=vec![("all", "All products"), ("collection", "One collection"), ("skus", "Products I choose"), ("search", "Products matching words")]
            value=kind
            on_change=set_kind
        />
        {detail}
        <NumberField
            label="Products shown at a time"
            name="page"
            min=1
            max=10
            value=get!(node, ProductCarousel, |s| s.page_size)
            on_change=set!(ed, id, "page", ProductCarousel, |s, n: u32| s.page_size = n)
        />
    }
    .into_any()
}

fn checkout_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let payment = get!(node, Checkout, |s| match s.payment {
        PaymentOptions::CashOnDelivery => "cash",
        PaymentOptions::OrderPage => "online",
        PaymentOptions::Both => "both",
    }
    .to_string());
    view! {
        <TextField label="Said above the order summary" name="text" multiline=true vars=true value=get!(node, Checkout, |s| s.text.clone()) on_change=set!(ed, id, "text", Checkout, |s, v: String| s.text = v) />
        <Choice
            label="How shoppers pay"
            name="payment"
            options=vec![("cash", "Cash on delivery"), ("online", "Online, on the order page"), ("both", "Let the shopper choose")]
            value=payment
            on_change=set!(ed, id, "payment", Checkout, |s, v: String| s.payment = match v.as_str() {
                "online" => PaymentOptions::OrderPage,
                "both" => PaymentOptions::Both,
                _ => PaymentOptions::CashOnDelivery,
            })
        />
        <TextField
            label="Said when the order is placed"
            name="confirmation"
            multiline=true
            vars=true
            value=get!(node, Checkout, |s| s.confirmation.clone())
            on_change=set!(ed, id, "confirmation", Checkout, |s, v: String| s.confirmation = v)
            hint="{{order.number}} and {{order.url}} are filled in with the order's number and its page."
        />
    }
    .into_any()
}

fn ask_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
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

/// A change to a condition's rules.
type BranchEdit = Box<dyn FnOnce(&mut Vec<Branch>)>;

fn condition_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let ids = Memo::new(move |_| {
        node.with(|n| match n.as_ref().map(|n| &n.kind) {
            Some(NodeKind::Condition(s)) => s.branches.iter().map(|b| b.id.clone()).collect(),
            _ => Vec::<String>::new(),
        })
    });
    let nid = id.clone();
    let branches = move |f: BranchEdit, field: &str| {
        edit(ed, &nid, field, |k| {
            if let NodeKind::Condition(s) = k {
                f(&mut s.branches);
            }
        })
    };
    let row = {
        let branches = branches.clone();
        move |bid: String| {
            let branch = {
                let bid = bid.clone();
                Memo::new(move |_| {
                    node.with(|n| match n.as_ref().map(|n| &n.kind) {
                        Some(NodeKind::Condition(s)) => {
                            s.branches.iter().find(|b| b.id == bid).cloned()
                        }
                        _ => None,
                    })
                })
            };
            let position = {
                let bid = bid.clone();
                Memo::new(move |_| ids.with(|v| v.iter().position(|x| *x == bid).unwrap_or(0)))
            };
            let position = move || position.get();
            let update = {
                let bid = bid.clone();
                let branches = branches.clone();
                move |field: &'static str, f: Box<dyn FnOnce(&mut Branch)>| {
                    let bid = bid.clone();
                    branches(
                        Box::new(move |bs| {
                            if let Some(b) = bs.iter_mut().find(|b| b.id == bid) {
                                f(b);
                            }
                        }),
                        &format!("branch:{field}"),
                    )
                }
            };
            let subject = move || match branch.get().map(|b| b.subject) {
                Some(Subject::Variable { .. }) => "variable",
                Some(Subject::CartTotal) => "cart_total",
                _ => "cart_count",
            };
            let op = move || match branch.get().map(|b| b.op) {
                Some(Comparison::Equals) => "equals",
                Some(Comparison::NotEquals) => "not_equals",
                Some(Comparison::Contains) => "contains",
                Some(Comparison::GreaterThan) => "greater_than",
                Some(Comparison::LessThan) => "less_than",
                Some(Comparison::IsSet) => "is_set",
                _ => "is_empty",
            };
            let (u1, u2, u3, u4, u5) = (
                update.clone(),
                update.clone(),
                update.clone(),
                update.clone(),
                update.clone(),
            );
            let (b1, b2, b3) = (bid.clone(), bid.clone(), bid.clone());
            let (m1, m2, m3) = (branches.clone(), branches.clone(), branches.clone());
            let n = move || position() + 1;
            view! {
                <li class="branch">
                    <input type="text" aria-label=move || format!("Name of rule {}", n()) placeholder="Name, e.g. Big order"
                        prop:value=move || branch.get().map(|b| b.label).unwrap_or_default()
                        on:input=move |ev| { let v = event_target_value(&ev); u1("label", Box::new(move |b| b.label = v)) }
                        on:blur=move |_| ed.seal() />
                    <div class="branch-rule">
                        <select aria-label=move || format!("What rule {} looks at", n())
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                u2("subject", Box::new(move |b| b.subject = match v.as_str() {
                                    "variable" => Subject::Variable { name: String::new() },
                                    "cart_total" => Subject::CartTotal,
                                    _ => Subject::CartCount,
                                }));
                                ed.seal();
                            }>
                            {[("variable", "A remembered value"), ("cart_total", "The cart's total"), ("cart_count", "Items in the cart")]
                                .into_iter()
                                .map(|(v, l)| view! { <option value=v selected=move || subject() == v>{l}</option> })
                                .collect_view()}
                        </select>
                        <Show when=move || subject() == "variable">
                            {
                                let u = u3.clone();
                                view! {
                                    <input type="text" aria-label=move || format!("Value name for rule {}", n()) placeholder="name"
                                        prop:value=move || match branch.get().map(|b| b.subject) { Some(Subject::Variable { name }) => name, _ => String::new() }
                                        on:input=move |ev| { let v = event_target_value(&ev); u("var", Box::new(move |b| b.subject = Subject::Variable { name: v })) } />
                                }
                            }
                        </Show>
                        <select aria-label=move || format!("How rule {} compares", n())
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                u4("op", Box::new(move |b| b.op = match v.as_str() {
                                    "equals" => Comparison::Equals,
                                    "not_equals" => Comparison::NotEquals,
                                    "contains" => Comparison::Contains,
                                    "greater_than" => Comparison::GreaterThan,
                                    "less_than" => Comparison::LessThan,
                                    "is_set" => Comparison::IsSet,
                                    _ => Comparison::IsEmpty,
                                }));
                                ed.seal();
                            }>
                            {[("equals", "is"), ("not_equals", "is not"), ("contains", "contains"), ("greater_than", "is more than"), ("less_than", "is less than"), ("is_set", "has a value"), ("is_empty", "is empty")]
                                .into_iter()
                                .map(|(v, l)| view! { <option value=v selected=move || op() == v>{l}</option> })
                                .collect_view()}
                        </select>
                        <Show when=move || !matches!(op(), "is_set" | "is_empty")>
                            {
                                let u = u5.clone();
                                view! {
                                    <input type="text" aria-label=move || format!("Value for rule {}", n())
                                        prop:value=move || branch.get().map(|b| b.value).unwrap_or_default()
                                        on:input=move |ev| { let v = event_target_value(&ev); u("value", Box::new(move |b| b.value = v)) } />
                                }
                            }
                        </Show>
                    </div>
                    <div class="row-actions">
                        <button type="button" class="icon" aria-label=move || format!("Move rule {} up", n()) disabled={move || position() == 0}
                            on:click=move |_| { let b = b1.clone(); m1(Box::new(move |bs| if let Some(i) = bs.iter().position(|x| x.id == b) && i > 0 { bs.swap(i, i - 1) }), "branches:order") }>"↑"</button>
                        <button type="button" class="icon" aria-label=move || format!("Move rule {} down", n()) disabled={move || position() + 1 >= ids.with(Vec::len)}
                            on:click=move |_| { let b = b2.clone(); m2(Box::new(move |bs| if let Some(i) = bs.iter().position(|x| x.id == b) && i + 1 < bs.len() { bs.swap(i, i + 1) }), "branches:order") }>"↓"</button>
                        <button type="button" class="icon" aria-label=move || format!("Remove rule {}", n())
                            on:click=move |_| { let b = b3.clone(); m3(Box::new(move |bs| bs.retain(|x| x.id != b)), "branches:remove"); ed.seal(); }>"✕"</button>
                    </div>
                </li>
            }
        }
    };
    let add = {
        let branches = branches.clone();
        move |_| {
            branches(
                Box::new(|bs| {
                    let id = fresh_port_id("b", bs.iter().map(|b| b.id.as_str()));
                    bs.push(Branch {
                        id,
                        label: String::new(),
                        subject: Subject::Variable {
                            name: String::new(),
                        },
                        op: Comparison::Equals,
                        value: String::new(),
                    });
                }),
                "branches:add",
            );
            ed.seal();
        }
    };
    view! {
        <div class="field">
            <span class="label">"Rules, checked in order; the first that holds decides"</span>
            <ol class="branches">
                <For each=move || ids.get() key=|b| b.clone() let:bid>
                    {row(bid)}
                </For>
            </ol>
            <button type="button" class="small" on:click=add>"Add a rule"</button>
            <p class="hint">"When no rule holds, the conversation takes “Otherwise”."</p>
        </div>
    }
    .into_any()
}

fn http_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
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

/// Where each of the node's exits leads, as selects: the keyboard way to
/// connect steps. The steps to choose from are the editor's shared list,
/// and each select's options are keyed, so an edit in a 500-step flow
/// replaces one option, not every option of every select.
#[component]
fn Exits(id: NodeId) -> impl IntoView {
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

/// The node's problems, from live validation.
#[component]
fn NodeProblems(id: NodeId) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let problems = Memo::new(move |_| {
        if ed.viewing.with(Option::is_some) {
            return vec![];
        }
        ed.report.with(|r| {
            r.for_node(id.as_str())
                .filter(|p| p.code != "channel_limit")
                .map(|p| {
                    (
                        p.severity == crate::flow::Severity::Error,
                        p.message.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    move || {
        let list = problems.get();
        (!list.is_empty()).then(|| {
            view! {
                <ul class="problems node-problems" data-testid="node-problems">
                    {list
                        .into_iter()
                        .map(|(error, msg)| {
                            view! {
                                <li class=if error { "error" } else { "warning" }>
                                    <strong>{if error { "Must fix: " } else { "Note: " }}</strong>
                                    {msg}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
        })
    }
}

/// How Messenger, WhatsApp and the web widget show the step, with the
/// ways each channel's limits change it.
#[component]
fn ChannelPreview(id: NodeId, node: Memo<Option<Node>>) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let messages = Memo::new(move |_| {
        node.with(|n| {
            n.as_ref()
                .map(|n| ed.catalog.with_value(|c| sample_messages(n, c)))
                .unwrap_or_default()
        })
    });
    let advice = Memo::new(move |_| {
        ed.report.with(|r| {
            r.for_node(id.as_str())
                .filter(|p| p.code == "channel_limit")
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="channel-preview" aria-labelledby="channel-preview-title" data-testid="channel-preview">
            <h3 id="channel-preview-title">"How shoppers see it"</h3>
            {move || {
                let list = advice.get();
                (!list.is_empty())
                    .then(|| {
                        view! {
                            <ul class="advice" data-testid="channel-advice">
                                {list.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                            </ul>
                        }
                    })
            }}
            {move || {
                let msgs = messages.get();
                if msgs.is_empty() {
                    return view! {
                        <p class="hint">"Shoppers see nothing from this step yet: it works behind the scenes, or its text is empty."</p>
                    }
                    .into_any();
                }
                view! {
                    <div class="phones">
                        {Channel::ALL
                            .into_iter()
                            .map(|ch| {
                                view! {
                                    <figure class=format!("phone {}", ch.as_str()) data-channel=ch.as_str()>
                                        <figcaption>{ch.label()}</figcaption>
                                        {bubbles(ch, &msgs).into_iter().map(bubble_view).collect_view()}
                                    </figure>
                                }
                            })
                            .collect_view()}
                    </div>
                }
                .into_any()
            }}
        </section>
    }
}

fn bubble_view(b: Bubble) -> impl IntoView {
    view! {
        <div class="pv-bubble">
            {b.image.map(|src| view! { <img src=src alt="" loading="lazy" /> })}
            {(!b.text.is_empty()).then(|| view! { <p>{b.text}</p> })}
            {(!b.cards.is_empty())
                .then(|| {
                    view! {
                        <div class="pv-cards">
                            {b
                                .cards
                                .into_iter()
                                .map(|c| {
                                    view! {
                                        <div class="pv-card">
                                            {c.image.map(|src| view! { <img src=src alt="" loading="lazy" /> })}
                                            <strong>{c.title}</strong>
                                            <span class="muted">{c.subtitle}</span>
                                            {c.buttons.into_iter().map(|l| view! { <span class="pv-button">{l}</span> }).collect_view()}
                                        </div>
                                    }
                                })
                                .collect_view()}
                        </div>
                    }
                })}
            {b.buttons.into_iter().map(|l| view! { <span class="pv-button">{l}</span> }).collect_view()}
            {b
                .list
                .map(|(button, rows)| {
                    view! {
                        <span class="pv-button pv-list-button">"☰ " {button}</span>
                        <ul class="pv-list">{rows.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                    }
                })}
            {(!b.chips.is_empty())
                .then(|| {
                    view! {
                        <div class="pv-chips">
                            {b.chips.into_iter().map(|l| view! { <span class="pv-chip">{l}</span> }).collect_view()}
                        </div>
                    }
                })}
        </div>
    }
}
