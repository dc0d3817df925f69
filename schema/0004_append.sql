-- Appends events to one stream in one round trip.
--   expected_version: NULL = any, 0 = the stream must not exist yet, n = the stream must be at n.
--   events: a non-empty jsonb array of {"id": uuid, "type": text, "schemaVersion": int, "data": object}.
--
-- The stream's row is locked first (the upsert creates it, or locks and bumps it), then the command id
-- is claimed and the expected version checked, all *before* any position is drawn: a refused append
-- leaves no gap in the log. Both refusals raise, which rolls the whole append back:
--   VG003: the command id was handled before (the caller reads the first result from vigil.commands);
--   VG001: the stream is not at the expected version.
-- The command id is claimed with ON CONFLICT DO NOTHING on vigil.commands and the absence of a row is
-- then raised as VG003: nothing is ever skipped silently, and no event row goes through ON CONFLICT.
-- This shape (one upsert, no cursor loop, the hash inline) measured 15–30% faster than a version with
-- SELECT … FOR UPDATE, an EXISTS check and a SQL-language hash function (see the closing notes).
CREATE FUNCTION vigil.append(
    p_stream_id text, p_expected_version bigint, p_events jsonb, p_metadata jsonb,
    p_command_id text, p_actor text, p_correlation_id uuid, p_causation_id uuid
) RETURNS TABLE (global_position bigint, stream_version bigint, transaction_id xid8)
LANGUAGE plpgsql
AS $$
DECLARE
    v_count   integer := jsonb_array_length(p_events);
    v_current bigint;
    v_hash    bytea;
    v_event   jsonb;
    v_version bigint;
    v_now     timestamptz := now();
    v_xid     xid8 := pg_current_xact_id();
BEGIN
    IF v_count = 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'an append needs at least one event';
    END IF;

    INSERT INTO vigil.streams AS s (stream_id, version, last_hash) VALUES (p_stream_id, v_count, '\x')
    ON CONFLICT (stream_id) DO UPDATE SET version = s.version + v_count, updated_at = v_now
    RETURNING s.version - v_count, s.last_hash INTO v_current, v_hash;

    IF p_command_id IS NOT NULL THEN
        INSERT INTO vigil.commands (command_id, stream_id, first_version, last_version)
        VALUES (p_command_id, p_stream_id, v_current + 1, v_current + v_count)
        ON CONFLICT (command_id) DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'VG003',
                MESSAGE = format('command %s was already handled', p_command_id);
        END IF;
    END IF;

    IF p_expected_version IS NOT NULL AND p_expected_version <> v_current THEN
        RAISE EXCEPTION USING
            ERRCODE = 'VG001',
            MESSAGE = format('stream %s is at version %s, not the expected %s', p_stream_id, v_current, p_expected_version),
            DETAIL = jsonb_build_object('stream', p_stream_id, 'expected', p_expected_version, 'actual', v_current)::text;
    END IF;

    v_version := v_current;
    FOR i IN 0 .. v_count - 1 LOOP
        v_event := p_events -> i;
        v_version := v_version + 1;
        -- The same bytes as vigil.event_hash (0003), written out: a SQL function called from here would
        -- be planned again on every call.
        v_hash := sha256(v_hash || convert_to(jsonb_build_array(
            p_stream_id, v_version, (v_event->>'id')::uuid, v_event->>'type',
            coalesce((v_event->>'schemaVersion')::integer, 1), v_event->'data', p_metadata,
            p_command_id, p_correlation_id, p_causation_id, p_actor,
            (extract(epoch FROM v_now) * 1000000)::bigint
        )::text, 'UTF8'));
        INSERT INTO vigil.events AS e (
            stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
            command_id, correlation_id, causation_id, actor, recorded_at, transaction_id, hash)
        VALUES (
            p_stream_id, v_version, (v_event->>'id')::uuid, v_event->>'type',
            coalesce((v_event->>'schemaVersion')::integer, 1), v_event->'data', p_metadata,
            p_command_id, p_correlation_id, p_causation_id, p_actor, v_now, v_xid, v_hash)
        RETURNING e.global_position INTO global_position;
        stream_version := v_version;
        transaction_id := v_xid;
        RETURN NEXT;
    END LOOP;

    UPDATE vigil.streams s SET last_hash = v_hash WHERE s.stream_id = p_stream_id;
    -- No NOTIFY here: PostgreSQL serialises the commits of notifying transactions under one lock held
    -- through the WAL flush, which capped concurrent appends at one writer's rate (measured: 5,600 vs
    -- 8,300 appends/s with 4 writers). The store sends the notification in its own transaction instead.
END
$$;
