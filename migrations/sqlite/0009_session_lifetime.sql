-- When each web session began: a session ends a fixed time after sign-in
-- however active it stays. Sessions from before this column are counted
-- from now.

ALTER TABLE web_sessions ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
UPDATE web_sessions SET created_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
