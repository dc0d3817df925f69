-- The hash covers the position. Each event records the formula its hash uses (hash_version):
--   1: events appended before this migration: the canonical text leaves out the position (0003);
--   2: every event since: the position comes first.
-- Both are defined in one function, vigil.event_canonical, and every event's hash is
--   sha256(previous hash of its stream || UTF-8 bytes of its canonical text)        (vigil.event_hash)
-- with the empty string as the previous hash of a stream's first event.
--
-- The canonical text of ANY event, old formula or new, is one SQL expression over its row:
--     SELECT vigil.event_canonical(e), e.hash FROM vigil.events e
-- and an offline verifier recomputes sha256(previous || canonical) per stream, in stream_version order.
--
-- The canonical text is the text of one jsonb array: jsonb prints with fixed spacing; strings are JSON
-- strings, uuids their lowercase text, the recording time integer microseconds since 1970-01-01 UTC,
-- so no session setting (time zone, date style) changes a byte. Version 2's array:
--   [global_position, stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
--    command_id, correlation_id, causation_id, actor, recorded_at_microseconds]
-- Version 1's is the same without global_position.
--
-- The functions have SQL-standard bodies (RETURN …): parsed once, here, so no caller's search_path can
-- change what they call, and still inlined into the queries that use them.

-- Existing rows read 1 (the default is kept as the value of rows that predate the column); the default
-- is then dropped, so every new row must say which formula it uses.
ALTER TABLE vigil.events ADD COLUMN hash_version smallint NOT NULL DEFAULT 1;
ALTER TABLE vigil.events ALTER COLUMN hash_version DROP DEFAULT;

CREATE FUNCTION vigil.event_canonical(
    hash_version smallint, global_position bigint, stream_id text, stream_version bigint, event_id uuid,
    event_type text, schema_version integer, data jsonb, metadata jsonb, command_id text,
    correlation_id uuid, causation_id uuid, actor text, recorded_at timestamptz
) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE hash_version
    WHEN 2 THEN pg_catalog.jsonb_build_array(
        global_position, stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
        command_id, correlation_id, causation_id, actor,
        (pg_catalog.extract('epoch', recorded_at) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8)::pg_catalog.text
    WHEN 1 THEN pg_catalog.jsonb_build_array(
        stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
        command_id, correlation_id, causation_id, actor,
        (pg_catalog.extract('epoch', recorded_at) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8)::pg_catalog.text
END;

-- The same for a row of vigil.events, whichever formula it uses.
CREATE FUNCTION vigil.event_canonical(e vigil.events) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN vigil.event_canonical(
    e.hash_version, e.global_position, e.stream_id, e.stream_version, e.event_id, e.event_type,
    e.schema_version, e.data, e.metadata, e.command_id, e.correlation_id, e.causation_id, e.actor,
    e.recorded_at);

-- An event's hash from the previous hash of its stream ('' for the first) and its canonical text.
CREATE FUNCTION vigil.event_hash(previous bytea, canonical text) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
RETURN pg_catalog.sha256(previous OPERATOR(pg_catalog.||) pg_catalog.convert_to(canonical, 'UTF8'));

-- The formula of 0003 lives on as version 1 of vigil.event_canonical.
DROP FUNCTION vigil.event_hash(bytea, text, bigint, uuid, text, integer, jsonb, jsonb, text, uuid, uuid, text, timestamptz);
