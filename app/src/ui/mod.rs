//! The merchant-facing pages: the HTML shell, the router and the shared page
//! frame. Pages render fully on the server (`SsrMode::Async`), so every form
//! works before the WASM bundle has loaded; hydration then adds conveniences
//! such as live password hints and delete confirmations.

mod auth;
mod bot;
mod catalog;
mod channels;
pub mod contacts;
mod dashboard;
mod editor;
mod inbox;
mod invitation;
mod loaded;
mod orders;
mod parts;
mod settings;

use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{A, Route, Router, Routes},
};

pub(crate) use self::loaded::{Empty, Loaded};
pub(crate) use self::parts::{
    Card, Page, WidePage, actions_column, columns, list_table, param, with_can_edit,
};
use crate::model::{AppError, ErrorCode, Flash};
use crate::server_fns::{PageData, get_page_data};

/// A speech bubble, inline so that no extra request is needed.
#[cfg(feature = "ssr")]
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Cpath d='M4 6a4 4 0 0 1 4-4h16a4 4 0 0 1 4 4v13a4 4 0 0 1-4 4H13l-7 6v-6H8a4 4 0 0 1-4-4z' fill='%234f46e5'/%3E%3C/svg%3E";

/// How the web widget shows a conversation: inlined by the widget's chat
/// page and by every dashboard page, for the editor's preview chat.
pub const WEBCHAT_CSS: &str = include_str!("../../../style/webchat.css");

/// The whole HTML document, rendered on the server around [`App`].
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::{HashedStylesheet, MetaTags};
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href=FAVICON />
                <HashedStylesheet id="botme-css" options=options.clone() />
                <style id="webchat-css" inner_html=WEBCHAT_CSS></style>
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: routes to pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Tests and scripts wait for this marker before relying on hydration.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|text| format!("{text} · Botme") />
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("") view=auth::Home ssr=SsrMode::Async />
                <Route path=StaticSegment("signup") view=page("Create your account", auth::SignUp) ssr=SsrMode::Async />
                <Route path=StaticSegment("login") view=page("Log in", auth::LogIn) ssr=SsrMode::Async />
                <Route
                    path=StaticSegment("dashboard")
                    view=page("Your bots", dashboard::Dashboard)
                    ssr=SsrMode::Async
                />
                <Route
                    path=StaticSegment("settings")
                    view=page("Settings", settings::Settings)
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("bots"), ParamSegment("id"))
                    view=bot::BotView
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("bots"), ParamSegment("id"), StaticSegment("edit"))
                    view=editor::FlowEditor
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("bots"), ParamSegment("id"), StaticSegment("versions"), ParamSegment("n"))
                    view=bot::VersionView
                    ssr=SsrMode::Async
                />
                <Route path=StaticSegment("products") view=page("Products", catalog::Products) ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("products"), ParamSegment("id"))
                    view=catalog::ProductEdit
                    ssr=SsrMode::Async
                />
                <Route path=StaticSegment("orders") view=orders::Orders ssr=SsrMode::Async />
                <Route path=StaticSegment("channels") view=channels::Channels ssr=SsrMode::Async />
                <Route
                    path=StaticSegment("conversations")
                    view=inbox::Conversations
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("conversations"), ParamSegment("id"))
                    view=inbox::ConversationView
                    ssr=SsrMode::Async
                />
                <Route path=StaticSegment("contacts") view=contacts::Contacts ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("contacts"), ParamSegment("id"))
                    view=contacts::ContactView
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("orders"), ParamSegment("id"))
                    view=orders::OrderView
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("invitations"), ParamSegment("token"))
                    view=invitation::InvitationView
                    ssr=SsrMode::Async
                />
            </Routes>
        </Router>
    }
}

/// A route's view: the page `body` in a [`Page`] titled `title`. The body
/// is called inside the frame, where the page data is provided.
fn page<V: IntoView + 'static>(
    title: &'static str,
    body: fn() -> V,
) -> impl Fn() -> AnyView + Clone + Send + 'static {
    move || view! { <Page title>{body()}</Page> }.into_any()
}

/// Shown for any path no route matches, with a 404 status.
#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found" />
        <main class="narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have been moved or deleted."</p>
            <p>
                <a href="/dashboard">"Go to your bots"</a>
            </p>
        </main>
    }
}

/// The page data resource shared by the frame and the page inside it.
pub(crate) type PageResource = Resource<Result<PageData, AppError>>;

/// The page data of the current page, provided by [`Frame`].
pub(crate) fn use_page_data() -> PageResource {
    expect_context::<PageResource>()
}

/// The chrome around every page: the top bar for signed-in users and the
/// flash message left by the previous form post.
#[component]
pub(crate) fn Frame(children: Children) -> impl IntoView {
    let data: PageResource = Resource::new(|| (), |_| get_page_data());
    provide_context(data);
    view! {
        <Loaded data=data let:d>
            <TopBar data=d.clone() />
            <FlashBox flash=d.flash />
        </Loaded>
        {children()}
    }
}

/// The navigation bar: brand, sections, workspace switcher and log out.
#[component]
fn TopBar(data: PageData) -> impl IntoView {
    let Some(account) = data.account else {
        return view! {
            <header class="topbar">
                <a class="brand" href="/">"Botme"</a>
                <nav class="nav">
                    <A href="/login">"Log in"</A>
                    <A href="/signup">"Sign up"</A>
                </nav>
            </header>
        }
        .into_any();
    };
    let current = account.workspace.id;
    let many = account.workspaces.len() > 1;
    view! {
        <header class="topbar">
            <a class="brand" href="/dashboard">"Botme"</a>
            <nav class="nav" aria-label="Main">
                <A href="/dashboard">"Bots"</A>
                <A href="/products">"Products"</A>
                <A href="/orders">"Orders"</A>
                <inbox::InboxLink initial=account.inbox />
                <A href="/contacts">"Contacts"</A>
                <A href="/channels">"Channels"</A>
                <A href="/settings">"Settings"</A>
            </nav>
            <div class="account">
                <form
                    method="post"
                    action="/workspaces/switch"
                    class="switcher"
                    on:change=|ev| {
                        if let Some(form) = event_target::<web_sys::HtmlSelectElement>(&ev).form() {
                            let _ = form.submit();
                        }
                    }
                >
                    <label for="workspace-switch" class="sr-only">"Workspace"</label>
                    <select id="workspace-switch" name="workspace_id" disabled=!many>
                        {account
                            .workspaces
                            .into_iter()
                            .map(|w| {
                                view! {
                                    <option value=w.id.to_string() selected={w.id == current}>
                                        {w.name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <noscript>
                        <button type="submit" class="small">"Switch"</button>
                    </noscript>
                </form>
                <span class="who" data-testid="current-user">{account.email}</span>
                <form method="post" action="/logout">
                    <button type="submit" class="link">"Log out"</button>
                </form>
            </div>
        </header>
    }
    .into_any()
}

/// The one-time confirmation or error of the last form post.
#[component]
fn FlashBox(flash: Flash) -> impl IntoView {
    view! {
        {flash
            .error
            .map(|e| {
                let details = flash.details.clone();
                view! {
                    <div class="flash error" role="alert">
                        <p>{e}</p>
                        {(!details.is_empty())
                            .then(|| {
                                view! {
                                    <ul data-testid="flash-details">
                                        {details.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}
                                    </ul>
                                }
                            })}
                    </div>
                }
            })}
        {flash.notice.map(|n| view! { <p class="flash notice" role="status">{n}</p> })}
    }
}

/// An error from the server, in plain words.
#[component]
pub(crate) fn ErrorBox(error: AppError) -> impl IntoView {
    let login = error.code == ErrorCode::Unauthenticated;
    // Pages render fully before the status goes out, so it can still match
    // the error: another workspace's object is a 404 here as in the API.
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(match error.code {
            ErrorCode::NotFound => http::StatusCode::NOT_FOUND,
            ErrorCode::Unauthenticated => http::StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::WrongAccount => http::StatusCode::FORBIDDEN,
            ErrorCode::InvitationExpired
            | ErrorCode::InvitationRevoked
            | ErrorCode::InvitationUsed => http::StatusCode::GONE,
            _ => http::StatusCode::INTERNAL_SERVER_ERROR,
        });
    }
    view! {
        <div class="flash error" role="alert">
            <p>{error.message}</p>
            {login.then(|| view! { <p><a href="/login">"Log in"</a></p> })}
        </div>
    }
}

/// Formats milliseconds since the Unix epoch as `2026-11-25 14:32 UTC`.
pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::format_time;

    #[test]
    fn times_format_in_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_time(1_795_617_120_000), "2026-11-25 14:32 UTC");
        assert_eq!(format_time(-1), "1969-12-31 23:59 UTC");
    }
}
