//! Replies typed by people: outbox rows with an author, and the bot's
//! pause after a reply typed outside Botme (issue 12).
