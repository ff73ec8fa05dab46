-- People in the loop: the merchant's inbox, handoffs someone sees, agents
-- and contacts.
--
-- Conversations gain an inbox state: `open` (the bot or a person is on it),
-- `waiting` (a handoff asked for a person and nobody has answered yet) and
-- `closed`. `held` is set while a person holds the conversation: the bot
-- does not answer it until someone resumes it. `paused_until` silences the
-- bot for a while after a reply typed outside Botme (Meta's Page Inbox, the
-- WhatsApp Business app). `unread` counts the shopper's messages since a
-- member last opened the conversation.

-- One contact per shopper per channel of a workspace. `channel` is the
-- channel kind and `external_user` the platform's id of the shopper (PSID,
-- WhatsApp id, web visitor), as on conversations. Tags are a JSON array of
-- strings, attributes a JSON object of strings.
CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel       TEXT    NOT NULL,
    external_user TEXT    NOT NULL,
    name          TEXT    NOT NULL DEFAULT '',
    phone         TEXT    NOT NULL DEFAULT '',
    tags          TEXT    NOT NULL DEFAULT '[]',
    attributes    TEXT    NOT NULL DEFAULT '{}',
    opted_out     INTEGER NOT NULL DEFAULT 0,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    CONSTRAINT contacts_user_key UNIQUE (workspace_id, channel, external_user)
);
CREATE INDEX contacts_workspace_idx ON contacts (workspace_id, last_seen, id);

ALTER TABLE conversations ADD COLUMN status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'waiting', 'closed'));
ALTER TABLE conversations ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN paused_until INTEGER;
ALTER TABLE conversations ADD COLUMN assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN handoff_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN handoff_at INTEGER;
ALTER TABLE conversations ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL;
CREATE INDEX conversations_inbox_idx ON conversations (workspace_id, status, updated_at, id);
CREATE INDEX conversations_assignee_idx ON conversations (workspace_id, assignee_id, updated_at, id);
CREATE INDEX conversations_contact_idx ON conversations (contact_id);

-- Who typed an outbound message: NULL for the bot, else the member.
ALTER TABLE messages ADD COLUMN author_id INTEGER REFERENCES users (id) ON DELETE SET NULL;

-- What people did to a conversation, shown in its transcript: handoff,
-- assigned, closed, reopened, resumed, paused.
CREATE TABLE conversation_actions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    actor_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX conversation_actions_conversation_idx ON conversation_actions (conversation_id, id);

-- Per-workspace inbox settings: the handoff notification webhook (its
-- signing secret sealed with the server key, like channel tokens), and how
-- long a reply typed outside Botme silences the bot.
CREATE TABLE inbox_settings (
    workspace_id        INTEGER PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    notify_url          TEXT    NOT NULL DEFAULT '',
    notify_secret       TEXT    NOT NULL DEFAULT '',
    echo_pause_minutes  INTEGER NOT NULL DEFAULT 30,
    updated_at          INTEGER NOT NULL
);

-- Handoff notifications waiting to be POSTed to the workspace's webhook,
-- retried with backoff until delivered or given up.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id INTEGER REFERENCES conversations (id) ON DELETE CASCADE,
    event_key       TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    claimed_by      TEXT,
    claimed_at      INTEGER,
    created_at      INTEGER NOT NULL,
    CONSTRAINT notifications_event_key UNIQUE (workspace_id, event_key)
);
CREATE INDEX notifications_waiting_idx ON notifications (next_attempt_at, id)
    WHERE status = 'pending';

-- The agent role: answers and assigns conversations, edits nothing else.
-- SQLite cannot change a CHECK constraint, so the three tables that hold
-- a role are rebuilt (nothing references them).
CREATE TABLE memberships_new (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'agent', 'viewer')),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
INSERT INTO memberships_new SELECT workspace_id, user_id, role, created_at FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE api_tokens_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'agent', 'viewer')),
    token_hash   TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);
INSERT INTO api_tokens_new
    SELECT id, workspace_id, name, role, token_hash, prefix, created_by, created_at,
           last_used_at, revoked_at
    FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
CREATE INDEX api_tokens_workspace_idx ON api_tokens (workspace_id);

CREATE TABLE invitations_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'agent', 'viewer')),
    token_hash   TEXT    NOT NULL,
    invited_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'accepted', 'declined', 'revoked')),
    closed_at    INTEGER,
    accepted_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT invitations_hash_key UNIQUE (token_hash)
);
INSERT INTO invitations_new
    SELECT id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at,
           status, closed_at, accepted_by
    FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_new RENAME TO invitations;
CREATE INDEX invitations_workspace_idx ON invitations (workspace_id, status);
CREATE UNIQUE INDEX invitations_pending_key ON invitations (workspace_id, email)
    WHERE status = 'pending';
