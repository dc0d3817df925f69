-- A time-partitioned event log, for archiving: the shape docs/sharding.md describes, in a schema of its
-- own beside Vigil's (Tests/VigilCLITests/ShardingTests.swift runs it and checks what it promises).
-- Not a migration: vigil.events stays one table until a coalition's log is large enough to archive.
CREATE SCHEMA vigil_archive;
CREATE SEQUENCE vigil_archive.positions;
CREATE TABLE vigil_archive.events (
    global_position bigint      NOT NULL DEFAULT nextval('vigil_archive.positions'),
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version >= 1),
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    data            jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    hash            bytea       NOT NULL,
    -- A unique constraint of a partitioned table must contain the partition key: (stream_id,
    -- stream_version) alone cannot be unique across years. The append's per-stream lock keeps versions
    -- unique; verify's chain check finds a duplicate (it breaks the stream's chain).
    PRIMARY KEY (global_position, recorded_at),
    UNIQUE (stream_id, stream_version, recorded_at)
) PARTITION BY RANGE (recorded_at);
CREATE INDEX ON vigil_archive.events (transaction_id, global_position);

-- The guards of vigil.events, on the parent: PostgreSQL clones row triggers to every partition, present
-- and future, with the parent's firing mode (ALWAYS).
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON vigil_archive.events
    FOR EACH ROW EXECUTE FUNCTION vigil.refuse_change();
ALTER TABLE vigil_archive.events ENABLE ALWAYS TRIGGER events_append_only;
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON vigil_archive.events
    FOR EACH STATEMENT EXECUTE FUNCTION vigil.refuse_change();
ALTER TABLE vigil_archive.events ENABLE ALWAYS TRIGGER events_no_truncate;

-- A statement trigger is not cloned, and TRUNCATE of one partition does not fire the parent's: each
-- partition gets its own, so partitions are made here, never by hand.
CREATE FUNCTION vigil_archive.add_partition(name text, starts timestamptz, ends timestamptz) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    EXECUTE format('CREATE TABLE vigil_archive.%I PARTITION OF vigil_archive.events FOR VALUES FROM (%L) TO (%L)', name, starts, ends);
    EXECUTE format('CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON vigil_archive.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION vigil.refuse_change()', name);
    EXECUTE format('ALTER TABLE vigil_archive.%I ENABLE ALWAYS TRIGGER events_no_truncate', name);
END
$$;

-- Archiving a year: DETACH drops the row triggers it cloned, so the detached table gets guards of its own
-- in the same transaction (export it with `vigil audit export` and anchor the log before moving it).
CREATE FUNCTION vigil_archive.detach_partition(name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    EXECUTE format('ALTER TABLE vigil_archive.events DETACH PARTITION vigil_archive.%I', name);
    EXECUTE format('CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON vigil_archive.%I '
                   'FOR EACH ROW EXECUTE FUNCTION vigil.refuse_change()', name);
    EXECUTE format('ALTER TABLE vigil_archive.%I ENABLE ALWAYS TRIGGER events_append_only', name);
END
$$;

SELECT vigil_archive.add_partition('events_2004', '2004-01-01', '2005-01-01');
SELECT vigil_archive.add_partition('events_2026', '2026-01-01', '2027-01-01');
CREATE TABLE vigil_archive.events_other PARTITION OF vigil_archive.events DEFAULT;
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON vigil_archive.events_other
    FOR EACH STATEMENT EXECUTE FUNCTION vigil.refuse_change();
ALTER TABLE vigil_archive.events_other ENABLE ALWAYS TRIGGER events_no_truncate;
