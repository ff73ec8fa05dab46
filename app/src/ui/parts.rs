//! Small pieces of markup that several pages share: the frame of a page
//! with its title, and the list tables with their header row.

use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_params_map;

use super::loaded::Load;
use super::{Frame, use_page_data};
use crate::model::{AppError, Role};

/// The number in the route parameter `name`, or 0 (which no object has)
/// when it is missing or not a number.
pub(crate) fn param(name: &'static str) -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.with(|p| p.get(name).and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// What a [`Loaded`](super::Loaded) waits for on a page that shows its
/// controls only to editors: `data`, and whether the user may change things.
pub(crate) fn with_can_edit<T>(data: Resource<Result<T, AppError>>) -> impl Load<Data = (T, bool)>
where
    T: Clone + Send + Sync + 'static,
{
    move || async move {
        let can_edit = can_edit().await;
        data.await.map(|d| (d, can_edit))
    }
}

/// Whether the signed-in user may change things, once the page data is in.
async fn can_edit() -> bool {
    use_page_data()
        .await
        .ok()
        .and_then(|d| d.account)
        .is_some_and(|a| a.workspace.role >= Role::Editor)
}

/// A page: its document title, and the content in the [`Frame`].
#[component]
pub(crate) fn Page(
    /// The document title (before " · Botme").
    title: &'static str,
    /// What goes inside the frame.
    children: Children,
) -> impl IntoView {
    view! {
        <Title text=title />
        <Frame>{children()}</Frame>
    }
}

/// A [`Page`] whose content fills a wide `<main>`.
#[component]
pub(crate) fn WidePage(
    /// The document title (before " · Botme").
    title: &'static str,
    /// What goes inside `<main>`.
    children: Children,
) -> impl IntoView {
    view! {
        <Page title>
            <main class="wide">{children()}</main>
        </Page>
    }
}

/// A `list` table: the header row `head` (see [`columns`]) and the `rows`
/// below it.
pub(crate) fn list_table(
    testid: &'static str,
    head: impl IntoView,
    rows: impl IntoView,
) -> impl IntoView {
    view! {
        <table class="list" data-testid=testid>
            <thead>
                <tr>{head}</tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The header cells of a [`list_table`]. An array, not a `Vec`, so that
/// the cells render without the marker comment a `Vec` leaves for
/// hydration: the same HTML as when each `<th>` is written out.
pub(crate) fn columns<const N: usize>(names: [&'static str; N]) -> impl IntoView {
    names.map(|name| view! { <th scope="col">{name}</th> })
}

/// The optional last header cell, for a column of row actions that only
/// users who may change things see. Follows the [`columns`] in a tuple.
pub(crate) fn actions_column(shown: bool) -> impl IntoView {
    shown.then(|| view! { <th scope="col">"Actions"</th> })
}

/// A card section headed by an `<h2>` that names it for assistive
/// technology.
#[component]
pub(crate) fn Card(
    /// The heading's id, which the section is labelled by.
    title_id: &'static str,
    /// The heading.
    title: &'static str,
    /// What follows the heading.
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby=title_id>
            <h2 id=title_id>{title}</h2>
            {children()}
        </section>
    }
}
