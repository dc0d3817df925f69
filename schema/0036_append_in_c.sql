-- vigil.append in C, for its common case (schema/library/vigil_append.c), and the PL/pgSQL function of 0029
-- kept, its body unchanged, as vigil.append_general for everything else.
--
-- Why: the PL/pgSQL append spent ~110 µs of server CPU on one event, most of it starting and ending the
-- executor around its statements, against ~13 µs for a plain INSERT of the same bytes (issue 10). The C
-- function does the same work with the server's own table and index routines, as COPY does:
--   one event, no conditions, a command never seen, the expected version matching, and a login that no
--   campaign grant limits: the same locks in the same order, the head and the command's record read with
--   a snapshot taken after them, the transaction's id before the position, the same canonical text and
--   hash (version 2), then the command's record and the event through the tables' constraints and
--   indexes;
--   anything else: it calls vigil.append_general with the same arguments, which refuses with the
--   messages and codes it always had (a repeated or reused command id, a stale expected version, a
--   limited login's stream, bad arguments) or appends several events or an append with conditions.
-- The contract (arguments, result, errors, who may call it, whose rights it runs with) is 0029's.
--
-- vigil.append carries no SET clause: saving and restoring settings cost ~8 µs a call, it resolves no
-- name through search_path (its relations by schema and name, its one SQL statement, the call of
-- vigil.append_general, schema-qualified with typed parameters), and it bounds its own lock waits at
-- 15 s, 0029's lock_timeout, only when a lock is not free at once. vigil.append_general keeps both
-- settings.
--
-- vigil.append_general runs with its caller's rights, and only vigil.append (as vigil_log_owner) calls
-- it: nobody else may EXECUTE it. audit verify checks both definitions. The C library itself lives in
-- PostgreSQL's library folder, which only root may write; a C function can be created only by a
-- superuser, so this migration runs as one (the private cluster's, the coalition's and the failover
-- set-up's migrations all do).

-- 0029's function, renamed: it now runs with its caller's rights (vigil.append's, the owner's), and nobody
-- but its owner may run it.
ALTER FUNCTION vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) RENAME TO append_general;
ALTER FUNCTION vigil.append_general(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) SECURITY INVOKER;
REVOKE ALL ON FUNCTION vigil.append_general(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) FROM PUBLIC, vigil_writer;

-- What vigil.append returns, one row an event: the columns of 0029's RETURNS TABLE, as a type of its own,
-- whose description the server keeps cached (a RETURNS TABLE's is built anew on every call, ~3 µs).
-- It stays the migrator's: the log's owner could otherwise rename its attributes and swap what callers
-- read by name (vigil.append refuses a type that is not exactly this one, and audit verify checks it).
CREATE TYPE vigil.appended AS (global_position bigint, stream_version bigint, transaction_id xid8);

-- The library is installed by every script that runs a server (vigil_ensure_library, scripts/lib/common.sh)
-- with `make -C schema/library install`; without it, or without a superuser, say what to do.
DO $migration$
BEGIN
    CREATE FUNCTION vigil.append(
        p_stream_id text, p_expected_version bigint, p_events jsonb, p_metadata jsonb,
        p_command_id text, p_actor text, p_correlation_id uuid, p_causation_id uuid,
        p_fingerprint bytea DEFAULT NULL, p_conditions jsonb DEFAULT NULL
    ) RETURNS SETOF vigil.appended
    LANGUAGE c SECURITY DEFINER
    AS '$libdir/vigil_append', 'vigil_append';
    -- The SHA-256 of the source the library was built from, for audit verify.
    CREATE FUNCTION vigil.library_source() RETURNS text
    LANGUAGE c STABLE
    AS '$libdir/vigil_append', 'vigil_library_source';
EXCEPTION
    WHEN undefined_file THEN
        RAISE EXCEPTION USING ERRCODE = '58P01',
            MESSAGE = 'migration 0036 needs Vigil''s server library (vigil_append) in PostgreSQL''s library folder',
            HINT = 'build and install it as root with: make -C schema/library install with_llvm=no (the project''s scripts do it)';
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'migration 0036 creates a function in C, which only a superuser may do',
            HINT = 'run vigil db migrate as the server''s superuser';
END
$migration$;
ALTER FUNCTION vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) OWNER TO vigil_log_owner;
REVOKE ALL ON FUNCTION vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) TO vigil_writer;
ALTER FUNCTION vigil.library_source() OWNER TO vigil_log_owner;
