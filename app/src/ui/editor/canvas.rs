//! The canvas: cards at their positions, edges as curves, and the pointer
//! gestures: pan (drag the background), zoom (Ctrl or ⌘ + wheel, or the
//! buttons), drag cards, connect by dragging from a port to a card, select
//! by clicking (Shift adds to the selection).
//!
//! Only the layer's transform changes while panning, and only the dragged
//! cards and their edges while dragging, so a 500-step flow stays smooth.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::{Ed, Selection, Tab};
use crate::editor_core::edit::Op;
use crate::editor_core::layout::{edge_path, input_anchor, port_anchor, summary};
use crate::flow::doc::{NodeId, Position};
use crate::flow::validate::describe;

/// What the pointer is doing.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gesture {
    Idle,
    Pan {
        start: (f64, f64),
        origin: crate::editor_core::layout::Viewport,
    },
    Drag {
        start: (f64, f64),
        moved: bool,
    },
    Link,
}

/// A connection being drawn: from a port, to the pointer.
#[derive(Debug, Clone, PartialEq)]
struct Link {
    from: NodeId,
    port: String,
    start: (f64, f64),
    end: (f64, f64),
}

fn element(target: Option<web_sys::EventTarget>) -> Option<web_sys::Element> {
    target.and_then(|t| t.dyn_into::<web_sys::Element>().ok())
}

fn closest(el: &web_sys::Element, selector: &str) -> Option<web_sys::Element> {
    el.closest(selector).ok().flatten()
}

/// Where a port's edge starts, in the shown document.
fn port_start(ed: Ed, from: &NodeId, port: &str) -> Option<(f64, f64)> {
    ed.shown.with_untracked(|d| {
        let n = d.node(from)?;
        let i = n.kind.ports().iter().position(|p| p.name == port)?;
        Some(port_anchor(n.position, i))
    })
}

#[component]
pub(crate) fn Canvas() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let gesture = StoredValue::new(Gesture::Idle);
    let link = RwSignal::new(None::<Link>);

    // Pointer position relative to the canvas, in screen pixels.
    let local = move |x: i32, y: i32| -> (f64, f64) {
        match ed.canvas_el.get_untracked() {
            Some(el) => {
                let r = el.get_bounding_client_rect();
                (f64::from(x) - r.left(), f64::from(y) - r.top())
            }
            None => (f64::from(x), f64::from(y)),
        }
    };

    let on_down = move |ev: leptos::ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        let Some(target) = element(ev.target()) else {
            return;
        };
        // Controls over the canvas (the version banner) work as usual.
        if closest(&target, "button, a, input, select, textarea").is_some() {
            return;
        }
        let client = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let editable = ed.editable();
        let capture = || {
            if let Some(el) = ed.canvas_el.get_untracked() {
                let _ = el.set_pointer_capture(ev.pointer_id());
            }
        };
        let node_id = closest(&target, "[data-node-id]")
            .and_then(|e| e.get_attribute("data-node-id"))
            .map(NodeId);
        if let (Some(port_el), Some(from), true) =
            (closest(&target, "[data-port]"), node_id.clone(), editable)
        {
            let port = port_el.get_attribute("data-port").unwrap_or_default();
            if let Some(start) = port_start(ed, &from, &port) {
                ev.prevent_default();
                link.set(Some(Link {
                    from,
                    port,
                    start,
                    end: start,
                }));
                gesture.set_value(Gesture::Link);
                capture();
            }
            return;
        }
        let additive = ev.shift_key() || ev.meta_key() || ev.ctrl_key();
        if let Some(id) = node_id {
            ed.selected.update(|s| {
                s.edge = None;
                if additive {
                    if let Some(i) = s.nodes.iter().position(|n| *n == id) {
                        s.nodes.remove(i);
                    } else {
                        s.nodes.push(id.clone());
                    }
                } else if !s.nodes.contains(&id) {
                    s.nodes = vec![id.clone()];
                }
            });
            ed.tab.set(Tab::Step);
            if editable && ed.selected.with_untracked(|s| s.nodes.contains(&id)) {
                ed.dragging
                    .set(ed.selected.with_untracked(|s| s.nodes.clone()));
                gesture.set_value(Gesture::Drag {
                    start: client,
                    moved: false,
                });
                capture();
            }
            return;
        }
        if let Some(edge) = closest(&target, "[data-edge-from]") {
            let from = edge.get_attribute("data-edge-from").unwrap_or_default();
            let port = edge.get_attribute("data-edge-port").unwrap_or_default();
            ed.selected.set(Selection {
                nodes: vec![],
                edge: Some((NodeId(from), port)),
            });
            return;
        }
        if !additive {
            ed.selected.set(Selection::default());
        }
        gesture.set_value(Gesture::Pan {
            start: client,
            origin: ed.view.get_untracked(),
        });
        capture();
    };

    let on_move = move |ev: leptos::ev::PointerEvent| {
        let client = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        match gesture.get_value() {
            Gesture::Idle => {}
            Gesture::Pan { start, origin } => {
                ed.view
                    .set(origin.pan(client.0 - start.0, client.1 - start.1));
            }
            Gesture::Drag { start, moved } => {
                let zoom = ed.view.get_untracked().zoom;
                let (dx, dy) = (client.0 - start.0, client.1 - start.1);
                if !moved && dx.abs() + dy.abs() < 4.0 {
                    return;
                }
                gesture.set_value(Gesture::Drag { start, moved: true });
                ed.drag_offset.set((dx / zoom, dy / zoom));
            }
            Gesture::Link => {
                let (sx, sy) = local(ev.client_x(), ev.client_y());
                let end = ed.view.get_untracked().to_canvas(sx, sy);
                link.update(|l| {
                    if let Some(l) = l {
                        l.end = end;
                    }
                });
            }
        }
    };

    let finish = move |ev: leptos::ev::PointerEvent, cancelled: bool| {
        match gesture.get_value() {
            Gesture::Drag { moved: true, .. } if !cancelled => {
                let (dx, dy) = ed.drag_offset.get_untracked();
                let ids = ed.dragging.get_untracked();
                ed.apply(Op::MoveNodes { ids, dx, dy }, None);
            }
            Gesture::Link if !cancelled => {
                let to = document()
                    .element_from_point(ev.client_x() as f32, ev.client_y() as f32)
                    .and_then(|el| closest(&el, "[data-node-id]"))
                    .and_then(|el| el.get_attribute("data-node-id"));
                if let (Some(to), Some(l)) = (to, link.get_untracked()) {
                    ed.apply(
                        Op::Connect {
                            from: l.from,
                            port: l.port,
                            to: NodeId(to),
                        },
                        None,
                    );
                }
            }
            _ => {}
        }
        gesture.set_value(Gesture::Idle);
        if !ed.dragging.with_untracked(Vec::is_empty) {
            ed.dragging.set(Vec::new());
        }
        ed.drag_offset.set((0.0, 0.0));
        link.set(None);
    };

    let on_wheel = move |ev: web_sys::WheelEvent| {
        ev.prevent_default();
        let (sx, sy) = local(ev.client_x(), ev.client_y());
        if ev.ctrl_key() || ev.meta_key() {
            let factor = (-ev.delta_y() * 0.002).exp();
            ed.view.update(|v| *v = v.zoom_at(factor, sx, sy));
        } else {
            ed.view.update(|v| *v = v.pan(-ev.delta_x(), -ev.delta_y()));
        }
    };

    // Wheel listeners must not be passive to stop the page from zooming,
    // and delegated ones (on the document) are; listen on the canvas.
    Effect::new(move |_| {
        use wasm_bindgen::closure::Closure;
        let Some(el) = ed.canvas_el.get() else {
            return;
        };
        let cb = Closure::<dyn Fn(web_sys::WheelEvent)>::new(on_wheel).into_js_value();
        let options = web_sys::AddEventListenerOptions::new();
        options.set_passive(false);
        let _ = el.add_event_listener_with_callback_and_add_event_listener_options(
            "wheel",
            cb.unchecked_ref(),
            &options,
        );
    });

    let node_ids = move || {
        ed.shown
            .with(|d| d.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>())
    };
    let edge_keys = move || {
        ed.shown.with(|d| {
            d.edges
                .iter()
                .map(|e| (e.from.clone(), e.port.clone(), e.to.clone()))
                .collect::<Vec<_>>()
        })
    };
    let empty = move || ed.shown.with(|d| d.nodes.is_empty());

    view! {
        <div
            class="canvas"
            node_ref=ed.canvas_el
            data-testid="canvas"
            tabindex="-1"
            role="region"
            aria-label="Flow canvas: drag the background to move around, Ctrl + wheel to zoom"
            on:pointerdown=on_down
            on:pointermove=on_move
            on:pointerup=move |ev| finish(ev, false)
            on:pointercancel=move |ev| finish(ev, true)
        >
            <div class="layer" style=move || ed.view.get().css()>
                <svg class="edges" width="1" height="1" aria-hidden="true">
                    <defs>
                        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
                        </marker>
                    </defs>
                    <For each=edge_keys key=|k| k.clone() let:k>
                        <EdgeView from=k.0 port=k.1 to=k.2 />
                    </For>
                    {move || {
                        link.get()
                            .map(|l| {
                                view! { <path class="edge-line linking" d=edge_path(l.start, l.end) /> }
                            })
                    }}
                </svg>
                <For each=node_ids key=|id| id.clone() let:id>
                    <NodeCard id=id />
                </For>
            </div>
            <Show when=empty>
                <div class="canvas-empty">
                    <h2>"Your flow is empty"</h2>
                    <p>
                        "Add a first step from the list on the left. Most shops start with a "
                        <strong>"Message"</strong> " that greets shoppers, then a "
                        <strong>"Quick reply"</strong> " to ask what they want."
                    </p>
                </div>
            </Show>
            <ViewingBanner />
        </div>
    }
}

/// Shown over the canvas while a published version is being viewed.
#[component]
fn ViewingBanner() -> impl IntoView {
    let ed = expect_context::<Ed>();
    move || {
        ed.viewing.get().map(|(n, doc)| {
            let copy = move |_| {
                if ed.can_edit {
                    ed.viewing.set(None);
                    if ed.apply(Op::Replace { doc: doc.clone() }, None) {
                        ed.flash(format!(
                            "Version {n} is now in the draft. Undo brings your previous draft back."
                        ));
                    } else {
                        ed.flash(format!(
                            "Version {n} is the same as your draft: nothing changed."
                        ));
                    }
                }
            };
            view! {
                <div class="viewing-banner" role="status" data-testid="viewing">
                    <span>"Viewing version " {n} " — read only."</span>
                    {ed
                        .can_edit
                        .then(|| view! { <button type="button" class="small" on:click=copy>"Copy into the draft"</button> })}
                    <button type="button" class="small" on:click=move |_| ed.viewing.set(None)>
                        "Back to the draft"
                    </button>
                </div>
            }
        })
    }
}

/// A node's stored position, as a Memo over the node's own signal: an edit
/// elsewhere in the flow does not even re-check it.
fn position_of(ed: Ed, id: NodeId) -> Memo<Option<Position>> {
    Memo::new(move |_| ed.shown_node(&id, |n| n.position))
}

/// Where a node is drawn, including a drag in progress.
fn live_position(ed: Ed, at: Memo<Option<Position>>, moving: bool) -> Option<Position> {
    let p = at.get()?;
    let (dx, dy) = if moving {
        ed.drag_offset.get()
    } else {
        (0.0, 0.0)
    };
    Some(Position {
        x: p.x + dx,
        y: p.y + dy,
    })
}

#[component]
fn EdgeView(from: NodeId, port: String, to: NodeId) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let from_moving = {
        let from = from.clone();
        Memo::new(move |_| ed.marks.get(&from).is_some_and(|m| m.dragged))
    };
    let to_moving = {
        let to = to.clone();
        Memo::new(move |_| ed.marks.get(&to).is_some_and(|m| m.dragged))
    };
    let index = {
        let (from, port) = (from.clone(), port.clone());
        Memo::new(move |_| {
            ed.shown_node(&from, |n| {
                n.kind.ports().iter().position(|p| p.name == port)
            })
            .flatten()
        })
    };
    let (from_at, to_at) = (position_of(ed, from.clone()), position_of(ed, to.clone()));
    let d = {
        move || {
            let a = live_position(ed, from_at, from_moving.get())?;
            let b = live_position(ed, to_at, to_moving.get())?;
            Some(edge_path(port_anchor(a, index.get()?), input_anchor(b)))
        }
    };
    let selected = {
        let key = (from.clone(), port.clone());
        move || ed.edge_selected.has(&key)
    };
    let on_path = {
        let key = (from.clone(), to.clone());
        move || ed.edge_on_path.has(&key)
    };
    view! {
        <g class="edge" class:selected=selected class:on-path=on_path data-edge-from=from.0.clone() data-edge-port=port.clone() data-edge-to=to.0.clone()>
            <path class="edge-hit" d=d />
            <path class="edge-line" d=d marker-end="url(#arrow)" />
        </g>
    }
}

#[component]
fn NodeCard(id: NodeId) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let node = {
        let id = id.clone();
        Memo::new(move |_| ed.nodes.get(&id))
    };
    let marks = {
        let id = id.clone();
        Memo::new(move |_| ed.marks.get(&id).unwrap_or_default())
    };
    let moving = Memo::new(move |_| marks.with(|m| m.dragged));
    let at = position_of(ed, id.clone());
    let transform = {
        move || {
            let p = live_position(ed, at, moving.get()).unwrap_or_default();
            format!("translate({}px, {}px)", p.x, p.y)
        }
    };
    let selected = Memo::new(move |_| marks.with(|m| m.selected));
    let is_start = Memo::new(move |_| marks.with(|m| m.start));
    let problems = Memo::new(move |_| marks.with(|m| (m.errors, m.warnings)));
    let on_path = Memo::new(move |_| marks.with(|m| m.on_path));
    let current = Memo::new(move |_| marks.with(|m| m.current));
    let connected = Memo::new(move |_| marks.with(|m| m.linked.clone()));
    let type_name = move || node.with(|n| n.as_ref().map_or("", |n| n.kind.type_name()));
    let label = move || node.with(|n| n.as_ref().map_or("", |n| n.kind.label()));
    let text = move || node.with(|n| n.as_ref().map(|n| summary(&n.kind)).unwrap_or_default());
    let aria = move || {
        let (e, w) = problems.get();
        let mut s = node.with(|n| n.as_ref().map(describe).unwrap_or_default());
        if is_start.get() {
            s.push_str(", where conversations start");
        }
        if e > 0 {
            s.push_str(&format!(", {e} problem(s) to fix"));
        } else if w > 0 {
            s.push_str(&format!(", {w} note(s)"));
        }
        s
    };
    let ports = move || {
        let names = connected.get();
        node.with(|n| {
            n.as_ref()
                .map(|n| n.kind.ports())
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    let linked = names.contains(&p.name);
                    let title = format!("Drag to the step that comes after “{}”", p.label);
                    view! {
                        <li class="port-row">
                            <span class="port-label">{p.label.clone()}</span>
                            <span class="port" class:linked=linked data-port=p.name.clone() title=title></span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    let focus = {
        let id = id.clone();
        move |_| {
            if !ed.selected.with_untracked(|s| s.nodes.contains(&id)) {
                ed.selected.set(Selection {
                    nodes: vec![id.clone()],
                    edge: None,
                });
            }
        }
    };
    view! {
        <div
            class="node"
            class:selected=selected
            class:start=is_start
            class:has-error={move || problems.get().0 > 0}
            class:has-warning={move || problems.get().0 == 0 && problems.get().1 > 0}
            class:on-path=on_path
            class:current=current
            data-node-id=id.0.clone()
            data-type=type_name
            tabindex="0"
            role="group"
            aria-label=aria
            style:transform=transform
            on:focus=focus
        >
            <span class="node-in" aria-hidden="true"></span>
            <div class="node-head">
                <span class="node-type">{label}</span>
                <Show when=move || is_start.get()>
                    <span class="badge start">"Start"</span>
                </Show>
                <Show when=move || { problems.get().0 > 0 }>
                    <span class="badge error" title="Problems to fix">{move || problems.get().0}</span>
                </Show>
            </div>
            <div class="node-body">{text}</div>
            <ul class="node-ports">{ports}</ul>
        </div>
    }
}
