-- A stream's head is its last event: vigil.events' (stream_id, stream_version) index finds it, with the
-- hash the next event chains on. vigil.streams kept a copy of it and cost every append a row written
-- twice (the version bumped, then the last hash set); appends to one stream are now serialised by an
-- advisory lock on the stream instead, which writes nothing (0016).
DROP TABLE vigil.streams;

-- Idempotency bound to content: a command's id is stored with a fingerprint of the command (SHA-256,
-- computed by the caller). NULL for commands handled before, and for callers that send none.
ALTER TABLE vigil.commands ADD COLUMN fingerprint bytea;
