//! The statuses and directions stored as text: one enum per column, each
//! with the one mapping between variant and stored name. Rows read them
//! through `TryFrom<String>` (`#[sqlx(try_from = "String")]`), so an
//! unknown stored name is a decoding error, never a silent default; writes
//! bind [`as_str`](MessageStatus::as_str). Order statuses are the pure
//! core's [`app::commerce::OrderStatus`].
//!
//! A few queries filter on constants written in their SQL (`WHERE status =
//! 'pending'`); those names are the ones below, and the tests check that
//! the delivery ranking in SQL agrees with [`MessageStatus::rank`].

use std::fmt;

use app::inbound::Delivery;

/// A stored name that is not one of its enum's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownName {
    /// Which enum was read.
    pub kind: &'static str,
    /// The stored text.
    pub value: String,
}

/// Declares a stored enum with its names: `as_str` for binding,
/// `TryFrom<String>` for reading, and `Display`, all from one table.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownName;

            /// The one mapping from a stored name.
            fn try_from(value: String) -> Result<$name, UnknownName> {
                match value.as_str() {
                    $( $text => Ok($name::$variant), )+
                    _ => Err(UnknownName {
                        kind: stringify!($name),
                        value,
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// Which way a transcript message went (`messages.direction`).
    pub enum Direction {
        /// From the shopper.
        In = "in",
        /// From the bot.
        Out = "out",
    }
}

stored_enum! {
    /// Where a transcript message is (`messages.status`, and the statuses
    /// receipts report in `receipts.status`). Inbound messages are `Done`;
    /// outbound ones move through the outbox and delivery receipts.
    pub enum MessageStatus {
        /// Waiting for the sender.
        Pending = "pending",
        /// Claimed by a sender.
        Sending = "sending",
        /// Accepted by the platform (or shown by the widget).
        Sent = "sent",
        /// On the shopper's device.
        Delivered = "delivered",
        /// Seen by the shopper.
        Read = "read",
        /// Will not arrive.
        Failed = "failed",
        /// Not sent, on purpose (outside the messaging window).
        Skipped = "skipped",
        /// An inbound message, recorded.
        Done = "done",
    }
}

impl MessageStatus {
    /// Where the status stands in delivery order, so it never moves
    /// backwards; the same ranking as the SQL the receipts apply with.
    pub fn rank(self) -> i64 {
        match self {
            MessageStatus::Pending | MessageStatus::Done => 0,
            MessageStatus::Sending => 1,
            MessageStatus::Sent => 2,
            MessageStatus::Delivered => 3,
            MessageStatus::Read => 4,
            MessageStatus::Failed | MessageStatus::Skipped => 5,
        }
    }
}

impl From<Delivery> for MessageStatus {
    /// What a platform's delivery report makes of a message.
    fn from(d: Delivery) -> MessageStatus {
        match d {
            Delivery::Sent => MessageStatus::Sent,
            Delivery::Delivered => MessageStatus::Delivered,
            Delivery::Read => MessageStatus::Read,
            Delivery::Failed => MessageStatus::Failed,
        }
    }
}

stored_enum! {
    /// Where an inbound event is (`inbox.status`).
    pub enum InboxStatus {
        /// Waiting to be applied.
        Pending = "pending",
        /// Applied to its conversation.
        Done = "done",
        /// Recorded but not answered (too old, or no published bot).
        Skipped = "skipped",
        /// Could not be applied.
        Failed = "failed",
    }
}

stored_enum! {
    /// Where a merchant-API call of an HTTP step is (`http_calls.status`).
    pub enum HttpCallStatus {
        /// Waiting for a worker.
        Pending = "pending",
        /// Claimed by a worker.
        Running = "running",
        /// Answered into its conversation.
        Done = "done",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T>(all: &[T])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + TryFrom<String, Error = UnknownName>,
    {
        for &v in all {
            assert_eq!(T::try_from(v.to_string()), Ok(v));
        }
    }

    #[test]
    fn every_name_reads_back_as_its_variant() {
        round_trips(Direction::ALL);
        round_trips(MessageStatus::ALL);
        round_trips(InboxStatus::ALL);
        round_trips(HttpCallStatus::ALL);
    }

    #[test]
    fn unknown_names_are_errors() {
        assert_eq!(
            MessageStatus::try_from("queued".to_string()),
            Err(UnknownName {
                kind: "MessageStatus",
                value: "queued".into()
            })
        );
        assert!(Direction::try_from("IN".to_string()).is_err());
        assert!(InboxStatus::try_from(String::new()).is_err());
        assert!(HttpCallStatus::try_from("sending".to_string()).is_err());
    }

    #[test]
    fn the_sql_ranking_agrees_with_rank() {
        for &s in MessageStatus::ALL {
            let arm = format!("WHEN '{s}' THEN {}", s.rank());
            let listed = super::super::inbox::RANK.contains(&format!("WHEN '{s}' "));
            // Names the SQL does not list fall to its `ELSE 0`.
            if listed {
                assert!(super::super::inbox::RANK.contains(&arm), "{arm}");
            } else {
                assert_eq!(s.rank(), 0, "{s}");
            }
        }
    }

    #[test]
    fn receipts_rank_in_platform_order() {
        let ranks: Vec<i64> = [
            Delivery::Sent,
            Delivery::Delivered,
            Delivery::Read,
            Delivery::Failed,
        ]
        .into_iter()
        .map(|d| MessageStatus::from(d).rank())
        .collect();
        assert_eq!(ranks, [2, 3, 4, 5]);
    }
}
