//! People's replies: the outbox, Messenger's HUMAN_AGENT tag, windows, echo pauses.
