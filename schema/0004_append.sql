-- Appends events to one stream in one round trip.
--   expected_version: NULL = any, 0 = the stream must not exist yet, n = the stream must be at n.
--   events: a jsonb array of {"id": uuid, "type": text, "schemaVersion": int, "data": object}.
-- Order matters: the stream row is locked and the command id and version are checked *before* any
-- position is drawn, so a refused append leaves no gap in the log and never waits on another's sequence.
-- A retried command id returns the rows of its first append and appends nothing.
CREATE FUNCTION vigil.append(
    p_stream_id text, p_expected_version bigint, p_events jsonb, p_metadata jsonb,
    p_command_id text, p_actor text, p_correlation_id uuid, p_causation_id uuid
) RETURNS TABLE (global_position bigint, stream_version bigint, duplicate boolean)
LANGUAGE plpgsql
AS $$
DECLARE
    v_current bigint;
    v_hash    bytea;
    v_version bigint;
    v_event   jsonb;
    v_first   bigint;
    v_last    bigint;
    v_now     timestamptz := now();
BEGIN
    SELECT s.version, s.last_hash INTO v_current, v_hash
      FROM vigil.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
    IF NOT FOUND THEN
        -- Creating the stream's row: a concurrent creator may have inserted it since the SELECT. Skipping
        -- the duplicate row here loses nothing (no event is written by this statement); the row is then
        -- locked and the version checked below as for any stream.
        INSERT INTO vigil.streams (stream_id, version, last_hash) VALUES (p_stream_id, 0, '\x')
            ON CONFLICT (stream_id) DO NOTHING;
        SELECT s.version, s.last_hash INTO v_current, v_hash
          FROM vigil.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
    END IF;

    -- Under the lock, a command that committed while this one waited is visible.
    IF p_command_id IS NOT NULL AND EXISTS (SELECT 1 FROM vigil.commands c WHERE c.command_id = p_command_id) THEN
        RETURN QUERY
            SELECT e.global_position, e.stream_version, true FROM vigil.events e
             WHERE e.command_id = p_command_id ORDER BY e.global_position;
        IF NOT FOUND THEN
            RETURN QUERY SELECT NULL::bigint, c.stream_version, true FROM vigil.commands c
             WHERE c.command_id = p_command_id;
        END IF;
        IF v_current = 0 THEN
            DELETE FROM vigil.streams s WHERE s.stream_id = p_stream_id;  -- the empty row made above
        END IF;
        RETURN;
    END IF;

    IF p_expected_version IS NOT NULL AND p_expected_version <> v_current THEN
        RAISE EXCEPTION USING
            ERRCODE = 'VG001',
            MESSAGE = format('stream %s is at version %s, not the expected %s', p_stream_id, v_current, p_expected_version),
            DETAIL = jsonb_build_object('stream', p_stream_id, 'expected', p_expected_version, 'actual', v_current)::text;
    END IF;

    v_version := v_current;
    FOR v_event IN SELECT value FROM jsonb_array_elements(p_events) LOOP
        v_version := v_version + 1;
        v_hash := vigil.event_hash(
            v_hash, p_stream_id, v_version, (v_event->>'id')::uuid, v_event->>'type',
            coalesce((v_event->>'schemaVersion')::integer, 1), v_event->'data', p_metadata,
            p_command_id, p_correlation_id, p_causation_id, p_actor, v_now);
        INSERT INTO vigil.events AS e (
            stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
            command_id, correlation_id, causation_id, actor, recorded_at, hash)
        VALUES (
            p_stream_id, v_version, (v_event->>'id')::uuid, v_event->>'type',
            coalesce((v_event->>'schemaVersion')::integer, 1), v_event->'data', p_metadata,
            p_command_id, p_correlation_id, p_causation_id, p_actor, v_now, v_hash)
        RETURNING e.global_position INTO v_last;
        v_first := coalesce(v_first, v_last);
        global_position := v_last;
        stream_version := v_version;
        duplicate := false;
        RETURN NEXT;
    END LOOP;

    IF v_version = v_current AND v_current = 0 THEN
        -- Nothing appended to a stream that did not exist: leave no empty stream behind.
        DELETE FROM vigil.streams s WHERE s.stream_id = p_stream_id;
    ELSIF v_version <> v_current THEN
        UPDATE vigil.streams s SET version = v_version, last_hash = v_hash, updated_at = v_now
         WHERE s.stream_id = p_stream_id;
    END IF;

    IF p_command_id IS NOT NULL THEN
        INSERT INTO vigil.commands (command_id, stream_id, stream_version, first_position, last_position)
        VALUES (p_command_id, p_stream_id, v_version, v_first, v_last);
    END IF;

    IF v_version <> v_current THEN
        PERFORM pg_notify('vigil_events', p_stream_id);
    END IF;
END
$$;
