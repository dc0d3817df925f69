-- The log is append-only in the database, not only in code: UPDATE, DELETE and TRUNCATE of events
-- (and of the record of handled commands) are refused for every role, the owner included.
-- Statement-level triggers fire even when no row matches.
CREATE FUNCTION vigil.refuse_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'VG002',
        MESSAGE = format('%s on %s.%s is refused: the event log is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
        HINT = 'record a new event that corrects the old one';
END
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON vigil.events
    FOR EACH STATEMENT EXECUTE FUNCTION vigil.refuse_change();

CREATE TRIGGER commands_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON vigil.commands
    FOR EACH STATEMENT EXECUTE FUNCTION vigil.refuse_change();
