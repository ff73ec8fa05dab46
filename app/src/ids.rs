//! The ids of Botme's records, as types: a function that takes a [`BotId`]
//! cannot be handed an order's id by mistake. Every id comes from the one
//! [`id_type!`] macro. They are sent as plain numbers (serde), shown as
//! numbers, and stored as 64-bit integers (sqlx, behind the `ssr` feature,
//! so the browser build never links the database driver).

/// Declares id newtypes over `i64`.
macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }
    )*};
}

id_type!(
    /// A tenant: a merchant's or an agency's workspace.
    WorkspaceId,
    /// A person who can log in.
    UserId,
    /// A bot inside a workspace.
    BotId,
    /// An API token of a workspace.
    TokenId,
    /// A channel: a Messenger page, a WhatsApp number or a web chat.
    ChannelId,
    /// One shopper's conversation with one bot.
    ConversationId,
    /// A product of a workspace's catalog.
    ProductId,
    /// An order placed in a conversation.
    OrderId,
    /// An invitation to join a workspace.
    InvitationId,
    /// A shopper on one channel of a workspace.
    ContactId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_and_print_as_plain_numbers() {
        assert_eq!(serde_json::to_string(&BotId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<OrderId>("42").unwrap(), OrderId(42));
        assert_eq!(ChannelId::from(3).to_string(), "3");
    }
}
