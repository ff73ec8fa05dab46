//! The contacts page's forms.

use axum::routing::MethodRouter;

use crate::state::AppState;

/// This area's form routes.
pub(super) fn route_table() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![]
}
