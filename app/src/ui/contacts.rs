//! Contacts: the shoppers of a workspace, with tags and attributes
//! (issue 12).

use leptos::prelude::*;

use super::WidePage;

/// `/contacts`.
#[component]
pub fn Contacts() -> impl IntoView {
    view! {
        <WidePage title="Contacts">
            <h1>"Contacts"</h1>
        </WidePage>
    }
}

/// `/contacts/{id}`.
#[component]
pub fn ContactView() -> impl IntoView {
    view! {
        <WidePage title="Contact">
            <h1>"Contact"</h1>
        </WidePage>
    }
}
