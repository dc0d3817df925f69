-- The command's record is its first event (issue 10: the log's shape).
--
-- Until now each command wrote two rows: its events, and a record in vigil.commands (id, stream, versions,
-- fingerprint) whose unique key refused the same command id twice. That record was a second heap row and
-- a second unique index entry on every append (263 of its 1,063 WAL bytes). From here on a command's
-- events take ids that follow from the command's id and their place in it (vigil.command_event_id below:
-- SHA-256 of the id and the place, cut to a version-8 UUID), so the unique index the log already keeps on
-- event ids refuses the same command twice, and the fingerprint goes into the first event's metadata
-- ("commandFingerprint", hex; with "commandEvents", how many, when a command appends more than one),
-- covered by its hash. vigil.append (C) and vigil.append_general refuse
-- an event whose id is not the one its command gives it, so nobody can take a command id that another
-- command will use, and find a handled command by its first event's id.
--
-- vigil.commands keeps the records of the commands appended before this migration (the append still
-- refuses their ids again, and audit verify still checks them), and nobody writes it any more: the log's
-- owner loses INSERT on it. What audit verify gives up: a record that named the versions a command
-- appended told a removed tail of a stream without an anchor; now the events and their record go
-- together, and only an anchor (or a gap in the positions) tells. What it gains: every event since
-- has an id audit verify recomputes from its command.

-- The id of the event at place p_index (from 0) of command p_command_id: the first 16 bytes of
-- SHA-256('vigil command event' LF command id as UTF-8 LF place in decimal), marked as a version-8
-- (custom) UUID. Ids made by gen_random_uuid() or a client (versions 4 and 7) never equal one. In the
-- server library (command_event_id in vigil_append.c), the one the C append itself uses: written in SQL
-- it cost ~50 µs a call from PL/pgSQL, which sets such a body up anew in every transaction.
DO $migration$
BEGIN
    CREATE FUNCTION vigil.command_event_id(p_command_id text, p_index integer) RETURNS uuid
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS '$libdir/vigil_append', 'vigil_command_event_id';
EXCEPTION
    WHEN undefined_function THEN
        RAISE EXCEPTION USING ERRCODE = '42883',
            MESSAGE = 'migration 0037 needs Vigil''s server library built from this checkout (it has no vigil_command_event_id)',
            HINT = 'build and install it as root with: make -C schema/library install with_llvm=no (the project''s scripts do it)';
END
$migration$;
ALTER FUNCTION vigil.command_event_id(text, integer) OWNER TO vigil_log_owner;

-- vigil.append_general (0029's PL/pgSQL, renamed by 0036): the same function with the command's record in
-- its first event. It stays SECURITY INVOKER, with its settings, run by nobody but its owner.
CREATE OR REPLACE FUNCTION vigil.append_general(
    p_stream_id text, p_expected_version bigint, p_events jsonb, p_metadata jsonb,
    p_command_id text, p_actor text, p_correlation_id uuid, p_causation_id uuid,
    p_fingerprint bytea DEFAULT NULL, p_conditions jsonb DEFAULT NULL
) RETURNS TABLE (global_position bigint, stream_version bigint, transaction_id xid8)
LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp SET lock_timeout = '15s'
AS $append$
DECLARE
    v_count      integer := jsonb_array_length(p_events);
    v_conditions integer := coalesce(jsonb_array_length(p_conditions), 0);
    v_event      jsonb := p_events -> 0;
    v_id         uuid;
    v_metadata   jsonb;
    v_current    bigint;
    v_hash       bytea;
    v_handled    boolean;
    v_first      bytea;
    v_taken_by   text;
    v_metas      jsonb[];
    v_position   bigint;
    v_now        timestamptz;
    v_schema     integer;
    v_ids        uuid[];
    v_types      text[];
    v_schemas    integer[];
    v_data       jsonb[];
    v_positions  bigint[];
    v_hashes     bytea[];
    v_lock       record;
    v_condition  record;
    v_campaign   text;
BEGIN
    IF v_count IS NULL OR v_count = 0 OR jsonb_typeof(p_metadata) IS DISTINCT FROM 'object'
       OR current_setting('transaction_isolation') <> 'read committed'
       OR v_event ->> 'id' IS NULL OR v_event ->> 'type' IS NULL OR v_event -> 'data' IS NULL
       OR p_command_id IS NULL OR v_conditions > 32 THEN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION USING ERRCODE = '0A000',
                MESSAGE = 'vigil.append runs in READ COMMITTED only: its checks must see the latest committed heads';
        END IF;
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'an append needs a command id, at least one event, each with an id, a type and data, '
                      'metadata that is a JSON object, and at most 32 conditions';
    END IF;
    v_id := (v_event ->> 'id')::uuid;
    v_schema := coalesce((v_event ->> 'schemaVersion')::integer, 1);
    -- A command's events carry the ids its id gives them: the log's unique index on event ids is then
    -- the command's record.
    FOR i IN 1 .. v_count LOOP
        IF (p_events -> (i - 1) ->> 'id')::uuid IS DISTINCT FROM vigil.command_event_id(p_command_id, i - 1) THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('event %s of command %s must have the id %s: a command''s events take the ids '
                                 'vigil.command_event_id(command id, place from 0) gives them',
                                 i, p_command_id, vigil.command_event_id(p_command_id, i - 1));
        END IF;
    END LOOP;

    -- 1. Locks.
    IF v_conditions = 0 THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_stream_id, 0)),
                pg_advisory_xact_lock(hashtextextended(p_command_id, 1));
    ELSE
        FOR v_lock IN
            SELECT k.key, bool_or(k.mine) AS mine
              FROM (SELECT hashtextextended(p_stream_id, 0) AS key, true AS mine
                    UNION ALL
                    SELECT hashtextextended(c.stream, 0), false
                      FROM jsonb_to_recordset(p_conditions) AS c(stream text)) k
             GROUP BY k.key
             ORDER BY k.key
        LOOP
            IF v_lock.mine THEN
                PERFORM pg_advisory_xact_lock(v_lock.key);
            ELSE
                PERFORM pg_advisory_xact_lock_shared(v_lock.key);
            END IF;
        END LOOP;
        PERFORM pg_advisory_xact_lock(hashtextextended(p_command_id, 1));
    END IF;

    -- 1'. The transaction's id: after the locks, so that of two appends that take a stream's lock in
    -- turn the later has the larger id (readers follow the log in (transaction_id, position) order, and
    -- a decision conditioned on a stream must come before that stream's next event there too); before
    -- any position is drawn, so that an anchor's settled end holds (EventStore.settledPosition: a
    -- transaction that draws a position already had its id when a later position became visible).
    PERFORM pg_current_xact_id();

    -- 2. The stream's head, and whether the command was handled.
    -- Handled already: its first event is in the log (since 0037), or it has a record in vigil.commands
    -- (before 0037).
    -- An event found under that id for another command was recorded before 0037, when callers chose
    -- the ids: the id is taken, and the command id cannot be used.
    SELECT coalesce(h.stream_version, 0), coalesce(h.hash, '\x'),
           f.event_id IS NOT NULL OR c.command_id IS NOT NULL,
           CASE WHEN f.event_id IS NULL THEN c.fingerprint
                WHEN jsonb_typeof(f.metadata -> 'commandFingerprint') = 'string'
                THEN decode(f.metadata ->> 'commandFingerprint', 'hex') END,
           CASE WHEN f.command_id IS DISTINCT FROM p_command_id THEN f.command_id END
      INTO v_current, v_hash, v_handled, v_first, v_taken_by
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (
            SELECT e.stream_version, e.hash FROM vigil.events e
             WHERE e.stream_id = p_stream_id
             ORDER BY e.stream_version DESC
             LIMIT 1) h ON true
      LEFT JOIN vigil.events f ON f.event_id = vigil.command_event_id(p_command_id, 0)
      LEFT JOIN vigil.commands c ON c.command_id = p_command_id;

    -- 3. The refusals.
    IF v_taken_by IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'VG004',
            MESSAGE = format('command id %s cannot be used: the id of its first event was taken before 0037 by an '
                             'event of command %s; use another key', p_command_id, v_taken_by);
    END IF;
    IF v_handled OR (p_expected_version IS NOT NULL AND p_expected_version <> v_current) THEN
        IF v_handled AND v_first IS DISTINCT FROM p_fingerprint THEN
            RAISE EXCEPTION USING
                ERRCODE = 'VG004',
                MESSAGE = format('command id %s was used before for a different command', p_command_id);
        ELSIF v_handled THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = format('command %s was already handled', p_command_id);
        END IF;
        RAISE EXCEPTION USING
            ERRCODE = 'VG001',
            MESSAGE = format('stream %s is at version %s, not the expected %s', p_stream_id, v_current, p_expected_version),
            DETAIL = jsonb_build_object('stream', p_stream_id, 'expected', p_expected_version, 'actual', v_current)::text;
    END IF;
    IF v_conditions > 0 THEN
        SELECT c.stream, c.version, coalesce(h.version, 0) AS actual INTO v_condition
          FROM jsonb_to_recordset(p_conditions) AS c(stream text, version bigint)
          LEFT JOIN LATERAL (
                SELECT e.stream_version AS version FROM vigil.events e
                 WHERE e.stream_id = c.stream
                 ORDER BY e.stream_version DESC LIMIT 1) h ON true
         WHERE c.stream IS NULL OR c.version IS DISTINCT FROM coalesce(h.version, 0)
         LIMIT 1;
        IF FOUND THEN
            IF v_condition.stream IS NULL OR v_condition.version IS NULL THEN
                RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'every condition needs a stream and a version';
            END IF;
            RAISE EXCEPTION USING
                ERRCODE = 'VG001',
                MESSAGE = format('stream %s is at version %s, not the %s the decision read',
                                 v_condition.stream, v_condition.actual, v_condition.version),
                DETAIL = jsonb_build_object('stream', v_condition.stream, 'expected', v_condition.version,
                                            'actual', v_condition.actual)::text;
        END IF;
    END IF;

    -- 3''. A login limited to some campaigns records only in their streams.
    IF EXISTS (SELECT 1 FROM vigil.campaign_grants g WHERE g.login = session_user) THEN
        IF left(p_stream_id, 9) = 'campaign-' THEN
            v_campaign := substr(p_stream_id, 10);
        ELSIF split_part(p_stream_id, '-', 1) IN ('gathering', 'recurrence', 'petition') THEN
            IF v_current = 0 THEN
                v_campaign := v_event -> 'data' ->> 'campaignId';
            ELSE
                SELECT e.data ->> 'campaignId' INTO v_campaign
                  FROM vigil.events e WHERE e.stream_id = p_stream_id AND e.stream_version = 1;
            END IF;
        END IF;
        IF v_campaign IS NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'VG005',
                MESSAGE = format('login %s records only in the campaigns it is allowed, and %s belongs to no campaign; '
                                 'a login without limits records it', session_user, p_stream_id);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM vigil.campaign_grants g WHERE g.login = session_user AND g.campaign_id = v_campaign) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'VG005',
                MESSAGE = format('login %s may not record in campaign %s (%s); the administrator allows it with '
                                 'vigil admin allow %s --campaign %s', session_user, v_campaign, p_stream_id,
                                 session_user, v_campaign);
        END IF;
    END IF;

    -- The login is the log's, never the caller's; so are, on the command's first event only, its
    -- fingerprint (hex) when it has one and, when it appends more than one, how many (so that verify
    -- finds the command's last events removed, which no later position of the stream would show).
    v_metadata := (p_metadata - 'commandFingerprint' - 'commandEvents') || jsonb_build_object('login', session_user);
    v_metas[1] := v_metadata
                  || CASE WHEN p_fingerprint IS NULL THEN '{}'::jsonb
                          ELSE jsonb_build_object('commandFingerprint', encode(p_fingerprint, 'hex')) END
                  || CASE WHEN v_count > 1 THEN jsonb_build_object('commandEvents', v_count) ELSE '{}'::jsonb END;
    -- The recording time is the clock's once the locks are held, not the transaction's start: a
    -- transaction opened yesterday cannot backdate an event.
    v_now := clock_timestamp();

    -- 4. One event: its position drawn, then one statement hashes it (over the position) and writes the
    -- command's record and the event.
    IF v_count = 1 THEN
        v_position := nextval('vigil.events_global_position_seq'::regclass);
        RETURN QUERY
        INSERT INTO vigil.events AS e (
            global_position, stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
            command_id, correlation_id, causation_id, actor, recorded_at, transaction_id, hash, hash_version)
        OVERRIDING SYSTEM VALUE
        SELECT v_position, p_stream_id, v_current + 1, v_id, x.type, v_schema, x.data, v_metas[1],
               p_command_id, p_correlation_id, p_causation_id, p_actor, v_now, pg_current_xact_id(),
               vigil.event_hash(v_hash, vigil.event_canonical(
                   2::smallint, v_position, p_stream_id, v_current + 1, v_id, x.type, v_schema, x.data,
                   v_metas[1], p_command_id, p_correlation_id, p_causation_id, p_actor, v_now)), 2
          FROM (SELECT v_event ->> 'type' AS type, v_event -> 'data' AS data) x
        RETURNING e.global_position, e.stream_version, e.transaction_id;
        RETURN;
    END IF;

    -- 4'. Several events: typed (a malformed one is refused before any position is drawn), positions
    -- drawn and hashes chained, then one statement writes the command's record and the events.
    FOR i IN 1 .. v_count LOOP
        v_event := p_events -> (i - 1);
        v_ids[i] := (v_event ->> 'id')::uuid;
        v_types[i] := v_event ->> 'type';
        v_schemas[i] := coalesce((v_event ->> 'schemaVersion')::integer, 1);
        v_data[i] := v_event -> 'data';
        IF i > 1 THEN
            v_metas[i] := v_metadata;
        END IF;
        IF v_ids[i] IS NULL OR v_types[i] IS NULL OR v_data[i] IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'every event needs an id, a type and data';
        END IF;
    END LOOP;
    FOR i IN 1 .. v_count LOOP
        v_positions[i] := nextval('vigil.events_global_position_seq'::regclass);
        v_hash := vigil.event_hash(v_hash, vigil.event_canonical(
            2::smallint, v_positions[i], p_stream_id, v_current + i, v_ids[i], v_types[i], v_schemas[i],
            v_data[i], v_metas[i], p_command_id, p_correlation_id, p_causation_id, p_actor, v_now));
        v_hashes[i] := v_hash;
    END LOOP;
    RETURN QUERY
    INSERT INTO vigil.events AS e (
        global_position, stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
        command_id, correlation_id, causation_id, actor, recorded_at, transaction_id, hash, hash_version)
    OVERRIDING SYSTEM VALUE
    SELECT x.position, p_stream_id, v_current + x.n, x.id, x.type, x.schema_version, x.data, x.metadata,
           p_command_id, p_correlation_id, p_causation_id, p_actor, v_now, pg_current_xact_id(), x.hash, 2
      FROM unnest(v_positions, v_ids, v_types, v_schemas, v_data, v_metas, v_hashes)
           WITH ORDINALITY AS x(position, id, type, schema_version, data, metadata, hash, n)
     ORDER BY x.n
    RETURNING e.global_position, e.stream_version, e.transaction_id;
END
$append$;

REVOKE ALL ON FUNCTION vigil.append_general(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) FROM PUBLIC, vigil_writer;

-- The records of the commands before this migration are read, never written again.
REVOKE INSERT ON vigil.commands FROM vigil_log_owner;
