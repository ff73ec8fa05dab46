-- Work claims: which server instance is sending a message or performing an
-- HTTP step, and when it last said it was alive. A claim whose instance
-- stopped refreshing it is given back, so a crashed instance's work resumes
-- elsewhere while a live instance's work is never taken from it.

ALTER TABLE messages ADD COLUMN claimed_by TEXT;
ALTER TABLE messages ADD COLUMN claimed_at INTEGER;
ALTER TABLE http_calls ADD COLUMN claimed_by TEXT;
ALTER TABLE http_calls ADD COLUMN claimed_at INTEGER;
