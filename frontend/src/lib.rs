//! The browser entry point: hydrates the server-rendered pages. Nothing else
//! belongs here; the pages live in the `app` crate.

/// Called by the hydration script once the WASM bundle has loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
