//! Handoffs: waiting for a person, notifications, inbox settings, resuming the bot.
