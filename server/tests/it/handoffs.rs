//! Handoffs: waiting for a person, the notification webhook, resuming the bot.
