//! The operations behind the REST API, the HTML forms and the pages' server
//! functions: validation, authorisation and the store call. Each takes the
//! acting [`Principal`](app::model::Principal); tenant scoping follows from
//! its workspace.

mod accounts;
mod bots;
mod catalog;
mod channels;
mod flows;
mod orders;

pub use accounts::*;
pub use bots::*;
pub use catalog::*;
pub use channels::*;
pub use flows::*;
pub use orders::*;

pub use app::views::*;

/// Who did something, for version and order history: the user's email, or
/// the API token.
pub fn actor_name(p: &app::model::Principal) -> String {
    match (&p.email, p.token_id) {
        (Some(email), _) => email.clone(),
        (None, Some(id)) => format!("API token #{id}"),
        (None, None) => "unknown".into(),
    }
}
