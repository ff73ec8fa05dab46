//! How Messenger, WhatsApp and the web widget show the selected step, as
//! phone mock-ups with the advice each channel's limits give.

use leptos::prelude::*;

use super::super::Ed;
use crate::channel::Channel;
use crate::channel::appearance::{Bubble, bubbles};
use crate::flow::doc::{Node, NodeId};
use crate::flow::simulate::sample_messages;

/// How Messenger, WhatsApp and the web widget show the step, with the
/// ways each channel's limits change it.
#[component]
pub(super) fn ChannelPreview(id: NodeId, node: Memo<Option<Node>>) -> impl IntoView {
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
