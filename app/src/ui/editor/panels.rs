//! The editor's toolbar, palette, problem list, side tabs, version history,
//! notices, the save-conflict dialog, and export and import.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use super::inspector::Inspector;
use super::try_chat::TryChat;
use super::{Ed, SaveState, Selection, Tab, publish, save_now};
use crate::editor_core::edit::{History, Op, PALETTE, read_import};
use crate::flow::Severity;
use crate::flow::doc::NodeId;
use crate::server_fns::{get_version_page, restore_flow};
use crate::ui::format_time;

#[component]
pub(crate) fn Toolbar() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let can_undo = Memo::new(move |_| ed.hist.with(History::can_undo));
    let can_redo = Memo::new(move |_| ed.hist.with(History::can_redo));
    let errors = Memo::new(move |_| ed.report.with(|r| r.errors().count()));
    let zoom = move || format!("{:.0}%", ed.view.get().zoom * 100.0);
    let status = move || match ed.save.get() {
        SaveState::Saved => "All changes saved".to_string(),
        SaveState::Dirty => "Unsaved changes…".to_string(),
        SaveState::Saving => "Saving…".to_string(),
        SaveState::Conflict => "Not saved: changed elsewhere".to_string(),
        SaveState::Failed(why) => format!("Not saved yet: {why} Retrying…"),
    };
    let status_kind = move || match ed.save.get() {
        SaveState::Saved => "save-status ok",
        SaveState::Dirty | SaveState::Saving => "save-status",
        SaveState::Conflict | SaveState::Failed(_) => "save-status bad",
    };
    let live = move || match ed.live.get() {
        Some(v) => format!("Live: version {v}"),
        None => "Not published yet".to_string(),
    };
    let publishing = RwSignal::new(false);
    let publish_disabled = move || {
        !ed.editable()
            || errors.get() > 0
            || publishing.get()
            || matches!(ed.save.get(), SaveState::Saving | SaveState::Conflict)
    };
    let on_publish = move |_| {
        publishing.set(true);
        spawn_local(async move {
            publish(ed).await;
            publishing.set(false);
        });
    };
    let file = NodeRef::<leptos::html::Input>::new();
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(f) = input.files().and_then(|l| l.get(0)) else {
            return;
        };
        input.set_value("");
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(f.text())
                .await
                .ok()
                .and_then(|v| v.as_string());
            match text {
                Some(t) => import(ed, &t),
                None => ed.fail("That file could not be read."),
            }
        });
    };
    let bot = ed.bot;
    view! {
        <div class="toolbar" role="toolbar" aria-label="Flow editor tools">
            <a class="back" href=format!("/bots/{bot}")>"‹ " {ed.bot_name.get_value()}</a>
            <div class="tool-group">
                <button type="button" class="small" aria-keyshortcuts="Control+Z Meta+Z" disabled=move || !can_undo.get() || !ed.editable() on:click=move |_| ed.undo()>
                    "Undo"
                </button>
                <button type="button" class="small" aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z Control+Y" disabled=move || !can_redo.get() || !ed.editable() on:click=move |_| ed.redo()>
                    "Redo"
                </button>
            </div>
            <div class="tool-group">
                <button type="button" class="small icon" aria-label="Zoom out" on:click=move |_| ed.zoom(1.0 / 1.25)>"−"</button>
                <span class="zoom" aria-label="Zoom level" data-testid="zoom">{zoom}</span>
                <button type="button" class="small icon" aria-label="Zoom in" on:click=move |_| ed.zoom(1.25)>"+"</button>
                <button type="button" class="small" on:click=move |_| ed.fit()>"Fit to screen"</button>
            </div>
            <span class=status_kind data-testid="save-status" role="status">{status}</span>
            <span class="badge" data-testid="live-version">{live}</span>
            <div class="tool-group push">
                <button type="button" class="small" on:click=move |_| export(ed)>"Export"</button>
                <button type="button" class="small" disabled=move || !ed.editable() on:click=move |_| {
                    if let Some(el) = file.get_untracked() { el.click(); }
                }>"Import"</button>
                <input type="file" accept=".json,application/json" class="sr-only" tabindex="-1" aria-label="Flow file to import" node_ref=file on:change=on_file data-testid="import-file" />
            </div>
            <button type="button" class="primary" data-testid="publish" disabled=publish_disabled on:click=on_publish
                title={move || if errors.get() > 0 { format!("Fix {} problem(s) first", errors.get()) } else { "Make this draft the version shoppers talk to".into() }}>
                {move || if publishing.get() { "Publishing…" } else { "Publish" }}
            </button>
        </div>
    }
}

/// Downloads the draft as a JSON file.
fn export(ed: Ed) {
    let json = ed
        .doc
        .with_untracked(|d| serde_json::to_string_pretty(d).unwrap_or_default());
    let name: String = ed
        .bot_name
        .get_value()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    download(&format!("{}-flow.json", name.trim_matches('-')), &json);
}

pub(crate) fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = document()
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Replaces the draft with an imported file, as one undoable edit.
fn import(ed: Ed, text: &str) {
    if !ed.alive() {
        return;
    }
    match read_import(text) {
        Err(why) => {
            let more = if why.len() > 1 {
                format!(" (and {} more problem(s))", why.len() - 1)
            } else {
                String::new()
            };
            ed.fail(format!(
                "This file was not imported: {}{more} Your flow is unchanged.",
                why[0]
            ));
        }
        Ok(doc) => {
            let steps = doc.nodes.len();
            let mut tidied = doc.clone();
            crate::editor_core::edit::tidy(&mut tidied);
            if ed.doc.with_untracked(|d| *d == tidied) {
                ed.flash("The imported flow is the same as yours: nothing changed.");
                return;
            }
            if ed.apply(Op::Replace { doc }, None) {
                ed.selected.set(Selection::default());
                let errors = ed.report.with_untracked(|r| r.errors().count());
                let tail = if errors > 0 {
                    format!("{errors} problem(s) to fix before publishing.")
                } else {
                    "No problems found.".to_string()
                };
                ed.flash(format!(
                    "Imported {steps} step(s). {tail} Undo brings your previous flow back."
                ));
                request_animation_frame(move || ed.fit());
            }
        }
    }
}

#[component]
pub(crate) fn Palette() -> impl IntoView {
    let ed = expect_context::<Ed>();
    view! {
        <section class="palette" aria-labelledby="palette-title">
            <h2 id="palette-title">"Add a step"</h2>
            <ul>
                {PALETTE
                    .iter()
                    .map(|item| {
                        let ty = item.type_name;
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="palette-item"
                                    data-type=ty
                                    aria-describedby=format!("palette-help-{ty}")
                                    disabled=move || !ed.editable()
                                    on:click=move |_| ed.add_node(ty)
                                >
                                    <strong>{item.label}</strong>
                                    <span id=format!("palette-help-{ty}") class="muted">{item.help}</span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub(crate) fn ProblemList() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let problems = Memo::new(move |_| {
        ed.report.with(|r| {
            let mut all: Vec<_> = r.problems.clone();
            all.sort_by_key(|p| p.severity != Severity::Error);
            all
        })
    });
    let errors = Memo::new(move |_| ed.report.with(|r| r.errors().count()));
    view! {
        <section class="problem-list" aria-labelledby="problems-title">
            <h2 id="problems-title">
                "Problems " <span class="badge" class:error={move || errors.get() > 0} data-testid="error-count">{errors}</span>
            </h2>
            {move || {
                let list = problems.get();
                if list.is_empty() {
                    return view! { <p class="ok" data-testid="no-problems">"No problems: ready to publish."</p> }.into_any();
                }
                view! {
                    <ul class="problems" data-testid="problems">
                        {list
                            .into_iter()
                            .map(|p| {
                                let error = p.severity == Severity::Error;
                                let node = p.node.clone().map(NodeId);
                                view! {
                                    <li class=if error { "error" } else { "warning" } data-code=p.code.clone()>
                                        <button
                                            type="button"
                                            class="link"
                                            on:click=move |_| {
                                                match &node {
                                                    Some(n) => ed.focus_node(n),
                                                    // Flow-wide problems (no start, keywords): the flow settings.
                                                    None => {
                                                        ed.selected.set(Selection::default());
                                                        ed.tab.set(Tab::Step);
                                                    }
                                                }
                                            }
                                        >
                                            <strong>{if error { "Must fix: " } else { "Note: " }}</strong>
                                            {p.message}
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
pub(crate) fn SideTabs() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let tab = |t: Tab, label: &'static str, id: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                id=format!("tab-{id}")
                aria-controls=format!("panel-{id}")
                aria-selected=move || (ed.tab.get() == t).to_string()
                class:active=move || ed.tab.get() == t
                on:click=move |_| ed.tab.set(t)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="tabs" role="tablist" aria-label="Side panel">
            {tab(Tab::Step, "Step", "step")}
            {tab(Tab::Try, "Try it", "try")}
            {tab(Tab::History, "History", "history")}
        </div>
        <div id="panel-step" role="tabpanel" aria-labelledby="tab-step" hidden=move || ed.tab.get() != Tab::Step>
            <Inspector />
        </div>
        <div id="panel-try" role="tabpanel" aria-labelledby="tab-try" hidden=move || ed.tab.get() != Tab::Try>
            <TryChat />
        </div>
        <div id="panel-history" role="tabpanel" aria-labelledby="tab-history" hidden=move || ed.tab.get() != Tab::History>
            <Versions />
        </div>
    }
}

#[component]
fn Versions() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let view_version = move |n: i64| {
        spawn_local(async move {
            match get_version_page(ed.bot, n).await {
                Ok(_) if !ed.alive() => {}
                Ok(page) => {
                    ed.selected.set(Selection::default());
                    ed.viewing.set(Some((n, page.document)));
                    request_animation_frame(move || ed.fit());
                }
                Err(e) => ed.fail(e.message),
            }
        });
    };
    let roll_back = move |n: i64| {
        spawn_local(async move {
            match restore_flow(ed.bot, n).await {
                Ok(v) => {
                    let new = ed.went_live(v);
                    ed.flash(format!(
                        "Version {n} is live again, as version {new}. Your draft is unchanged."
                    ));
                }
                Err(e) => ed.fail(e.message),
            }
        });
    };
    view! {
        <section class="versions-panel" aria-labelledby="versions-title">
            <h2 id="versions-title">"Published versions"</h2>
            <p class="hint">"Every publish is kept. View one read-only, copy it into the draft, or put it live again."</p>
            {move || {
                let list = ed.versions.get();
                if list.is_empty() {
                    return view! {
                        <p class="muted">"Nothing published yet. When the flow has no problems, press Publish to make it live."</p>
                    }
                    .into_any();
                }
                let live = ed.live.get();
                view! {
                    <ol class="versions" data-testid="versions">
                        {list
                            .into_iter()
                            .map(|v| {
                                let n = v.number;
                                view! {
                                    <li data-version=n>
                                        <div>
                                            <strong>"Version " {n}</strong>
                                            {(live == Some(n)).then(|| view! { <span class="badge start">"Live"</span> })}
                                        </div>
                                        <div class="muted">{format_time(v.created_at)} " · " {v.author}</div>
                                        {(!v.note.is_empty()).then(|| view! { <div class="muted">{v.note.clone()}</div> })}
                                        <div class="row-actions">
                                            <button type="button" class="small" on:click=move |_| view_version(n)>"View"</button>
                                            {(ed.can_edit && live != Some(n))
                                                .then(|| {
                                                    view! {
                                                        <button type="button" class="small" on:click=move |_| roll_back(n)>"Roll back to this"</button>
                                                    }
                                                })}
                                        </div>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                .into_any()
            }}
        </section>
    }
}

/// Offers back edits this browser kept because they could not be saved
/// when the merchant last left the editor.
#[component]
pub(crate) fn RecoveredBanner() -> impl IntoView {
    let ed = expect_context::<Ed>();
    move || {
        ed.recovered.get().map(|doc| {
            let restore = move |_| {
                ed.recovered.set(None);
                super::unsaved::forget(ed.bot);
                ed.viewing.set(None);
                if ed.apply(Op::Replace { doc: doc.clone() }, None) {
                    ed.selected.set(Selection::default());
                    ed.flash("Your unsaved changes are back in the draft. Undo brings the saved draft back.");
                    request_animation_frame(move || ed.fit());
                }
            };
            let discard = move |_| {
                ed.recovered.set(None);
                super::unsaved::forget(ed.bot);
                ed.flash("Discarded the changes kept in this browser.");
            };
            view! {
                <div class="recovered-banner" role="alert" data-testid="recovered">
                    <span>
                        "Some changes you made here last time could not be saved (the connection failed, or the flow was changed elsewhere). They are kept in this browser."
                    </span>
                    <button type="button" class="small primary" on:click=restore>"Bring my changes back"</button>
                    <button type="button" class="small" on:click=discard>"Discard them"</button>
                </div>
            }
        })
    }
}

#[component]
pub(crate) fn Notice() -> impl IntoView {
    let ed = expect_context::<Ed>();
    move || {
        ed.notice.get().map(|(error, text)| {
            view! {
                <div class="notice" class:error=error role=if error { "alert" } else { "status" } data-testid="notice">
                    <span>{text}</span>
                    <button type="button" class="icon" aria-label="Dismiss" on:click=move |_| ed.notice.set(None)>"✕"</button>
                </div>
            }
        })
    }
}

#[component]
pub(crate) fn ConflictDialog() -> impl IntoView {
    let ed = expect_context::<Ed>();
    move || {
        ed.conflict.get().map(|(revision, theirs)| {
            let load_theirs = {
                let theirs = theirs.clone();
                move |_| {
                    ed.conflict.set(None);
                    ed.revision.set(revision);
                    let mut tidy = theirs.clone();
                    crate::editor_core::edit::tidy(&mut tidy);
                    ed.saved_doc.set_value(tidy);
                    ed.save.set(SaveState::Saved);
                    ed.hist.update(|h| {
                        let _ = h.apply(&Op::Replace { doc: theirs.clone() }, None);
                    });
                    ed.prune_selection();
                    ed.flash("Loaded the version saved elsewhere. Undo brings your changes back if you need them.");
                }
            };
            let keep_mine = move |_| {
                ed.conflict.set(None);
                ed.revision.set(revision);
                ed.save.set(SaveState::Dirty);
                spawn_local(async move {
                    if save_now(ed).await {
                        ed.flash("Your version is saved; it replaced the one saved elsewhere.");
                    }
                });
            };
            // The dialog takes the keyboard: focus its first choice.
            request_animation_frame(|| {
                if let Some(el) = document()
                    .query_selector("[data-testid=conflict] button")
                    .ok()
                    .flatten()
                    .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = el.focus();
                }
            });
            view! {
                <div class="dialog-backdrop">
                    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="conflict-title" aria-describedby="conflict-text" data-testid="conflict">
                        <h2 id="conflict-title">"This flow was changed somewhere else"</h2>
                        <p id="conflict-text">
                            "While you were editing, this flow was saved from another tab or by someone else. "
                            "Your latest changes are not saved yet, and nothing has been overwritten. Which version do you want to keep?"
                        </p>
                        <div class="dialog-actions">
                            <button type="button" on:click=load_theirs>"Load their version"</button>
                            <button type="button" class="primary" on:click=keep_mine>"Keep mine (replace theirs)"</button>
                            <button type="button" class="small" on:click=move |_| export(ed)>"Download mine first"</button>
                        </div>
                    </div>
                </div>
            }
        })
    }
}
