//! The inbox: every channel's conversations in one live list, the open
//! conversation with its reply box, and the actions people take (issue 12).
//!
//! Both pages render fully on the server and their filters, paging and
//! forms work before the WASM bundle loads. After hydration one
//! server-sent event stream per browser tab (`/api/v1/inbox/stream`) keeps
//! the list, the open conversation, the top bar's counts and the tab's
//! title current, and raises desktop notifications once allowed.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{Card, Empty, Loaded, WidePage, format_time, param};
use crate::model::MemberSummary;
use crate::server_fns::{InboxFilters, get_conversation, list_conversations, list_members};
use crate::views::{
    ConversationDetail, ConversationPage, ConversationSummary, InboxCounts, TranscriptEntry,
};

/// A channel kind for people.
pub(crate) fn kind_label(kind: &str) -> &'static str {
    match kind {
        "messenger" => "Messenger",
        "whatsapp" => "WhatsApp",
        "web" => "Web chat",
        "test" => "Test",
        _ => "Other",
    }
}

/// How long ago `at` was, roughly ("5 min", "3 h 2 min").
fn waited(at: i64) -> String {
    let now = js_now();
    crate::channel::window::span(now.saturating_sub(at))
}

#[cfg(feature = "hydrate")]
fn js_now() -> i64 {
    js_sys::Date::now() as i64
}

#[cfg(not(feature = "hydrate"))]
fn js_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The inbox counts as the live stream last told them (none before the
/// first event, and always on the server).
pub(crate) fn live_counts() -> ArcReadSignal<Option<InboxCounts>> {
    live::counts()
}

#[cfg(feature = "hydrate")]
mod live {
    use std::cell::OnceCell;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use crate::views::InboxCounts;

    thread_local! {
        static COUNTS: OnceCell<ArcRwSignal<Option<InboxCounts>>> = const { OnceCell::new() };
    }

    /// One stream per tab, opened on first use.
    pub fn counts() -> ArcReadSignal<Option<InboxCounts>> {
        COUNTS.with(|cell| {
            cell.get_or_init(|| {
                let signal = ArcRwSignal::new(None);
                open(signal.clone());
                signal
            })
            .read_only()
        })
    }

    fn open(signal: ArcRwSignal<Option<InboxCounts>>) {
        let Ok(source) = web_sys::EventSource::new("/api/v1/inbox/stream") else {
            return;
        };
        let on_counts =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(text) = e.data().as_string() else {
                    return;
                };
                let Ok(counts) = serde_json::from_str::<InboxCounts>(&text) else {
                    return;
                };
                let before = signal.get_untracked();
                notify_new_handoffs(before, counts);
                signal.set(Some(counts));
            });
        let _ =
            source.add_event_listener_with_callback("counts", on_counts.as_ref().unchecked_ref());
        // Both live as long as the tab.
        on_counts.forget();
        std::mem::forget(source);
    }

    /// A desktop notification when more conversations wait than before,
    /// if the merchant allowed them.
    fn notify_new_handoffs(before: Option<InboxCounts>, now: InboxCounts) {
        let Some(before) = before else { return };
        if now.waiting <= before.waiting
            || web_sys::Notification::permission() != web_sys::NotificationPermission::Granted
        {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        options.set_body("A shopper is waiting for a person. Open the inbox to answer.");
        options.set_tag("botme-handoff");
        let _ = web_sys::Notification::new_with_options("Botme: someone is waiting", &options);
    }

    /// Asks the browser for permission to notify.
    pub fn ask_permission() {
        let _ = web_sys::Notification::request_permission();
    }

    /// Whether notifications are allowed already.
    pub fn allowed() -> bool {
        web_sys::Notification::permission() == web_sys::NotificationPermission::Granted
    }
}

#[cfg(not(feature = "hydrate"))]
mod live {
    use leptos::prelude::*;

    use crate::views::InboxCounts;

    pub fn counts() -> ArcReadSignal<Option<InboxCounts>> {
        ArcRwSignal::new(None).read_only()
    }

    pub fn ask_permission() {}

    pub fn allowed() -> bool {
        false
    }
}

/// The top bar's inbox link with its counts, kept live, and the tab's
/// title prefixed with the conversations waiting.
#[component]
pub(crate) fn InboxLink(initial: InboxCounts) -> impl IntoView {
    let live = live_counts();
    let counts = Signal::derive(move || live.get().unwrap_or(initial));
    Effect::new(move |_| {
        let waiting = counts.get().waiting;
        let doc = document();
        let title = doc.title();
        let bare = match title.strip_prefix('(') {
            Some(rest) => rest.split_once(") ").map_or(title.as_str(), |(_, t)| t),
            None => title.as_str(),
        }
        .to_string();
        doc.set_title(&if waiting > 0 {
            format!("({waiting}) {bare}")
        } else {
            bare
        });
    });
    view! {
        <a href="/conversations" data-testid="inbox-link">
            "Inbox"
            {move || {
                let c = counts.get();
                (c.unread > 0)
                    .then(|| {
                        view! {
                            <span class="count" data-testid="unread-count" title="Conversations with unread messages">
                                {c.unread}
                            </span>
                        }
                    })
            }}
            {move || {
                let c = counts.get();
                (c.waiting > 0)
                    .then(|| {
                        view! {
                            <span class="count waiting" data-testid="waiting-count" title="Waiting for a person">
                                {format!("{} waiting", c.waiting)}
                            </span>
                        }
                    })
            }}
        </a>
    }
}

/// The filters in the page's query string.
fn filters_from_query() -> Memo<InboxFilters> {
    let query = use_query_map();
    Memo::new(move |_| {
        query.with(|q| InboxFilters {
            status: q.get("status").filter(|s| !s.is_empty()),
            assignee: q.get("assignee").filter(|s| !s.is_empty()),
            channel: q.get("channel").filter(|s| !s.is_empty()),
            bot: q.get("bot").filter(|s| !s.is_empty()),
            q: q.get("q").filter(|s| !s.is_empty()),
            cursor: q.get("cursor").filter(|s| !s.is_empty()),
        })
    })
}

/// The query string of `f`, without the cursor unless `cursor` is given.
fn query_string(f: &InboxFilters, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    let mut add = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", js_encode(v)));
        }
    };
    add("status", f.status.as_deref());
    add("assignee", f.assignee.as_deref());
    add("channel", f.channel.as_deref());
    add("bot", f.bot.as_deref());
    add("q", f.q.as_deref());
    add("cursor", cursor);
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encodes a query value.
fn js_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `/conversations`: the inbox.
#[component]
pub fn Conversations() -> impl IntoView {
    let filters = filters_from_query();
    let list = Resource::new(
        move || filters.get(),
        |f| list_conversations(f.status, f.assignee, f.channel, f.bot, f.q, f.cursor),
    );
    // New messages, handoffs and replies refresh the list.
    let live = live_counts();
    Effect::new(move |first: Option<()>| {
        live.track();
        if first.is_some() {
            list.refetch();
        }
    });
    let notify = RwSignal::new(false);
    Effect::new(move |_| notify.set(live::allowed()));
    view! {
        <WidePage title="Inbox">
            <div class="inbox-head">
                <h1>"Inbox"</h1>
                <button
                    type="button"
                    class="small secondary"
                    data-testid="notify-button"
                    hidden=move || notify.get()
                    on:click=move |_| {
                        live::ask_permission();
                    }
                >
                    "Turn on notifications"
                </button>
            </div>
            <FilterForm filters=filters.get_untracked() />
            <Loaded data=list loading="Loading conversations…" let:page>
                <ConversationList page=page filters=filters.get_untracked() />
            </Loaded>
        </WidePage>
    }
}

#[component]
fn FilterForm(filters: InboxFilters) -> impl IntoView {
    let selected = |v: &Option<String>, want: &str| v.as_deref().unwrap_or("") == want;
    let status = filters.status.clone();
    let assignee = filters.assignee.clone();
    let channel = filters.channel.clone();
    let statuses = [
        ("", "All"),
        ("waiting", "Waiting for a person"),
        ("open", "Open"),
        ("closed", "Closed"),
    ];
    let assignees = [
        ("", "Anyone"),
        ("me", "Assigned to me"),
        ("none", "Unassigned"),
    ];
    let channels = [
        ("", "All channels"),
        ("messenger", "Messenger"),
        ("whatsapp", "WhatsApp"),
        ("web", "Web chat"),
    ];
    view! {
        <form method="get" action="/conversations" class="inbox-filters" data-testid="inbox-filters">
            <label>
                <span class="sr-only">"Status"</span>
                <select name="status">
                    {statuses.into_iter().map(|(v, l)| view! { <option value=v selected=selected(&status, v)>{l}</option> }).collect_view()}
                </select>
            </label>
            <label>
                <span class="sr-only">"Assignee"</span>
                <select name="assignee">
                    {assignees.into_iter().map(|(v, l)| view! { <option value=v selected=selected(&assignee, v)>{l}</option> }).collect_view()}
                </select>
            </label>
            <label>
                <span class="sr-only">"Channel"</span>
                <select name="channel">
                    {channels.into_iter().map(|(v, l)| view! { <option value=v selected=selected(&channel, v)>{l}</option> }).collect_view()}
                </select>
            </label>
            {filters.bot.clone().map(|b| view! { <input type="hidden" name="bot" value=b /> })}
            <label class="grow">
                <span class="sr-only">"Search"</span>
                <input type="search" name="q" value=filters.q.clone().unwrap_or_default() placeholder="Name, phone, email, order number or text" />
            </label>
            <button type="submit" class="small">"Filter"</button>
        </form>
    }
}

#[component]
fn ConversationList(page: ConversationPage, filters: InboxFilters) -> impl IntoView {
    if page.conversations.is_empty() {
        let filtered = filters != InboxFilters::default();
        return view! {
            <Empty testid="no-conversations" title=if filtered { "Nothing matches" } else { "No conversations yet" }>
                {if filtered {
                    "No conversation matches these filters. Clear them to see everything."
                } else {
                    "Connect a channel and publish a bot: shoppers' chats appear here."
                }}
            </Empty>
        }
        .into_any();
    }
    let next = page
        .next_cursor
        .as_deref()
        .map(|c| format!("/conversations{}", query_string(&filters, Some(c))));
    view! {
        <ul class="inbox-list" data-testid="conversation-list">
            {page.conversations.into_iter().map(row).collect_view()}
        </ul>
        {next.map(|href| view! {
            <p class="paging"><a href=href data-testid="next-page">"Next page →"</a></p>
        })}
    }
    .into_any()
}

fn row(c: ConversationSummary) -> impl IntoView {
    let waiting = c.status == "waiting";
    let class = if waiting {
        "inbox-row waiting"
    } else {
        "inbox-row"
    };
    let since = c.handoff_at.map(waited);
    view! {
        <li class=class data-testid="conversation-row" data-status=c.status.clone()>
            <a href=format!("/conversations/{}", c.id)>
                <div class="inbox-row-top">
                    <strong class="shopper">{c.shopper.clone()}</strong>
                    {(c.unread > 0).then(|| view! { <span class="count" data-testid="row-unread">{c.unread}</span> })}
                    <span class="muted when">{format_time(c.updated_at)}</span>
                </div>
                {waiting.then(|| view! {
                    <div class="badge status-waiting" data-testid="waiting-badge">
                        "Waiting for a person" {since.map(|s| format!(" · {s}"))}
                    </div>
                    <div class="muted reason">{c.handoff_reason.clone()}</div>
                })}
                <div class="muted last">{c.last_message.clone()}</div>
                <div class="muted meta">
                    {kind_label(&c.channel)} " · " {c.bot_name.clone()}
                    {(c.status == "closed").then_some(" · Closed")}
                    {c.assignee.clone().map(|a| format!(" · {a}"))}
                    {(c.held && !waiting).then_some(" · A person is on it")}
                </div>
            </a>
        </li>
    }
}

/// `/conversations/{id}`: one conversation.
#[component]
pub fn ConversationView() -> impl IntoView {
    let id = param("id");
    let conv = Resource::new(id, get_conversation);
    let live = live_counts();
    Effect::new(move |first: Option<()>| {
        live.track();
        if first.is_some() {
            conv.refetch();
        }
    });
    let members = Resource::new(|| (), |_| list_members());
    view! {
        <WidePage title="Conversation">
            <p class="crumbs"><a href="/conversations">"← Inbox"</a></p>
            <Loaded data=conv loading="Loading…" let:c>
                <ConversationBody conv=c members=members />
            </Loaded>
        </WidePage>
    }
}

fn status_label(e: &TranscriptEntry) -> Option<&'static str> {
    (e.direction == "out").then_some(match e.status.as_str() {
        "pending" | "sending" => "Sending",
        "sent" => "Sent",
        "delivered" => "Delivered",
        "read" => "Read",
        "failed" => "Not delivered",
        "skipped" => "Not sent",
        _ => "",
    })
}

fn entry_view(e: TranscriptEntry) -> impl IntoView {
    if e.direction == "action" {
        return view! {
            <div class="transcript-action" data-testid="transcript-action">
                {e.text.clone()} " · " <small>{format_time(e.at)}</small>
            </div>
        }
        .into_any();
    }
    let status = status_label(&e);
    let class = match (e.direction.as_str(), e.author.is_some()) {
        ("in", _) => "bubble shopper",
        (_, true) => "bubble bot person",
        _ => "bubble bot",
    };
    view! {
        <div class=class data-testid="transcript-entry">
            <div>{e.text.clone()}</div>
            <small class="muted">
                {e.author.clone().map(|a| format!("{a} · "))}
                {format_time(e.at)} {status.map(|s| format!(" · {s}"))}
                {e.error.clone().map(|err| format!(" — {err}"))}
            </small>
        </div>
    }
    .into_any()
}

#[component]
fn ConversationBody(
    conv: ConversationDetail,
    members: Resource<Result<Vec<MemberSummary>, crate::model::AppError>>,
) -> impl IntoView {
    let s = conv.summary;
    let id = s.id;
    let waiting = s.status == "waiting";
    let closed = s.status == "closed";
    let state_line = if waiting {
        format!("Waiting for a person. {}", s.handoff_reason)
    } else if closed {
        "Closed.".to_string()
    } else if s.held {
        "A person is answering; the bot is silent until you resume it.".to_string()
    } else if s.paused_until.is_some_and(|t| t > js_now()) {
        "The bot is paused after a reply sent outside Botme.".to_string()
    } else {
        "The bot is answering.".to_string()
    };
    let window = conv.window.clone();
    let assignee = s.assignee_id;
    let steps = conv.steps.clone();
    view! {
        <div class="conversation-head">
            <h1>{s.shopper.clone()}</h1>
            <p class="muted">
                {kind_label(&s.channel)} " · " {s.bot_name.clone()} " · started " {format_time(s.created_at)}
                " · flow version " {s.version}
                {s.assignee.clone().map(|a| format!(" · assigned to {a}"))}
            </p>
            <p class=if waiting { "state waiting" } else { "state" } data-testid="conversation-state">{state_line}</p>
        </div>
        <div class="conversation-actions">
            <form method="post" action=format!("/conversations/{id}/assign") class="inline">
                <label>
                    <span class="sr-only">"Assign to"</span>
                    <Suspense fallback=|| view! { <select name="member_id" disabled=true><option>"Members…"</option></select> }>
                        {move || members.get().map(|m| {
                            let list = m.unwrap_or_default();
                            view! {
                                <select name="member_id" data-testid="assign-select">
                                    <option value="" selected=assignee.is_none()>"Nobody"</option>
                                    {list.into_iter().map(|m| view! {
                                        <option value=m.user_id.to_string() selected=assignee == Some(m.user_id)>{m.email}</option>
                                    }).collect_view()}
                                </select>
                            }
                        })}
                    </Suspense>
                </label>
                <button type="submit" class="small secondary">"Assign"</button>
            </form>
            {if closed {
                view! {
                    <form method="post" action=format!("/conversations/{id}/reopen") class="inline">
                        <button type="submit" class="small secondary" data-testid="reopen">"Reopen"</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <form method="post" action=format!("/conversations/{id}/close") class="inline">
                        <button type="submit" class="small secondary" data-testid="close">"Close"</button>
                    </form>
                }.into_any()
            }}
            {(s.held || waiting || s.paused_until.is_some()).then(|| view! {
                <form method="post" action=format!("/conversations/{id}/resume") class="inline">
                    <label>
                        <span class="sr-only">"Resume at"</span>
                        <select name="step" data-testid="resume-step">
                            <option value="">"Where it left off (or the start)"</option>
                            {steps.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="small" data-testid="resume">"Resume the bot"</button>
                </form>
            })}
        </div>
        {(!conv.orders.is_empty()).then(|| view! {
            <Card title_id="conversation-orders" title="Orders">
                <ul>
                    {conv.orders.into_iter().map(|o| view! {
                        <li><a href=format!("/orders/{}", o.id)>{format!("#{}", o.number)}</a> " · " {o.total_label} " · " {o.status.label()}</li>
                    }).collect_view()}
                </ul>
            </Card>
        })}
        <section class="card transcript-card">
            <h2>"Transcript"</h2>
            <div class="chat-log tall" data-testid="transcript">
                {conv.transcript.into_iter().map(entry_view).collect_view()}
            </div>
            <ReplyBox id=id window=window />
        </section>
    }
}

#[component]
fn ReplyBox(id: i64, window: crate::channel::window::ReplyWindow) -> impl IntoView {
    let note_class = if window.can_send {
        "muted window"
    } else {
        "flash error window"
    };
    view! {
        <form method="post" action=format!("/conversations/{id}/reply") class="reply-box" data-testid="reply-box">
            <p class=note_class data-testid="reply-window">{window.note.clone()}</p>
            <label for="reply-text" class="sr-only">"Your reply"</label>
            <textarea
                id="reply-text"
                name="text"
                rows="2"
                disabled=!window.can_send
                placeholder="Type a reply…"
                data-testid="reply-text"
            ></textarea>
            <div class="reply-row">
                <details class="reply-more">
                    <summary>"Image or product"</summary>
                    <p class="muted">"Send the picture at an https address, or a product card by its id (see Products), instead of text."</p>
                    <label>"Image address " <input type="url" name="image_url" placeholder="https://" disabled=!window.can_send /></label>
                    <label>"Product id " <input type="text" name="product_id" inputmode="numeric" disabled=!window.can_send /></label>
                </details>
                <button type="submit" disabled=!window.can_send data-testid="reply-send">"Send"</button>
            </div>
        </form>
    }
}
