-- Events a projection could not read (a type this version does not know, a payload that does not
-- decode), set aside with the reason so the projection moves on: the log is append-only, so one bad
-- row must not stop every projection for good. One row per event and projection that set it aside,
-- written in the same transaction as that projection's batch and checkpoint, so it is recorded once
-- however many runners there are. A rebuild records under '<projection>#rebuild' and hands its rows
-- to the projection when it swaps its tables in. Derived from the log like any read model.
CREATE TABLE vigil_read.quarantine (
    global_position bigint      NOT NULL,
    transaction_id  xid8        NOT NULL,
    projection      text        NOT NULL,
    event_type      text        NOT NULL,
    stream_id       text        NOT NULL,
    reason          text        NOT NULL,
    quarantined_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (global_position, projection)
);
CREATE INDEX quarantine_projection ON vigil_read.quarantine (projection, transaction_id, global_position);

-- Read by whoever reads the read models; written (INSERT only) by whoever runs projections. The rebuild's
-- hand-over (UPDATE, DELETE) runs as the tables' owner, as the rest of a rebuild does.
-- When vigil_projector (0013–0019) takes over running projections, it needs SELECT, INSERT here too.
REVOKE ALL ON vigil_read.quarantine FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON vigil_read.quarantine FROM vigil_writer;
GRANT SELECT, INSERT ON vigil_read.quarantine TO vigil_writer;
GRANT SELECT ON vigil_read.quarantine TO vigil_auditor, vigil_reporter;
