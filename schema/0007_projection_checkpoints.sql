-- Each projection's place in the log, as the commit-order pair. It is written in the same transaction
-- as the projection's rows, by compare-and-set.
CREATE TABLE vigil_read.checkpoints (
    projection      text        PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT '0',
    global_position bigint      NOT NULL DEFAULT 0,
    events_applied  bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
