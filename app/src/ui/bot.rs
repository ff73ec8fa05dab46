//! A bot's page: its problems, publishing, the flow outline, a test chat
//! running the draft, and the version history with restore.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{Card, ErrorBox, Loaded, WidePage, columns, format_time, list_table, param};
use crate::channel::{CardButton, Choice, Outbound, is_web_address};
use crate::flow::doc::{FlowDoc, HttpMethod, NodeKind};
use crate::flow::interpreter::Input;
use crate::flow::simulate::SimLine;
use crate::flow::validate::describe;
use crate::flow::{Problem, Severity};
use crate::server_fns::{
    BotPage, SimResult, VersionPage, get_bot_page, get_version_page, simulate_draft,
};

/// `/bots/{id}`.
#[component]
pub fn BotView() -> impl IntoView {
    let id = param("id");
    let page = Resource::new(id, get_bot_page);
    view! {
        <WidePage title="Bot">
            <Loaded data=page loading="Loading…" let:p>
                <BotBody page=p />
            </Loaded>
        </WidePage>
    }
}

#[component]
fn BotBody(page: BotPage) -> impl IntoView {
    let id = page.bot.id;
    let errors = page
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let status = match page.bot.published_version {
        Some(v) => format!("Live: version {v}"),
        None => "Not published yet".to_string(),
    };
    view! {
        <Title text=page.bot.name.clone() />
        <p class="crumbs"><a href="/dashboard">"Bots"</a> " › " {page.bot.name.clone()}</p>
        <div class="page-head">
            <h1>{page.bot.name.clone()}</h1>
            <span class="badge" data-testid="bot-status">{status}</span>
        </div>
        <p class="muted">
            "Draft revision " {page.bot.draft_revision} " · " {page.document.nodes.len()} " steps · changed "
            {format_time(page.bot.updated_at)}
        </p>
        <p>
            <a class="button primary" href=format!("/bots/{id}/edit") data-testid="open-editor">
                {if page.can_edit { "Open the flow editor" } else { "View the flow" }}
            </a>
        </p>
        <Problems problems=page.problems.clone() doc=page.document.clone() />
        {page
            .can_edit
            .then(|| {
                view! {
                    <form method="post" action=format!("/bots/{id}/publish") class="inline-form">
                        <button type="submit" class="primary" disabled={errors > 0} data-testid="publish">
                            "Publish"
                        </button>
                        <span class="muted">
                            {if errors > 0 {
                                "Fix the problems above to publish."
                            } else {
                                "Publishing makes this draft the version shoppers talk to."
                            }}
                        </span>
                    </form>
                }
            })}
        <Card title_id="chat-title" title="Try it">
            <p class="muted">"Chat with the current draft. Nothing is sent to shoppers and no order is stored."</p>
            <TestChat bot=id />
        </Card>
        <Card title_id="outline-title" title="Steps">
            <Outline doc=page.document.clone() />
            <p>
                <a href=format!("/api/v1/bots/{id}/draft") download=format!("bot-{id}.json")>
                    "Download the flow as JSON"
                </a>
            </p>
        </Card>
        <Versions bot=id versions=page.versions.clone() can_edit=page.can_edit />
    }
}

#[component]
fn Problems(problems: Vec<Problem>, doc: FlowDoc) -> impl IntoView {
    if problems.is_empty() {
        return view! { <p class="flash notice" data-testid="no-problems">"No problems: this flow is ready to publish."</p> }
            .into_any();
    }
    let name = move |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| doc.nodes.iter().find(|n| n.id.0 == *id))
            .map(describe)
    };
    view! {
        <Card title_id="problems-title" title="Problems">
            <ul class="problems" data-testid="problems">
                {problems
                    .into_iter()
                    .map(|p| {
                        let kind = if p.severity == Severity::Error { "error" } else { "warning" };
                        let label = if p.severity == Severity::Error { "Must fix" } else { "Note" };
                        let on = name(&p.node).map(|n| format!(" ({n})")).unwrap_or_default();
                        view! {
                            <li class=kind data-code=p.code.clone()>
                                <strong>{label}": "</strong>
                                {p.message}
                                <span class="muted">{on}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </Card>
    }
    .into_any()
}

/// A plain-words outline of a flow: each step, what it says, where it goes.
#[component]
pub fn Outline(doc: FlowDoc) -> impl IntoView {
    if doc.nodes.is_empty() {
        return view! {
            <div class="empty">
                <p>"This flow has no steps yet. Start from a template, or add steps in the editor."</p>
            </div>
        }
        .into_any();
    }
    let start = doc.start.clone();
    let steps = doc
        .nodes
        .iter()
        .map(|n| {
            let is_start = start.as_ref() == Some(&n.id);
            let summary = summary(&n.kind);
            let exits = n
                .kind
                .ports()
                .into_iter()
                .map(|port| {
                    let to = doc
                        .edges
                        .iter()
                        .find(|e| e.from == n.id && e.port == port.name)
                        .and_then(|e| doc.node(&e.to))
                        .map(describe)
                        .unwrap_or_else(|| "—".to_string());
                    view! { <li>{port.label} " → " {to}</li> }
                })
                .collect_view();
            view! {
                <li class="step" data-node=n.id.0.clone()>
                    <div class="step-head">
                        <span class="badge">{n.kind.label()}</span>
                        {is_start.then(|| view! { <span class="badge start">"Start"</span> })}
                        <code class="muted">{n.id.0.clone()}</code>
                    </div>
                    <p>{summary}</p>
                    <ul class="exits">{exits}</ul>
                </li>
            }
        })
        .collect_view();
    let triggers = doc
        .triggers
        .iter()
        .map(|t| {
            let to = doc.node(&t.to).map(describe).unwrap_or_else(|| "—".into());
            view! { <li>"“" {t.keywords.join("”, “")} "” → " {to}</li> }
        })
        .collect_view();
    view! {
        <ol class="outline">{steps}</ol>
        {(!doc.triggers.is_empty())
            .then(|| {
                view! {
                    <h3>"Keywords that work anywhere"</h3>
                    <ul>{triggers}</ul>
                }
            })}
    }
    .into_any()
}

fn summary(kind: &NodeKind) -> String {
    match kind {
        NodeKind::Message(s) => s.text.clone(),
        NodeKind::QuickReply(s) => format!(
            "{} [{}]",
            s.text,
            s.options
                .iter()
                .map(|o| o.label.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        ),
        NodeKind::ProductCarousel(s) => {
            format!("{} (up to {} products at a time)", s.text, s.page_size)
        }
        NodeKind::Checkout(s) => format!("Confirms the cart and places the order. {}", s.text),
        NodeKind::Ask(s) => format!("{} (saved as {{{{{}}}}})", s.text, s.save_as),
        NodeKind::Condition(s) => format!("Checks {} condition(s)", s.branches.len()),
        NodeKind::SetVariable(s) => format!("{{{{{}}}}} = {}", s.name, s.value),
        NodeKind::ShowCart(s) => format!("Shows the cart. {}", s.text),
        NodeKind::OrderStatus(s) => format!("Lists the shopper's orders. {}", s.text),
        NodeKind::Handoff(s) => s.text.clone(),
        NodeKind::HttpRequest(s) => format!("Calls {}", s.url),
        NodeKind::End(s) => s.text.clone(),
    }
}

#[component]
fn Versions(
    bot: i64,
    versions: Vec<crate::views::VersionSummary>,
    can_edit: bool,
) -> impl IntoView {
    view! {
        <Card title_id="versions-title" title="Version history">
            {if versions.is_empty() {
                view! { <p class="muted">"Nothing published yet. Publish the draft to make it live."</p> }.into_any()
            } else {
                view! {
                    {list_table(
                        "versions",
                        columns(["Version", "Published", "By", "Note", "Actions"]),
                        versions
                            .into_iter()
                            .map(|v| {
                                let n = v.number;
                                view! {
                                    <tr>
                                        <td>"v" {n}</td>
                                        <td class="muted">{format_time(v.created_at)}</td>
                                        <td>{v.author}</td>
                                        <td class="muted">{v.note}</td>
                                        <td class="row-actions">
                                            <a href=format!("/bots/{bot}/versions/{n}")>"View"</a>
                                            {can_edit
                                                .then(|| {
                                                    view! {
                                                        <form method="post" action=format!("/bots/{bot}/versions/{n}/restore")>
                                                            <button type="submit" class="small">"Restore as new version"</button>
                                                        </form>
                                                    }
                                                })}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view(),
                    )}
                }
                    .into_any()
            }}
        </Card>
    }
}

/// The test chat: replays every input through the draft on the server and
/// shows the transcript, with its buttons tappable.
#[component]
fn TestChat(bot: i64) -> impl IntoView {
    let inputs = RwSignal::new(Vec::<Input>::new());
    let result = Resource::new(
        move || inputs.get(),
        move |inputs| async move {
            if inputs.is_empty() {
                Ok(SimResult {
                    transcript: vec![],
                    orders: 0,
                })
            } else {
                simulate_draft(bot, inputs).await
            }
        },
    );
    let push = move |input: Input| inputs.update(|v| v.push(input));
    // The chat needs the WASM bundle; keep it disabled until hydration.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    // Keep the newest message in view.
    let log = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if result.get().is_some()
            && let Some(el) = log.get()
        {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });
    view! {
        <div class="chat" data-testid="test-chat">
            <noscript><p class="muted">"Turn on JavaScript to chat with your bot here."</p></noscript>
            <div class="chat-log wc-log" aria-live="polite" node_ref=log>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match result.await {
                            Ok(r) => view! { <Transcript lines=r.transcript orders=r.orders on_tap=push /> }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
            <ChatForm
                input_id="chat-input"
                label="Message"
                ready=ready
                on_send=Callback::new(move |text: String| push(Input::Text { text }))
                on_restart=Callback::new(move |()| inputs.set(vec![]))
            />
        </div>
    }
}

/// The text box under a chat: Send types as the shopper, Restart starts
/// over. Disabled until `ready` (the chats need the WASM bundle).
#[component]
pub(crate) fn ChatForm(
    input_id: &'static str,
    label: &'static str,
    #[prop(into)] ready: Signal<bool>,
    on_send: Callback<String>,
    on_restart: Callback<()>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    view! {
        <form
            class="inline-form"
            on:submit=move |ev| {
                ev.prevent_default();
                let t = text.get_untracked();
                if !t.trim().is_empty() {
                    text.set(String::new());
                    on_send.run(t);
                }
            }
        >
            <fieldset class="inline-form bare" disabled=move || !ready.get()>
                <label for=input_id class="sr-only">{label}</label>
                <input id=input_id type="text" placeholder="Type as a shopper would…" autocomplete="off" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) />
                <button type="submit">"Send"</button>
                <button type="button" on:click=move |_| on_restart.run(())>"Restart"</button>
            </fieldset>
        </form>
    }
}

#[component]
pub(crate) fn Transcript(
    lines: Vec<SimLine>,
    orders: usize,
    on_tap: impl Fn(Input) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    if lines.is_empty() {
        return view! { <p class="muted">"Say “hi” to start."</p> }.into_any();
    }
    let tap = move |payload: String| {
        move |_| {
            on_tap(Input::Payload {
                payload: payload.clone(),
            })
        }
    };
    // What each button said, to show a tap as its label.
    let mut labels = std::collections::HashMap::new();
    for line in &lines {
        if let SimLine::Out { message } = line {
            match message {
                Outbound::Choices { choices, .. } => {
                    labels.extend(choices.iter().map(|c| (c.payload.clone(), c.label.clone())));
                }
                Outbound::Cards { cards, choices, .. } => {
                    labels.extend(choices.iter().map(|c| (c.payload.clone(), c.label.clone())));
                    for card in cards {
                        for b in &card.buttons {
                            if let CardButton::Postback { label, payload } = b {
                                labels.insert(payload.clone(), format!("{label}: {}", card.title));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // The same elements and classes as the widget's chat page
    // (server/src/webchat/chat.html), styled by the one shared stylesheet.
    let choice_box = move |choices: Vec<Choice>| {
        (!choices.is_empty()).then(|| {
            view! {
                <div class="wc-choices">
                    {choices
                        .into_iter()
                        .map(|c| view! { <button type="button" on:click=tap(c.payload)>{c.label}</button> })
                        .collect_view()}
                </div>
            }
        })
    };
    let link = move |url: String, label: String| {
        let href = is_web_address(&url).then_some(url);
        view! { <a class="wc-link" href=href target="_blank" rel="noopener noreferrer">{label}</a> }
    };
    let bubbles = lines
        .into_iter()
        .map(|line| match line {
            // The widget does not show that the chat was opened.
            SimLine::In { input: Input::Start } => ().into_any(),
            SimLine::In { input } => {
                let text = match input {
                    Input::Text { text } => text,
                    Input::Payload { payload } => labels
                        .get(&payload)
                        .cloned()
                        .unwrap_or_else(|| "(tapped a button)".into()),
                    other => format!("{other:?}"),
                };
                view! { <div class="wc-b wc-me">{text}</div> }.into_any()
            }
            SimLine::Call { method, url, status } => {
                let method = match method {
                    HttpMethod::Get => "GET",
                    HttpMethod::Post => "POST",
                };
                let answer = if (200..300).contains(&status) {
                    "pretending it worked"
                } else {
                    "pretending it failed"
                };
                view! {
                    <div class="wc-note" data-testid="simulated-call">
                        "(would call " {method} " " {url} "; nothing is sent in a test, " {answer} ")"
                    </div>
                }
                .into_any()
            }
            SimLine::Out { message } => match message {
                Outbound::Text { text } => view! { <div class="wc-b wc-bot"><div>{text}</div></div> }.into_any(),
                Outbound::Choices { text, choices } => view! {
                    <div class="wc-b wc-bot">
                        <div>{text}</div>
                        {choice_box(choices)}
                    </div>
                }
                .into_any(),
                Outbound::Cards { text, cards, choices } => view! {
                    <div class="wc-b wc-bot">
                        {(!text.is_empty()).then(|| view! { <div>{text}</div> })}
                        <div class="wc-cards">
                            {cards
                                .into_iter()
                                .map(|card| {
                                    let title = card.title.clone();
                                    view! {
                                        <div class="wc-card">
                                            {card.image_url.filter(|u| is_web_address(u)).map(|u| view! { <img src=u alt="" loading="lazy" /> })}
                                            <strong>{title}</strong>
                                            <span class="wc-sub">{card.subtitle}</span>
                                            {card
                                                .buttons
                                                .into_iter()
                                                .map(|b| match b {
                                                    CardButton::Postback { label, payload } => {
                                                        view! { <button type="button" on:click=tap(payload)>{label}</button> }.into_any()
                                                    }
                                                    CardButton::Url { label, url } => link(url, label).into_any(),
                                                })
                                                .collect_view()}
                                        </div>
                                    }
                                })
                                .collect_view()}
                        </div>
                        {choice_box(choices)}
                    </div>
                }
                .into_any(),
                Outbound::Image { url, caption } => view! {
                    <div class="wc-b wc-bot">
                        {is_web_address(&url).then(|| view! { <img src=url alt=caption.clone().unwrap_or_default() /> })}
                        {caption.map(|c| view! { <div>{c}</div> })}
                    </div>
                }
                .into_any(),
                Outbound::Link { text, label, url } => view! {
                    <div class="wc-b wc-bot"><div>{text}</div>{link(url, label)}</div>
                }
                .into_any(),
                Outbound::Typing => ().into_any(),
            },
        })
        .collect_view();
    view! {
        {bubbles}
        {(orders > 0).then(|| view! { <p class="muted">"This test would have placed " {orders} " order(s); none was stored."</p> })}
    }
    .into_any()
}

/// `/bots/{id}/versions/{n}`: a published version, read-only.
#[component]
pub fn VersionView() -> impl IntoView {
    let id = param("id");
    let n = param("n");
    let page = Resource::new(move || (id(), n()), |(id, n)| get_version_page(id, n));
    view! {
        <WidePage title="Version">
            <Loaded data=page loading="Loading…" let:p>
                <VersionBody page=p />
            </Loaded>
        </WidePage>
    }
}

#[component]
fn VersionBody(page: VersionPage) -> impl IntoView {
    let bot = page.bot.id;
    let n = page.version.number;
    view! {
        <p class="crumbs">
            <a href="/dashboard">"Bots"</a> " › " <a href=format!("/bots/{bot}")>{page.bot.name.clone()}</a> " › v" {n}
        </p>
        <h1>{page.bot.name.clone()} ": version " {n}</h1>
        <p class="muted">
            "Published " {format_time(page.version.created_at)} " by " {page.version.author.clone()} ". "
            {page.version.note.clone()} " Published versions never change."
        </p>
        {page
            .can_edit
            .then(|| {
                view! {
                    <form method="post" action=format!("/bots/{bot}/versions/{n}/restore")>
                        <button type="submit">"Restore as new version"</button>
                    </form>
                }
            })}
        <section class="card">
            <Outline doc=page.document />
        </section>
    }
}
