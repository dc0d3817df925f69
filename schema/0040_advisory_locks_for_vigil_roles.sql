-- Advisory locks serialise Vigil's work: a stream's appends and a command's (the log's function takes
-- them), a petition's signatures against an import's batch (vigil_writer), one projection runner at a
-- time (vigil_projector; an auditor's comparison of a projection with a replay takes the same lock, so that
-- no runner moves the rows under it), the migrations (a superuser). Their keys are easy to work out (a
-- stream's name, a petition's id, hashed by hashtextextended), and PostgreSQL lets every role take any
-- advisory lock: EXECUTE on the functions is PUBLIC's. So a reporter's login, which may read reports and
-- nothing more (the web pages' login among them), could take the lock of a gathering's stream or of a
-- petition and keep it while it stays connected: every append to that stream, every signature of that
-- petition, would wait and then fail.
--
-- In this database only the roles that serialise their work by advisory locks may take one now (the log's
-- owner, for 0029's PL/pgSQL that vigil.append hands its rarer cases to; vigil.append itself calls the
-- lock in C, with no privilege check). Releasing stays everyone's: it releases only the session's own.
-- A writer's or an auditor's login can still hold a stream's lock: both are trusted with more than that.
-- Function privileges live in each database's catalog: this changes nothing in another database of the
-- cluster, and an advisory lock taken there is another lock.
DO $migration$
DECLARE
    lock regprocedure;
BEGIN
    FOR lock IN
        SELECT p.oid::regprocedure FROM pg_proc p
         WHERE p.pronamespace = 'pg_catalog'::regnamespace
           AND p.proname IN ('pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared',
                             'pg_try_advisory_lock', 'pg_try_advisory_lock_shared', 'pg_try_advisory_xact_lock',
                             'pg_try_advisory_xact_lock_shared')
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', lock);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO vigil_writer, vigil_projector, vigil_auditor, vigil_log_owner', lock);
    END LOOP;
END
$migration$;
