-- The event log: one table of immutable events, the streams with their current version and last hash,
-- and the commands already handled (idempotency).
CREATE TABLE vigil.events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version >= 1),
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL DEFAULT 1,
    data            jsonb       NOT NULL,
    metadata        jsonb       NOT NULL DEFAULT '{}',
    command_id      text,
    correlation_id  uuid,
    causation_id    uuid,
    actor           text        NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    hash            bytea       NOT NULL,
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);

-- Readers follow the log in commit order: (transaction_id, global_position) below the oldest open
-- transaction. A position alone is not enough: a smaller one can commit after a larger one.
CREATE INDEX events_commit_order ON vigil.events (transaction_id, global_position);

CREATE TABLE vigil.streams (
    stream_id  text        PRIMARY KEY,
    version    bigint      NOT NULL,
    last_hash  bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Each handled command and the versions it appended to its stream, so that a retry can be answered
-- with what the command did the first time.
CREATE TABLE vigil.commands (
    command_id    text        PRIMARY KEY,
    stream_id     text        NOT NULL,
    first_version bigint      NOT NULL,
    last_version  bigint      NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
