//! The public pages: the landing page, sign-up and log-in. The forms post to
//! plain server routes (`/signup`, `/login`) that redirect, so they work with
//! or without WASM.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{Page, use_page_data};
use crate::account::{MIN_PASSWORD_CHARS, password_problem};

/// The landing page for visitors.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <Page title="Chat commerce without code">
            <main class="hero">
                <h1>"Sell in the chat."</h1>
                <p class="lead">
                    "Botme lets you draw a shopping assistant on a canvas and publish it to "
                    "Messenger, WhatsApp and your own website. Shoppers browse your catalog, "
                    "fill a cart and order without leaving the conversation."
                </p>
                <p class="actions">
                    <a class="button primary" href="/signup">"Create your free account"</a>
                    <a class="button" href="/login">"Log in"</a>
                </p>
            </main>
        </Page>
    }
}

/// The email to show in a form: the one the last failed post used, if any.
fn remembered_email() -> Signal<String> {
    let data = use_page_data();
    Signal::derive(move || {
        data.get()
            .and_then(Result::ok)
            .and_then(|d| d.flash.email)
            .unwrap_or_default()
    })
}

/// The page to return to after logging in or signing up (`?next=`), as
/// the login page was asked for; the server checks it stays on this site.
fn next_param() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.with(|q| q.get("next").unwrap_or_default())
}

/// `page`, passing `next` on (an invitation's page) when there is one.
pub(crate) fn with_next(page: &str, next: &str) -> String {
    if next.is_empty() {
        page.to_string()
    } else {
        let encoded: String = next
            .chars()
            .map(|c| match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' => c.to_string(),
                _ => {
                    let mut buf = [0u8; 4];
                    c.encode_utf8(&mut buf)
                        .bytes()
                        .map(|b| format!("%{b:02X}"))
                        .collect()
                }
            })
            .collect();
        format!("{page}?next={encoded}")
    }
}

/// Sign up: creates a user and their first workspace.
#[component]
pub fn SignUp() -> impl IntoView {
    let email = remembered_email();
    let next = next_param();
    let (password, set_password) = signal(String::new());
    let (typed_email, set_typed_email) = signal(None::<String>);
    let hint = move || {
        let pw = password.get();
        if pw.is_empty() {
            return format!("At least {MIN_PASSWORD_CHARS} characters, not easy to guess.");
        }
        let mail = typed_email.get().unwrap_or_else(|| email.get());
        match password_problem(&pw, Some(&mail)) {
            Some(problem) => problem.to_string(),
            None => "Good password.".to_string(),
        }
    };
    let hint_ok = move || {
        let pw = password.get();
        !pw.is_empty() && password_problem(&pw, typed_email.get().as_deref()).is_none()
    };
    view! {
        <main class="narrow">
            <h1>"Create your Botme account"</h1>
            <p class="muted">"You get a workspace for your shop. You can invite your team later."</p>
            <Suspense fallback=|| ()>
                <form method="post" action="/signup" class="stack" data-testid="signup-form">
                    <input type="hidden" name="next" value=next />
                    <label>
                        "Email"
                        <input
                            type="email"
                            name="email"
                            autocomplete="email"
                            required
                            value=move || email.get()
                            on:input=move |ev| set_typed_email.set(Some(event_target_value(&ev)))
                        />
                    </label>
                    <label>
                        "Password"
                        <input
                            type="password"
                            name="password"
                            autocomplete="new-password"
                            required
                            minlength=MIN_PASSWORD_CHARS.to_string()
                            aria-describedby="password-hint"
                            on:input=move |ev| set_password.set(event_target_value(&ev))
                        />
                    </label>
                    <p id="password-hint" class="hint" class:ok=hint_ok aria-live="polite">
                        {hint}
                    </p>
                    <label>
                        "Shop or workspace name"
                        <input type="text" name="workspace" required maxlength="80" placeholder="Ana's Sneakers" />
                    </label>
                    <button type="submit" class="primary">"Create account"</button>
                </form>
            </Suspense>
            <p>"Already have an account? " <a href=move || with_next("/login", &next())>"Log in"</a></p>
        </main>
    }
}

/// Log in with email and password.
#[component]
pub fn LogIn() -> impl IntoView {
    let email = remembered_email();
    let next = next_param();
    view! {
        <main class="narrow">
            <h1>"Log in to Botme"</h1>
            <Suspense fallback=|| ()>
                <form method="post" action="/login" class="stack" data-testid="login-form">
                    <input type="hidden" name="next" value=next />
                    <label>
                        "Email"
                        <input type="email" name="email" autocomplete="username" required value=move || email.get() />
                    </label>
                    <label>
                        "Password"
                        <input type="password" name="password" autocomplete="current-password" required />
                    </label>
                    <button type="submit" class="primary">"Log in"</button>
                </form>
            </Suspense>
            <p>"New to Botme? " <a href=move || with_next("/signup", &next())>"Create an account"</a></p>
        </main>
    }
}
