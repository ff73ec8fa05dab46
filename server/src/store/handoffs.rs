//! Handoffs: a conversation waiting for a person, the notification
//! webhook's queue and the inbox settings (issue 12).
