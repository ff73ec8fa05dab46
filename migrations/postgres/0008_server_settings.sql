-- Settings of the server itself, shared by every instance: for now the
-- server key's check, a value sealed with the key the database's secrets
-- are sealed with, so an instance started with another key can tell.

CREATE TABLE server_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
