//! How a page waits for its data: [`Loaded`] shows a "Loading…" line while
//! the data is on its way, an [`ErrorBox`] if it failed, and its children
//! with the data otherwise; [`Empty`] is what a list shows when it has
//! nothing in it.
//!
//! They exist because every page wrote the same `Suspense` by hand. They
//! must render exactly the HTML those copies did: the end-to-end tests
//! select elements by it.
//!
//! ```ignore
//! <Loaded data=orders loading="Loading orders…" let:list>
//!     <OrderTable orders=list />
//! </Loaded>
//! ```
//!
//! `data` is a [`Resource`], or an `async` closure when the page needs
//! more than one thing before it can draw (see [`Load`]).

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::*;

use super::ErrorBox;
use crate::model::AppError;

/// Something a [`Loaded`] can wait for: a resource, or a closure returning
/// a future that awaits several (`move || async move { … }`).
pub(crate) trait Load: Clone + Send + Sync + 'static {
    /// What arrives when loading succeeds.
    type Data: Send + 'static;

    /// Waits for the data, tracking the resources it reads.
    fn load(&self) -> impl Future<Output = Result<Self::Data, AppError>> + Send + 'static;
}

impl<T> Load for Resource<Result<T, AppError>>
where
    T: Clone + Send + Sync + 'static,
{
    type Data = T;

    fn load(&self) -> impl Future<Output = Result<T, AppError>> + Send + 'static {
        self.into_future()
    }
}

impl<T, F, Fut> Load for F
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    T: Send + 'static,
{
    type Data = T;

    fn load(&self) -> impl Future<Output = Result<T, AppError>> + Send + 'static {
        self()
    }
}

/// Waits for `data`, then shows the children with it, or an [`ErrorBox`]
/// with what went wrong.
#[component]
pub(crate) fn Loaded<D, C, V>(
    /// What to wait for.
    data: D,
    /// The line shown while waiting; nothing is shown without it.
    #[prop(optional)]
    loading: Option<&'static str>,
    /// What to show once the data is here.
    children: C,
) -> impl IntoView
where
    D: Load,
    C: Fn(D::Data) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let children = Arc::new(children);
    let fallback = move || match loading {
        Some(text) => view! { <p class="muted">{text}</p> }.into_any(),
        None => ().into_any(),
    };
    view! {
        <Suspense fallback=fallback>
            {move || {
                let data = data.clone();
                let children = Arc::clone(&children);
                Suspend::new(async move {
                    match data.load().await {
                        Ok(value) => children(value).into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// What a list shows when it has nothing in it: a heading and a sentence
/// saying how to fill it.
#[component]
pub(crate) fn Empty(
    /// The `data-testid` the end-to-end tests look for.
    testid: &'static str,
    /// The heading.
    title: &'static str,
    /// The sentence under the heading.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="empty" data-testid=testid>
            <h2>{title}</h2>
            <p>{children()}</p>
        </div>
    }
}
