-- A reply typed by a person (a member in the inbox, or an integration
-- acting through an API token) rather than the bot: such a reply may use
-- Messenger's HUMAN_AGENT window, up to 7 days after the shopper's last
-- message. `author_id` names the member when there is one.
ALTER TABLE messages ADD COLUMN human BIGINT NOT NULL DEFAULT 0;
