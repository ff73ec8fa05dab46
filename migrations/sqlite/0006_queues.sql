-- Work queues whose claims cost O(batch), not O(backlog): each worker walks
-- a partial index of just the waiting rows, in order, and stops at its
-- batch size; a message checks that nothing earlier in its conversation is
-- unsent with one probe of a partial index of unsent messages.

CREATE INDEX inbox_waiting_idx ON inbox (id) WHERE status = 'pending';
CREATE INDEX messages_waiting_idx ON messages (id)
    WHERE direction = 'out' AND status = 'pending';
CREATE INDEX messages_unsent_idx ON messages (conversation_id, id)
    WHERE direction = 'out' AND status IN ('pending', 'sending');
