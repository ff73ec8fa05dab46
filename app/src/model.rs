//! Plain data shared by the server and the browser: roles, the acting
//! principal, the error shape, and the summaries the pages show.
//!
//! Nothing here does IO; these types only cross the wire.

use serde::{Deserialize, Serialize};

/// What a member (or an API token) may do inside a workspace.
///
/// Ordered from least to most powerful, so `role >= Role::Editor` reads as
/// "at least an editor".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything in the workspace, changes nothing.
    Viewer,
    /// Answers, assigns and closes conversations in the inbox; edits no
    /// bot, catalog or setting.
    Agent,
    /// Builds and publishes bots, manages the catalog and orders.
    Editor,
    /// Everything, including members and API tokens.
    Owner,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Agent, Role::Editor, Role::Owner];

    /// The stable name used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Agent => "agent",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    /// Parses the stable name; anything else is `None`.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// A merchant-facing label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Agent => "Agent",
            Role::Editor => "Editor",
            Role::Owner => "Owner",
        }
    }
}

/// How the current request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthVia {
    /// A browser session cookie.
    Session,
    /// An `Authorization: Bearer` API token.
    Token,
}

/// The authenticated actor of one request, resolved by the server before any
/// handler runs. Every tenant-scoped operation acts on `workspace_id` only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The signed-in user; `None` for an API token.
    pub user_id: Option<i64>,
    /// The user's email, for display.
    pub email: Option<String>,
    /// The workspace this request acts on.
    pub workspace_id: i64,
    /// Its display name.
    pub workspace_name: String,
    /// What the actor may do there.
    pub role: Role,
    /// Session or token.
    pub via: AuthVia,
    /// The API token's id when `via` is `Token`.
    pub token_id: Option<i64>,
}

impl Principal {
    /// True when the actor holds at least `role`.
    pub fn can(&self, role: Role) -> bool {
        self.role >= role
    }
}

/// Every error code Botme answers with, in one place: the `code` of
/// [`AppError`] and of the REST API's `{"error": {"code", "message"}}`.
/// Serialized as its snake_case name, which is the stable contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// `already_member`.
    AlreadyMember,
    /// `bad_request`.
    BadRequest,
    /// `bad_signature`.
    BadSignature,
    /// `busy`: the server is saturated; retry after `Retry-After`.
    Busy,
    /// `channel_taken`.
    ChannelTaken,
    /// `email_taken`.
    EmailTaken,
    /// `forbidden`.
    Forbidden,
    /// `illegal_transition`.
    IllegalTransition,
    /// `internal`.
    Internal,
    /// `invalid_body`.
    InvalidBody,
    /// `invalid_channel`.
    InvalidChannel,
    /// `invalid_client_id`.
    InvalidClientId,
    /// `invalid_credentials`.
    InvalidCredentials,
    /// `invalid_csv`.
    InvalidCsv,
    /// `invalid_document`.
    InvalidDocument,
    /// `invalid_email`.
    InvalidEmail,
    /// `invalid_flow`.
    InvalidFlow,
    /// `invalid_message`.
    InvalidMessage,
    /// `invalid_name`.
    InvalidName,
    /// `invalid_product`.
    InvalidProduct,
    /// `invalid_query`: a list's filter or cursor is not understood.
    InvalidQuery,
    /// `invalid_role`.
    InvalidRole,
    /// `invalid_status`.
    InvalidStatus,
    /// `invalid_step`: no such step in the conversation's flow.
    InvalidStep,
    /// `invalid_token`.
    InvalidToken,
    /// `invitation_expired`: the invitation's time ran out (410).
    InvitationExpired,
    /// `invitation_revoked`: an owner withdrew the invitation (410).
    InvitationRevoked,
    /// `invitation_used`: the invitation was already accepted or declined (410).
    InvitationUsed,
    /// `last_owner`.
    LastOwner,
    /// `malformed_json`.
    MalformedJson,
    /// `meta_unavailable`: Meta's Graph API did not answer a check.
    MetaUnavailable,
    /// `method_not_allowed`.
    MethodNotAllowed,
    /// `network`.
    Network,
    /// `not_found`.
    NotFound,
    /// `payload_too_large`.
    PayloadTooLarge,
    /// `rate_limited`: too many requests; retry after `Retry-After`.
    RateLimited,
    /// `sku_taken`.
    SkuTaken,
    /// `stale_revision`.
    StaleRevision,
    /// `too_large`.
    TooLarge,
    /// `too_many_attempts`.
    TooManyAttempts,
    /// `too_many_inputs`.
    TooManyInputs,
    /// `unauthenticated`.
    Unauthenticated,
    /// `unknown_template`.
    UnknownTemplate,
    /// `unknown_user`.
    UnknownUser,
    /// `unreadable_body`.
    UnreadableBody,
    /// `unsupported_media_type`.
    UnsupportedMediaType,
    /// `window_closed`: the platform does not allow a message to this
    /// shopper now.
    WindowClosed,
    /// `weak_password`.
    WeakPassword,
    /// `wrong_account`: signed in as someone other than the invited address (403).
    WrongAccount,
}

impl ErrorCode {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AlreadyMember => "already_member",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::Busy => "busy",
            ErrorCode::ChannelTaken => "channel_taken",
            ErrorCode::EmailTaken => "email_taken",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::IllegalTransition => "illegal_transition",
            ErrorCode::Internal => "internal",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidChannel => "invalid_channel",
            ErrorCode::InvalidClientId => "invalid_client_id",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidCsv => "invalid_csv",
            ErrorCode::InvalidDocument => "invalid_document",
            ErrorCode::InvalidEmail => "invalid_email",
            ErrorCode::InvalidFlow => "invalid_flow",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::InvalidName => "invalid_name",
            ErrorCode::InvalidProduct => "invalid_product",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::InvalidRole => "invalid_role",
            ErrorCode::InvalidStatus => "invalid_status",
            ErrorCode::InvalidStep => "invalid_step",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InvitationExpired => "invitation_expired",
            ErrorCode::InvitationRevoked => "invitation_revoked",
            ErrorCode::InvitationUsed => "invitation_used",
            ErrorCode::LastOwner => "last_owner",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::MetaUnavailable => "meta_unavailable",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Network => "network",
            ErrorCode::NotFound => "not_found",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::SkuTaken => "sku_taken",
            ErrorCode::StaleRevision => "stale_revision",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::TooManyInputs => "too_many_inputs",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::UnknownTemplate => "unknown_template",
            ErrorCode::UnknownUser => "unknown_user",
            ErrorCode::UnreadableBody => "unreadable_body",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::WeakPassword => "weak_password",
            ErrorCode::WindowClosed => "window_closed",
            ErrorCode::WrongAccount => "wrong_account",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error every API answers with: a stable snake_case code for programs
/// and a sentence for people. Serialized as `{"error": {"code", "message"}}`
/// by the REST API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// Stable, machine-readable code such as `not_found`.
    pub code: ErrorCode,
    /// A human sentence, safe to show to a merchant.
    pub message: String,
}

impl AppError {
    /// Builds an error from a code and a sentence.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
        }
    }

    /// The caller is not signed in.
    pub fn unauthenticated() -> Self {
        AppError::new(ErrorCode::Unauthenticated, "Please log in to continue.")
    }

    /// Something went wrong that the caller cannot fix.
    pub fn internal() -> Self {
        AppError::new(
            ErrorCode::Internal,
            "Something went wrong on our side. Please try again in a moment.",
        )
    }
}

/// A one-time message shown on the next page a browser sees after a form post.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Flash {
    /// A problem with what was submitted.
    pub error: Option<String>,
    /// A confirmation of what was done.
    pub notice: Option<String>,
    /// A newly created API token, shown exactly once.
    pub new_token: Option<String>,
    /// A new invitation's link, shown exactly once for the owner to send.
    #[serde(default)]
    pub new_invitation: Option<String>,
    /// A new signing secret of the inbox's notification webhook, shown
    /// exactly once.
    #[serde(default)]
    pub new_webhook_secret: Option<String>,
    /// The email to put back into a form after a failed post (never a password).
    pub email: Option<String>,
    /// Itemised problems under the error (one per CSV row, per flow problem).
    #[serde(default)]
    pub details: Vec<String>,
}

impl Flash {
    /// True when there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self == &Flash::default()
    }
}

/// A workspace the signed-in user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WorkspaceSummary {
    /// The workspace id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The user's role in it.
    pub role: Role,
}

/// What every signed-in page needs: who, where, and any flash message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageContext {
    /// The signed-in user's email.
    pub email: String,
    /// The current workspace.
    pub workspace: WorkspaceSummary,
    /// Every workspace the user can switch to.
    pub workspaces: Vec<WorkspaceSummary>,
    /// The one-time message for this page view.
    pub flash: Flash,
}

/// A bot as listed on the dashboard and by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BotSummary {
    /// The bot id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The revision counter of its draft flow.
    pub draft_revision: i64,
    /// Created, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Last changed, in milliseconds since the Unix epoch.
    pub updated_at: i64,
    /// The newest published version, if it was ever published.
    pub published_version: Option<i64>,
}

/// An API token as listed; the secret itself is never listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenSummary {
    /// The token id.
    pub id: i64,
    /// A name to recognise it by.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    /// Created, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Last used, in milliseconds since the Unix epoch.
    pub last_used_at: Option<i64>,
}

/// A member of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberSummary {
    /// The member's user id.
    pub user_id: i64,
    /// Their email.
    pub email: String,
    /// Their role here.
    pub role: Role,
    /// Joined, in milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// An invitation that has not been accepted, declined or revoked yet, as
/// owners see it. Its link is shown only once, when it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvitationSummary {
    /// The invitation id.
    pub id: i64,
    /// The invited address, normalised.
    pub email: String,
    /// The role they get on accepting.
    pub role: Role,
    /// Who invited them (their email); `None` for an API token or a
    /// deleted account.
    pub invited_by: Option<String>,
    /// Sent (or last sent again), in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// The link stops working at this time, in milliseconds since the Unix
    /// epoch.
    pub expires_at: i64,
    /// True once `expires_at` has passed; inviting again sends a fresh link.
    pub expired: bool,
}

/// `ana@example.com` as `a•••@example.com`: enough for its owner to
/// recognise the address, not enough to learn it from a forwarded link.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Owner > Role::Editor);
        assert!(Role::Editor > Role::Viewer);
        let p = Principal {
            user_id: Some(1),
            email: None,
            workspace_id: 1,
            workspace_name: "W".into(),
            role: Role::Editor,
            via: AuthVia::Session,
            token_id: None,
        };
        assert!(p.can(Role::Viewer));
        assert!(p.can(Role::Editor));
        assert!(!p.can(Role::Owner));
    }

    #[test]
    fn masked_emails_keep_the_first_letter_and_the_domain() {
        assert_eq!(mask_email("ana@example.com"), "a•••@example.com");
        assert_eq!(mask_email("émile@shop.fr"), "é•••@shop.fr");
        assert_eq!(mask_email("nonsense"), "•••");
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
