-- Schemas and the three group roles. Roles are cluster-wide, so creating one tolerates another
-- database's migration having just created it.
CREATE SCHEMA IF NOT EXISTS vigil;       -- the event log and its bookkeeping
CREATE SCHEMA IF NOT EXISTS vigil_read;  -- projections: read models and their checkpoints

DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['vigil_writer', 'vigil_auditor', 'vigil_reporter'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$$;

-- One stuck transaction must not hold back every reader of the log (readers wait for the oldest
-- open transaction), so the database ends sessions left idle in a transaction.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = %L', current_database(), '60s');
END
$$;
