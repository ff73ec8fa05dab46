-- Flows, catalog, conversations and orders.

-- Every workspace numbers its orders from 1001 and prices in one currency by default.
ALTER TABLE workspaces ADD COLUMN next_order_number INTEGER NOT NULL DEFAULT 1001;
ALTER TABLE workspaces ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';

-- Published flow versions: immutable, numbered per bot.
CREATE TABLE bot_versions (
    bot_id       INTEGER NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    document     TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (bot_id, number)
);
CREATE INDEX bot_versions_workspace_idx ON bot_versions (workspace_id);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    sku          TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    price_minor  INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    image_url    TEXT,
    stock        INTEGER,
    active       INTEGER NOT NULL DEFAULT 1,
    collections  TEXT    NOT NULL DEFAULT '[]',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CONSTRAINT products_sku_key UNIQUE (workspace_id, sku)
);

-- One conversation per bot, channel and shopper, pinned to the flow version
-- it started on. `session` is the interpreter's state as JSON.
CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    bot_id        INTEGER NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    channel       TEXT    NOT NULL,
    external_user TEXT    NOT NULL,
    display_name  TEXT    NOT NULL DEFAULT '',
    version       INTEGER NOT NULL,
    session       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CONSTRAINT conversations_user_key UNIQUE (bot_id, channel, external_user)
);
CREATE INDEX conversations_workspace_idx ON conversations (workspace_id, updated_at);

-- The transcript: what the shopper sent and what the bot answered. Outbound
-- rows are also the outbox their channel's sender works through.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    event_id        TEXT,
    body            TEXT    NOT NULL,
    preview         TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'done',
    created_at      INTEGER NOT NULL,
    CONSTRAINT messages_event_key UNIQUE (conversation_id, direction, event_id)
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    idem_key        TEXT    NOT NULL,
    bot_id          INTEGER REFERENCES bots (id) ON DELETE SET NULL,
    conversation_id INTEGER REFERENCES conversations (id) ON DELETE SET NULL,
    status          TEXT    NOT NULL CHECK (status IN ('placed', 'paid', 'fulfilled', 'cancelled', 'refunded')),
    payment         TEXT    NOT NULL,
    total_minor     INTEGER NOT NULL,
    currency        TEXT    NOT NULL,
    lines           TEXT    NOT NULL,
    details         TEXT    NOT NULL DEFAULT '{}',
    page_token      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT orders_idem_key UNIQUE (workspace_id, idem_key),
    CONSTRAINT orders_number_key UNIQUE (workspace_id, number),
    CONSTRAINT orders_page_token_key UNIQUE (page_token)
);
CREATE INDEX orders_workspace_idx ON orders (workspace_id, id);
CREATE INDEX orders_conversation_idx ON orders (conversation_id);

CREATE TABLE order_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    order_id     INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status  TEXT,
    to_status    TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

-- Calls to merchants' APIs requested by http_request steps, run by a worker.
CREATE TABLE http_calls (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    request_id      TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    body            TEXT,
    status          TEXT    NOT NULL DEFAULT 'pending',
    created_at      INTEGER NOT NULL,
    CONSTRAINT http_calls_request_key UNIQUE (request_id)
);
CREATE INDEX http_calls_pending_idx ON http_calls (status, id);
