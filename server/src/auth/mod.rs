//! Who may sign in, and with what: password hashing ([`passwords`]), API
//! tokens ([`tokens`]) and the login throttle ([`throttle`]). Pure of HTTP:
//! the middleware that turns a cookie or a bearer token into a principal is
//! [`crate::http::auth`].

pub mod passwords;
pub mod throttle;
pub mod tokens;

pub use passwords::Passwords;
pub use throttle::{Attempt, LoginThrottle};
pub use tokens::{NewToken, hash_token};

/// Session key of the signed-in user's id.
pub const SESSION_USER: &str = "user_id";
/// Session key of the workspace the user acts in.
pub const SESSION_WORKSPACE: &str = "workspace_id";
