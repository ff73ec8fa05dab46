//! The "Try it" chat: the interpreter, compiled to WASM, runs the current
//! draft against the workspace's real catalog, in the browser. Nothing is
//! sent and nothing is stored; the steps it goes through light up on the
//! canvas. Calls to the merchant's system are not made either: the chat
//! shows what would be called, and the merchant picks whether to pretend
//! the call worked or failed.

use leptos::prelude::*;

use super::Ed;
use crate::flow::doc::NodeKind;
use crate::flow::interpreter::{Input, ValidFlow};
use crate::flow::simulate::{HttpOutcome, Simulation};
use crate::ui::bot::{ChatForm, Transcript};

fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

#[component]
pub(crate) fn TryChat() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let sim = RwSignal::new(Simulation::default());
    let http = RwSignal::new(HttpOutcome::Success);
    let calls_out = Memo::new(move |_| {
        ed.doc.with(|d| {
            d.nodes
                .iter()
                .any(|n| matches!(n.kind, NodeKind::HttpRequest(_)))
        })
    });
    // Usable once the WASM bundle runs the interpreter.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let log = NodeRef::<leptos::html::Div>::new();
    let send = move |input: Input| {
        let flow = ValidFlow::unchecked(ed.doc.get_untracked());
        sim.update(|s| {
            s.http = http.get_untracked();
            ed.catalog.with_value(|c| {
                s.send(
                    &flow,
                    c,
                    input,
                    now_ms(),
                    "https://example.invalid/o/preview",
                )
            })
        });
        ed.path.set(sim.with_untracked(|s| s.visited.clone()));
        if let Some(el) = log.get_untracked() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    };
    let restart = move |_: ()| {
        sim.set(Simulation::default());
        ed.path.set(Vec::new());
        send(Input::Start);
    };
    let vars = move || sim.with(|s| s.session.vars.clone());
    let cart = move || {
        sim.with(|s| {
            let lines: Vec<(String, u32, String)> = s
                .session
                .cart
                .lines
                .iter()
                .map(|l| (l.name.clone(), l.qty, l.unit_price.to_string()))
                .collect();
            let total = s.session.cart.total().ok().flatten().map(|m| m.to_string());
            (lines, total)
        })
    };
    view! {
        <section class="preview-chat" aria-labelledby="try-title" data-testid="preview-chat">
            <h2 id="try-title">"Try your flow"</h2>
            <p class="hint">
                "Chat with the draft as a shopper would, with your real catalog. It runs here in your browser: nothing is sent and no order is stored."
            </p>
            <div class="chat-log wc-log" aria-live="polite" node_ref=log>
                {move || {
                    let (lines, orders) = sim.with(|s| (s.lines.clone(), s.orders.len()));
                    if lines.is_empty() {
                        view! {
                            <div class="empty small-empty">
                                <button type="button" class="primary" on:click=move |_| restart(())>"Start the conversation"</button>
                            </div>
                        }
                        .into_any()
                    } else {
                        view! { <Transcript lines=lines orders=orders on_tap=send /> }.into_any()
                    }
                }}
            </div>
            <ChatForm
                input_id="preview-input"
                label="Message to the bot"
                ready=ready
                on_send=Callback::new(move |text: String| send(Input::Text { text }))
                on_restart=Callback::new(move |()| restart(()))
            />
            <Show when=move || calls_out.get()>
                <div class="field inline-field">
                    <label for="preview-http">"When the flow calls your system"</label>
                    <select
                        id="preview-http"
                        on:change=move |ev| {
                            http.set(if event_target_value(&ev) == "failure" { HttpOutcome::Failure } else { HttpOutcome::Success })
                        }
                    >
                        <option value="success" selected=move || http.get() == HttpOutcome::Success>"Pretend it worked (replies {})"</option>
                        <option value="failure" selected=move || http.get() == HttpOutcome::Failure>"Pretend it failed"</option>
                    </select>
                </div>
            </Show>
            <div class="preview-state">
                <section aria-labelledby="vars-title">
                    <h3 id="vars-title">"Remembered values"</h3>
                    {move || {
                        let v = vars();
                        if v.is_empty() {
                            view! { <p class="muted">"None yet."</p> }.into_any()
                        } else {
                            view! {
                                <dl class="vars" data-testid="preview-vars">
                                    {v.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                                </dl>
                            }
                            .into_any()
                        }
                    }}
                </section>
                <section aria-labelledby="cart-title">
                    <h3 id="cart-title">"Cart"</h3>
                    {move || {
                        let (lines, total) = cart();
                        if lines.is_empty() {
                            view! { <p class="muted">"Empty."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="cart-lines" data-testid="preview-cart">
                                    {lines.into_iter().map(|(name, qty, price)| view! { <li>{qty} " × " {name} " — " {price}</li> }).collect_view()}
                                </ul>
                                {total.map(|t| view! { <p><strong>"Total: " {t}</strong></p> })}
                            }
                            .into_any()
                        }
                    }}
                </section>
            </div>
        </section>
    }
}
