//! Small pieces of markup that several pages share: the frame of a page
//! with its title, and the list tables with their header row.

use leptos::prelude::*;
use leptos_meta::Title;

use super::Frame;

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
