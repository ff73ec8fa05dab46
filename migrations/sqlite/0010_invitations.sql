-- Invitations: an owner invites an email address with a role, and the person
-- joins by accepting while signed in with that address. Adding a member is
-- no longer immediate, so nobody can pre-register a future colleague's
-- address and be handed their role.
--
-- Only the SHA-256 of the link's secret is kept. An address has at most one
-- pending invitation per workspace: inviting it again refreshes that row
-- (new secret, role and expiry). Accepted, declined and revoked rows stay,
-- closed, as the record of who joined how.

CREATE TABLE invitations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
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
CREATE INDEX invitations_workspace_idx ON invitations (workspace_id, status);
CREATE UNIQUE INDEX invitations_pending_key ON invitations (workspace_id, email)
    WHERE status = 'pending';
