-- Inbox claims on PostgreSQL, where several instances share the work: the
-- instance applying a stored event, and when it claimed it. A claim lapses
-- after the lease, so a stopped instance's events go to another. SQLite
-- has one process per database and leaves these empty.

ALTER TABLE inbox ADD COLUMN claimed_by TEXT;
ALTER TABLE inbox ADD COLUMN claimed_at BIGINT;
