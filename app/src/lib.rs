//! Botme's shared crate: the pages (server-rendered, then hydrated in the
//! browser) and the pure core that both the server and the browser run.
//!
//! Map:
//! - [`fold`]: case- and accent-folding for matching typed text (pure).
//! - [`inbound`]: Meta's webhook bodies parsed into interpreter inputs (pure).
//! - [`ids`]: the records' id types, from one macro.
//! - [`model`]: roles, the acting principal, the error shape and the summaries
//!   the pages and the API exchange.
//! - [`account`]: parsing of emails, passwords and names (pure).
//! - [`flow`]: the flow document, validation and the interpreter (pure).
//! - [`editor_core`]: the editor's editing operations and canvas geometry (pure).
//! - [`commerce`]: money, products, cart and orders (pure).
//! - [`contacts`]: the shoppers' contacts: views and the rules of a change (pure).
//! - [`channel`]: outbound messages and every platform limit (pure).
//! - [`server_fns`]: the server functions pages load data with, and the `Backend`
//!   port the server implements (behind the `ssr` feature).
//! - [`views`]: view models the REST API returns and the pages show.
//! - [`ui`]: the HTML shell, the router and the pages.
//!
//! Features: `ssr` builds the server side (the server crate enables it),
//! `hydrate` the browser side (the frontend crate enables it). The modules
//! other than `ui` and `server_fns` do no IO and build for both targets.

#![recursion_limit = "512"]

pub mod account;
pub mod channel;
pub mod commerce;
pub mod contacts;
pub mod editor_core;
pub mod flow;
pub mod fold;
pub mod hash;
pub mod ids;
pub mod inbound;
pub mod model;
pub mod server_fns;
pub mod ui;
pub mod views;

pub use ui::App;
#[cfg(feature = "ssr")]
pub use ui::shell;
