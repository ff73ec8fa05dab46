-- Channels: Messenger pages, WhatsApp numbers and web widgets connected to
-- bots; the durable inbox of webhook events; delivery receipts; and the
-- outbox columns the senders work with.

CREATE TABLE channels (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    bot_id           INTEGER NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('messenger', 'whatsapp', 'web')),
    -- Messenger page id, WhatsApp phone_number_id, or the web widget key.
    external_id      TEXT    NOT NULL,
    name             TEXT    NOT NULL DEFAULT '',
    -- AES-GCM ciphertext of the access token (Meta channels), never plain.
    token_ciphertext TEXT,
    settings         TEXT    NOT NULL DEFAULT '{}',
    -- 'ok', or why sending stopped (an invalid token).
    health           TEXT    NOT NULL DEFAULT 'ok',
    created_at       INTEGER NOT NULL,
    CONSTRAINT channels_external_key UNIQUE (kind, external_id)
);
CREATE INDEX channels_workspace_idx ON channels (workspace_id);

CREATE TABLE web_visitors (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT web_visitors_token_key UNIQUE (token_hash)
);

-- Every acknowledged inbound event, deduplicated on the platform's id.
CREATE TABLE inbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    channel        TEXT    NOT NULL,
    external_id    TEXT    NOT NULL,
    channel_id     INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    workspace_id   INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_key       TEXT    NOT NULL,
    recipient      TEXT    NOT NULL,
    recipient_kind TEXT    NOT NULL,
    display_name   TEXT    NOT NULL DEFAULT '',
    platform_ts    INTEGER NOT NULL,
    input          TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending',
    received_at    INTEGER NOT NULL,
    processed_at   INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    CONSTRAINT inbox_event_key UNIQUE (channel, external_id)
);
CREATE INDEX inbox_pending_idx ON inbox (status, channel_id, user_key, platform_ts);

-- Delivery and read receipts, kept until the message they name is known.
CREATE TABLE receipts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel     TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    error       TEXT,
    platform_ts INTEGER NOT NULL,
    CONSTRAINT receipts_key UNIQUE (channel, message_id, status)
);

ALTER TABLE conversations ADD COLUMN channel_id INTEGER REFERENCES channels (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN recipient TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN recipient_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN last_inbound_at INTEGER;

ALTER TABLE messages ADD COLUMN external_id TEXT;
ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN error TEXT;
ALTER TABLE messages ADD COLUMN sent_at INTEGER;
CREATE INDEX messages_outbox_idx ON messages (status, next_attempt_at);
CREATE INDEX messages_external_idx ON messages (external_id);
