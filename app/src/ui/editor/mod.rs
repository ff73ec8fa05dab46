//! The flow editor at `/bots/{id}/edit`: a canvas of cards and curves, a
//! palette, an inspector with live channel previews, live validation, a
//! preview chat running the interpreter in the browser, autosave with
//! revision checks, publishing, history, export and import.
//!
//! Every change is an [`Op`] applied through [`History`]; the view only
//! reads the resulting document. The server sees the document only when it
//! is saved.

mod canvas;
mod inspector;
mod keyed;
mod panels;
mod try_chat;

use std::collections::HashMap;
use std::time::Duration;

use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use self::keyed::{PerKey, set_of};
use super::{ErrorBox, Frame};
use crate::commerce::CatalogView;
use crate::editor_core::edit::{History, Op, new_node};
use crate::editor_core::layout::{CARD_W, Viewport, bounds, card_rect, free_spot};
use crate::flow::doc::{FlowDoc, Node, NodeId};
use crate::flow::{Report, Severity, validate};
use crate::server_fns::{EditorData, SaveOutcome, get_editor, publish_flow, save_flow};
use crate::views::VersionSummary;

/// What is selected on the canvas.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Selection {
    /// Selected nodes.
    pub nodes: Vec<NodeId>,
    /// A selected edge, by the port it leaves.
    pub edge: Option<(NodeId, String)>,
}

/// How one card is drawn, besides its node: one value per card, so that a
/// change wakes only the cards it changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Marks {
    pub start: bool,
    pub selected: bool,
    pub dragged: bool,
    pub on_path: bool,
    /// Where the preview chat is now.
    pub current: bool,
    pub errors: usize,
    pub warnings: usize,
    /// Ports that lead somewhere.
    pub linked: Vec<String>,
}

/// Where the draft stands relative to the server.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SaveState {
    /// The server has exactly what is on screen.
    Saved,
    /// Changes wait to be saved.
    Dirty,
    /// A save is on its way.
    Saving,
    /// Someone else saved meanwhile; the merchant must choose.
    Conflict,
    /// The last save failed; it is retried.
    Failed(String),
}

/// The side panel's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    /// The selected step (or the flow's settings).
    Step,
    /// The preview chat.
    Try,
    /// Published versions.
    History,
}

/// The editor's state: signals, shared by every part of the editor.
#[derive(Clone, Copy)]
pub(crate) struct Ed {
    pub bot: i64,
    pub bot_name: StoredValue<String>,
    pub can_edit: bool,
    pub hist: RwSignal<History>,
    /// The draft.
    pub doc: Memo<FlowDoc>,
    /// A published version shown read-only instead of the draft.
    pub viewing: RwSignal<Option<(i64, FlowDoc)>>,
    /// What the canvas shows: the draft, or the version being viewed.
    pub shown: Memo<FlowDoc>,
    /// The draft's problems, computed in the browser by the server's code.
    pub report: Memo<Report>,
    /// Each node of `shown`, by id, one signal per card.
    pub nodes: PerKey<NodeId, Node>,
    /// How each card of `shown` is marked, by id.
    pub marks: PerKey<NodeId, Marks>,
    /// The selected connection, by the port it leaves.
    pub edge_selected: PerKey<(NodeId, String), ()>,
    /// Connections the preview chat went along, as (from, to).
    pub edge_on_path: PerKey<(NodeId, NodeId), ()>,
    /// Every step of `shown` as the merchant reads it, in order: the
    /// choices of the inspector's "What happens next" lists.
    pub step_names: Memo<Vec<(NodeId, String)>>,
    pub catalog: StoredValue<CatalogView>,
    pub selected: RwSignal<Selection>,
    pub view: RwSignal<Viewport>,
    /// Nodes being dragged, and by how much (canvas pixels).
    pub dragging: RwSignal<Vec<NodeId>>,
    pub drag_offset: RwSignal<(f64, f64)>,
    /// Nodes the preview chat went through, in order.
    pub path: RwSignal<Vec<NodeId>>,
    pub revision: RwSignal<i64>,
    pub saved_doc: StoredValue<FlowDoc>,
    pub save: RwSignal<SaveState>,
    pub conflict: RwSignal<Option<(i64, FlowDoc)>>,
    /// A message for the merchant: (is an error, text).
    pub notice: RwSignal<Option<(bool, String)>>,
    pub versions: RwSignal<Vec<VersionSummary>>,
    pub live: RwSignal<Option<i64>>,
    pub tab: RwSignal<Tab>,
    /// Edits kept in this browser because they could not be saved when the
    /// merchant last left the editor, offered back until they choose.
    pub recovered: RwSignal<Option<FlowDoc>>,
    pub canvas_el: NodeRef<Div>,
    generation: StoredValue<u64>,
    in_flight: StoredValue<bool>,
}

impl Ed {
    fn new(data: EditorData) -> Ed {
        let catalog = StoredValue::new(data.catalog);
        let hist = RwSignal::new(History::new(data.document));
        let doc = Memo::new(move |_| hist.with(|h| h.present().clone()));
        let viewing = RwSignal::new(None::<(i64, FlowDoc)>);
        let shown = Memo::new(move |_| match viewing.get() {
            Some((_, d)) => d,
            None => doc.get(),
        });
        let report = Memo::new(move |_| doc.with(|d| catalog.with_value(|c| validate(d, Some(c)))));
        // Built once per change, so that each card and edge looks itself
        // up instead of scanning every edge and problem: a 500-step flow
        // costs O(steps) per edit, not O(steps²).
        let problems_by_node = Memo::new(move |_| {
            report.with(|r| {
                let mut m: HashMap<String, (usize, usize)> = HashMap::new();
                for p in &r.problems {
                    if let Some(n) = &p.node {
                        let c = m.entry(n.clone()).or_default();
                        if p.severity == Severity::Error {
                            c.0 += 1;
                        } else {
                            c.1 += 1;
                        }
                    }
                }
                m
            })
        });
        let linked_ports = Memo::new(move |_| {
            shown.with(|d| {
                let mut m: HashMap<NodeId, Vec<String>> = HashMap::new();
                for e in &d.edges {
                    m.entry(e.from.clone()).or_default().push(e.port.clone());
                }
                m
            })
        });
        let step_names = Memo::new(move |_| {
            shown.with(|d| {
                d.nodes
                    .iter()
                    .map(|n| (n.id.clone(), crate::flow::validate::describe(n)))
                    .collect()
            })
        });
        let selected = RwSignal::new(Selection::default());
        let dragging = RwSignal::new(Vec::<NodeId>::new());
        let path = RwSignal::new(Vec::<NodeId>::new());
        let nodes = PerKey::new(move || {
            shown.with(|d| d.nodes.iter().map(|n| (n.id.clone(), n.clone())).collect())
        });
        let ids = Memo::new(move |_| {
            shown.with(|d| d.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>())
        });
        let start = Memo::new(move |_| shown.with(|d| d.start.clone()));
        let marks = PerKey::new(move || {
            let start = start.get();
            let viewing = viewing.with(Option::is_some);
            let (sel, drag) = (selected.get().nodes, dragging.get());
            let (on_path, current) = path.with(|p| (set_of(p.iter().cloned()), p.last().cloned()));
            problems_by_node.with(|problems| {
                linked_ports.with(|linked| {
                    ids.with(|ids| {
                        ids.iter()
                            .map(|id| {
                                let (errors, warnings) = if viewing {
                                    (0, 0)
                                } else {
                                    problems.get(id.as_str()).copied().unwrap_or_default()
                                };
                                let marks = Marks {
                                    start: start.as_ref() == Some(id),
                                    selected: sel.contains(id),
                                    dragged: drag.contains(id),
                                    on_path: on_path.contains_key(id),
                                    current: current.as_ref() == Some(id),
                                    errors,
                                    warnings,
                                    linked: linked.get(id).cloned().unwrap_or_default(),
                                };
                                (id.clone(), marks)
                            })
                            .collect()
                    })
                })
            })
        });
        let edge_selected = PerKey::new(move || set_of(selected.with(|s| s.edge.clone())));
        let edge_on_path = PerKey::new(move || {
            path.with(|p| set_of(p.windows(2).map(|w| (w[0].clone(), w[1].clone()))))
        });
        Ed {
            bot: data.bot.id,
            bot_name: StoredValue::new(data.bot.name.clone()),
            can_edit: data.can_edit,
            hist,
            doc,
            viewing,
            shown,
            report,
            nodes,
            marks,
            edge_selected,
            edge_on_path,
            step_names,
            catalog,
            selected,
            view: RwSignal::new(Viewport::default()),
            dragging,
            drag_offset: RwSignal::new((0.0, 0.0)),
            path,
            revision: RwSignal::new(data.revision),
            saved_doc: StoredValue::new(hist.with_untracked(|h| h.present().clone())),
            save: RwSignal::new(SaveState::Saved),
            conflict: RwSignal::new(None),
            notice: RwSignal::new(None),
            versions: RwSignal::new(data.versions),
            live: RwSignal::new(data.bot.published_version),
            tab: RwSignal::new(Tab::Step),
            recovered: RwSignal::new(None),
            canvas_el: NodeRef::new(),
            generation: StoredValue::new(0),
            in_flight: StoredValue::new(false),
        }
    }

    /// Whether the editor is still on screen: async work that finishes
    /// after the merchant left must not touch its state.
    pub fn alive(&self) -> bool {
        self.generation.try_get_value().is_some()
    }

    /// Whether the canvas may be changed now (tracked).
    pub fn editable(&self) -> bool {
        self.can_edit && self.viewing.with(Option::is_none)
    }

    /// Applies an edit; `coalesce` merges a run of edits to one field into
    /// one undo step. `true` when the draft changed; refused edits are
    /// explained.
    pub fn apply(&self, op: Op, coalesce: Option<&str>) -> bool {
        if !self.can_edit || self.viewing.with_untracked(Option::is_some) {
            return false;
        }
        let mut result = Ok(false);
        self.hist.update(|h| result = h.apply(&op, coalesce));
        match result {
            Ok(changed) => changed,
            Err(e) => {
                self.fail(e.to_string());
                false
            }
        }
    }

    /// Ends a run of typing: the next edit is a new undo step.
    pub fn seal(&self) {
        self.hist.update_untracked(History::seal);
    }

    pub fn undo(&self) {
        if self.editable_untracked() {
            self.hist.update(|h| {
                h.undo();
            });
            self.prune_selection();
        }
    }

    pub fn redo(&self) {
        if self.editable_untracked() {
            self.hist.update(|h| {
                h.redo();
            });
            self.prune_selection();
        }
    }

    fn editable_untracked(&self) -> bool {
        self.can_edit && self.viewing.with_untracked(Option::is_none)
    }

    /// Drops selected things that no longer exist.
    pub fn prune_selection(&self) {
        let doc = self.doc.get_untracked();
        self.selected.update(|s| {
            s.nodes.retain(|id| doc.node(id).is_some());
            if let Some((from, port)) = &s.edge
                && !doc.edges.iter().any(|e| &e.from == from && &e.port == port)
            {
                s.edge = None;
            }
        });
    }

    /// Shows a version the server just made live (by publishing or by
    /// restoring an older one) as live and first in the history; returns
    /// its number.
    fn went_live(&self, v: VersionSummary) -> i64 {
        let n = v.number;
        self.live.set(Some(n));
        self.versions.update(|vs| vs.insert(0, v));
        n
    }

    pub fn flash(&self, text: impl Into<String>) {
        self.notice.set(Some((false, text.into())));
    }

    pub fn fail(&self, text: impl Into<String>) {
        self.notice.set(Some((true, text.into())));
    }

    /// The canvas element's size on screen.
    pub fn canvas_size(&self) -> (f64, f64) {
        self.canvas_el
            .get_untracked()
            .map(|el| (f64::from(el.client_width()), f64::from(el.client_height())))
            .filter(|(w, h)| *w > 0.0 && *h > 0.0)
            .unwrap_or((900.0, 600.0))
    }

    /// Shows every card.
    pub fn fit(&self) {
        if let Some(r) = self.shown.with_untracked(bounds) {
            let (w, h) = self.canvas_size();
            self.view.set(Viewport::fit(r, w, h, 40.0));
        }
    }

    pub fn zoom(&self, factor: f64) {
        let (w, h) = self.canvas_size();
        self.view
            .update(|v| *v = v.zoom_at(factor, w / 2.0, h / 2.0));
    }

    /// Selects one node and brings it into view.
    pub fn focus_node(&self, id: &NodeId) {
        let Some(node) = self.shown.with_untracked(|d| d.node(id).cloned()) else {
            return;
        };
        self.selected.set(Selection {
            nodes: vec![id.clone()],
            edge: None,
        });
        self.tab.set(Tab::Step);
        let r = card_rect(&node);
        let (w, h) = self.canvas_size();
        self.view
            .update(|v| *v = v.center_on(r.x + r.w / 2.0, r.y + r.h / 2.0, w, h));
        self.focus_card(id);
    }

    /// Moves keyboard focus to a node's card, so arrows and Delete act on
    /// it, without letting the browser scroll the canvas (the view moves
    /// by its transform only).
    pub fn focus_card(&self, id: &NodeId) {
        use wasm_bindgen::JsCast;
        let Some(canvas) = self.canvas_el.get_untracked() else {
            return;
        };
        // Valid ids are letters, digits, "-" and "_": safe in a selector.
        if !crate::flow::doc::is_valid_id(id.as_str()) {
            return;
        }
        let card = canvas
            .query_selector(&format!("[data-node-id=\"{}\"]", id.as_str()))
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(card) = card {
            let options = web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = card.focus_with_options(&options);
        }
    }

    /// Adds a step of `type_name` in a free spot near the middle of the
    /// screen and selects it.
    pub fn add_node(&self, type_name: &str) {
        let (w, h) = self.canvas_size();
        let doc = self.doc.get_untracked();
        // After the selected step, or near the middle of the screen.
        let after = self
            .selected
            .with_untracked(|s| (s.nodes.len() == 1).then(|| s.nodes[0].clone()))
            .and_then(|id| doc.node(&id).map(|n| n.position));
        let (cx, cy) = match after {
            Some(p) => (p.x + CARD_W + 80.0, p.y),
            None => self
                .view
                .get_untracked()
                .to_canvas(w / 2.0 - 110.0, h / 3.0),
        };
        let at = free_spot(&doc, cx, cy);
        let Some(node) = new_node(&doc, type_name, at) else {
            return;
        };
        let id = node.id.clone();
        if self.apply(Op::AddNode { node }, None) {
            self.selected.set(Selection {
                nodes: vec![id.clone()],
                edge: None,
            });
            self.tab.set(Tab::Step);
            self.ensure_visible(&id);
        }
    }

    /// Pans to a node when its card is not wholly on screen.
    pub fn ensure_visible(&self, id: &NodeId) {
        let Some(node) = self.shown.with_untracked(|d| d.node(id).cloned()) else {
            return;
        };
        let r = card_rect(&node);
        let v = self.view.get_untracked();
        let (w, h) = self.canvas_size();
        let (x0, y0) = (r.x * v.zoom + v.x, r.y * v.zoom + v.y);
        let (x1, y1) = (x0 + r.w * v.zoom, y0 + r.h * v.zoom);
        if x0 < 0.0 || y0 < 0.0 || x1 > w || y1 > h {
            self.view
                .set(v.center_on(r.x + r.w / 2.0, r.y + r.h / 2.0, w, h));
        }
    }

    /// Deletes what is selected.
    pub fn delete_selection(&self) {
        let s = self.selected.get_untracked();
        if s.nodes.is_empty() && s.edge.is_none() {
            return;
        }
        let op = Op::Delete {
            nodes: s.nodes.clone(),
            edges: s.edge.clone().into_iter().collect(),
        };
        if self.apply(op, None) {
            self.selected.set(Selection::default());
        }
    }

    /// A node of what is shown (tracked: only that node's changes wake
    /// the caller).
    pub fn shown_node<T>(&self, id: &NodeId, f: impl FnOnce(&Node) -> T) -> Option<T> {
        self.nodes.with(id, |n| n.map(f))
    }
}

/// `/bots/{id}/edit`.
#[component]
pub fn FlowEditor() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse().ok()).unwrap_or(0));
    let data = Resource::new(id, get_editor);
    view! {
        <Title text="Flow editor" />
        <Frame>
            <Suspense fallback=|| view! { <main class="wide"><p class="muted">"Loading the editor…"</p></main> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <Editor data=d /> }.into_any(),
                        Err(e) => view! { <main class="wide"><ErrorBox error=e /></main> }.into_any(),
                    }
                })}
            </Suspense>
        </Frame>
    }
}

#[component]
fn Editor(data: EditorData) -> impl IntoView {
    let ed = Ed::new(data);
    provide_context(ed);

    // Autosave: a short pause after the last change, then one save at a
    // time, naming the revision the edits started from.
    Effect::new(move |_| {
        let doc = ed.doc.get();
        if !ed.can_edit || ed.saved_doc.with_value(|s| *s == doc) {
            return;
        }
        if ed.save.get_untracked() == SaveState::Conflict {
            return;
        }
        ed.save.set(SaveState::Dirty);
        schedule_save(ed, 600);
    });

    // Start with every card in view, once the canvas has a size.
    Effect::new(move |_| {
        request_animation_frame(move || ed.fit());
    });

    // Edits that could not be saved last time: offer them back, unless the
    // server has them after all.
    Effect::new(move |_| {
        if !ed.can_edit {
            return;
        }
        if let Some(kept) = unsaved::read(ed.bot) {
            if ed.doc.with_untracked(|d| *d == kept) {
                unsaved::forget(ed.bot);
            } else {
                ed.recovered.set(Some(kept));
            }
        }
    });

    // Keyboard shortcuts, and a warning before leaving with unsaved work
    // (kept in this browser too, in case the merchant leaves anyway).
    Effect::new(move |_| {
        let keys = window_event_listener(leptos::ev::keydown, move |e| on_key(ed, e));
        let leave = window_event_listener(leptos::ev::beforeunload, move |e| {
            if ed.can_edit && ed.save.get_untracked() != SaveState::Saved {
                ed.doc.with_untracked(|d| unsaved::keep(ed.bot, d));
                e.prevent_default();
                e.set_return_value("You have unsaved changes.");
            }
        });
        on_cleanup(move || {
            keys.remove();
            leave.remove();
        });
    });

    // Notices fade after a while.
    Effect::new(move |_| {
        if ed.notice.with(Option::is_some) {
            let shown = ed.notice.get_untracked();
            set_timeout(
                move || {
                    if ed.notice.try_get_untracked() == Some(shown) {
                        ed.notice.try_set(None);
                    }
                },
                Duration::from_secs(8),
            );
        }
    });

    // Leaving the editor inside the app (a link in the top bar) must not
    // drop changes waiting for the autosave: send them on the way out. The
    // editor is gone by the time the answer comes, so they are also kept
    // in this browser until the server has them: a save refused (saved
    // elsewhere meanwhile) or lost (offline) is offered back next time.
    on_cleanup(move || {
        let (Some(doc), Some(revision)) =
            (ed.doc.try_get_untracked(), ed.revision.try_get_untracked())
        else {
            return;
        };
        let pending = ed.saved_doc.try_with_value(|s| *s != doc).unwrap_or(false);
        let conflict = ed.save.try_get_untracked() == Some(SaveState::Conflict);
        if ed.can_edit && pending {
            let bot = ed.bot;
            unsaved::keep(bot, &doc);
            if !conflict {
                spawn_local(async move {
                    if let Ok(SaveOutcome::Saved { .. }) = save_flow(bot, revision, doc).await {
                        unsaved::forget(bot);
                    }
                });
            }
        }
    });

    view! {
        <main class="editor" data-testid="editor">
            // Hidden once the WASM bundle has hydrated the page.
            <p class="needs-js" role="status">
                "Starting the editor… The flow editor needs JavaScript: if this stays, turn JavaScript on, or see the steps on the "
                <a href=format!("/bots/{}", ed.bot)>"bot's page"</a> "."
            </p>
            <panels::Toolbar />
            <panels::RecoveredBanner />
            <div class="editor-body">
                <aside class="editor-left" aria-label="Steps and problems">
                    <panels::Palette />
                    <panels::ProblemList />
                </aside>
                <canvas::Canvas />
                <aside class="editor-right" aria-label="Details">
                    <panels::SideTabs />
                </aside>
            </div>
            <panels::Notice />
            <panels::ConflictDialog />
        </main>
    }
}

/// Edits kept in the browser's local storage, one draft per bot, while the
/// server does not have them.
pub(crate) mod unsaved {
    use crate::flow::doc::FlowDoc;

    fn key(bot: i64) -> String {
        format!("botme:unsaved-draft:{bot}")
    }

    fn storage() -> Option<web_sys::Storage> {
        #[cfg(target_arch = "wasm32")]
        {
            leptos::prelude::window().local_storage().ok().flatten()
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            None
        }
    }

    /// Keeps `doc` for `bot`, replacing what was kept before.
    pub fn keep(bot: i64, doc: &FlowDoc) {
        if let Some(s) = storage() {
            let _ = s.set_item(&key(bot), &doc.to_json());
        }
    }

    /// What is kept for `bot`, if anything readable.
    pub fn read(bot: i64) -> Option<FlowDoc> {
        let json = storage()?.get_item(&key(bot)).ok().flatten()?;
        let mut doc = FlowDoc::from_json(&json).ok()?;
        crate::editor_core::edit::tidy(&mut doc);
        Some(doc)
    }

    /// Drops what is kept for `bot`.
    pub fn forget(bot: i64) {
        if let Some(s) = storage() {
            let _ = s.remove_item(&key(bot));
        }
    }
}

/// Saves after `delay_ms` unless another change comes first.
pub(crate) fn schedule_save(ed: Ed, delay_ms: u64) {
    let generation = ed.generation.get_value() + 1;
    ed.generation.set_value(generation);
    set_timeout(
        move || {
            // The editor may have been closed meanwhile.
            if ed.generation.try_get_value() == Some(generation) {
                spawn_local(async move {
                    save_now(ed).await;
                });
            }
        },
        Duration::from_millis(delay_ms),
    );
}

/// Saves the draft now. `true` when the server then holds what is on
/// screen.
pub(crate) async fn save_now(ed: Ed) -> bool {
    let doc = ed.doc.get_untracked();
    if ed.saved_doc.with_value(|s| *s == doc) {
        if ed.save.get_untracked() != SaveState::Conflict {
            ed.save.set(SaveState::Saved);
        }
        return true;
    }
    if ed.in_flight.get_value() || ed.save.get_untracked() == SaveState::Conflict {
        return false;
    }
    ed.in_flight.set_value(true);
    ed.save.set(SaveState::Saving);
    let result = save_flow(ed.bot, ed.revision.get_untracked(), doc.clone()).await;
    if !ed.alive() {
        return false;
    }
    ed.in_flight.set_value(false);
    match result {
        Ok(SaveOutcome::Saved { revision }) => {
            ed.revision.set(revision);
            ed.saved_doc.set_value(doc.clone());
            // A copy kept when leaving earlier is now out of date; one
            // offered back stays until the merchant chooses.
            if ed.recovered.with_untracked(Option::is_none) {
                unsaved::forget(ed.bot);
            }
            if ed.doc.with_untracked(|d| *d == doc) {
                ed.save.set(SaveState::Saved);
                true
            } else {
                ed.save.set(SaveState::Dirty);
                schedule_save(ed, 200);
                false
            }
        }
        Ok(SaveOutcome::Stale { revision, document }) => {
            ed.conflict.set(Some((revision, document)));
            ed.save.set(SaveState::Conflict);
            false
        }
        Err(e) => {
            ed.save.set(SaveState::Failed(e.message));
            schedule_save(ed, 5000);
            false
        }
    }
}

/// Saves if needed, then publishes the draft.
pub(crate) async fn publish(ed: Ed) {
    if !save_now(ed).await {
        ed.fail(
            "The draft could not be saved, so it was not published. See the save status above.",
        );
        return;
    }
    if !ed.alive() {
        return;
    }
    match publish_flow(ed.bot, ed.revision.get_untracked()).await {
        Ok(v) => {
            let n = ed.went_live(v);
            ed.flash(format!(
                "Published version {n}. Shoppers now talk to this version."
            ));
        }
        Err(e) => ed.fail(e.message),
    }
}

/// The editor's shortcuts. Undo and redo work anywhere but in a text
/// field; Delete, the arrows and Escape only act on the canvas (a focused
/// card, or the canvas after a click on it), so they never fire from the
/// toolbar, the palette or a form. Nothing fires while the save-conflict
/// dialog waits for an answer.
fn on_key(ed: Ed, e: leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let key = e.key();
    let command = e.ctrl_key() || e.meta_key();
    if ed.conflict.with_untracked(Option::is_some) {
        // Not even the browser's own undo, which would quietly change the
        // text field last typed in, behind the dialog.
        if command && (key.eq_ignore_ascii_case("z") || key.eq_ignore_ascii_case("y")) {
            e.prevent_default();
        }
        return;
    }
    let target = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    let typing = target.as_ref().is_some_and(|el| {
        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
            || el.closest("[contenteditable]").ok().flatten().is_some()
    });
    let on_canvas = match (ed.canvas_el.get_untracked(), &target) {
        (Some(canvas), Some(el)) => canvas.contains(Some(&**el)),
        _ => false,
    };
    if command && key.eq_ignore_ascii_case("z") {
        if typing {
            return;
        }
        e.prevent_default();
        if e.shift_key() {
            ed.redo()
        } else {
            ed.undo()
        }
        return;
    }
    if command && key.eq_ignore_ascii_case("y") {
        if !typing {
            e.prevent_default();
            ed.redo();
        }
        return;
    }
    if typing || !on_canvas || command || e.alt_key() {
        return;
    }
    let nudge = if e.shift_key() { 50.0 } else { 10.0 };
    let (dx, dy) = match key.as_str() {
        "Delete" | "Backspace" => {
            e.prevent_default();
            ed.delete_selection();
            // The focused card may be gone: keep the keyboard on the canvas.
            if let Some(canvas) = ed.canvas_el.get_untracked()
                && !document()
                    .active_element()
                    .is_some_and(|a| canvas.contains(Some(&*a)))
            {
                let options = web_sys::FocusOptions::new();
                options.set_prevent_scroll(true);
                let _ = canvas.focus_with_options(&options);
            }
            return;
        }
        "Escape" => {
            ed.selected.set(Selection::default());
            return;
        }
        "ArrowLeft" => (-nudge, 0.0),
        "ArrowRight" => (nudge, 0.0),
        "ArrowUp" => (0.0, -nudge),
        "ArrowDown" => (0.0, nudge),
        _ => return,
    };
    let ids = ed.selected.with_untracked(|s| s.nodes.clone());
    if !ids.is_empty() {
        e.prevent_default();
        ed.apply(Op::MoveNodes { ids, dx, dy }, Some("nudge"));
    }
}
