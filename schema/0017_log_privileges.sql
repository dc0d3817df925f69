-- Grants after 0013–0016. Organisers (vigil_writer) append through vigil.append only: they keep SELECT
-- on the log's tables, which the store reads, and lose INSERT (0006 gave it); nobody else may write them
-- either. The log's owner gets exactly what vigil.append does: read and insert events and commands, and
-- draw positions.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON vigil.events, vigil.commands FROM vigil_writer;
GRANT SELECT ON vigil.events, vigil.commands TO vigil_writer;

GRANT USAGE ON SCHEMA vigil TO vigil_log_owner;
GRANT SELECT, INSERT ON vigil.events, vigil.commands TO vigil_log_owner;
GRANT USAGE ON SEQUENCE vigil.events_global_position_seq TO vigil_log_owner;

REVOKE ALL ON FUNCTION vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) TO vigil_writer;

-- The read models are written by vigil_projector only; the writer keeps reading them. The projector
-- reads the log it folds (events only) and may ask for the lag like everyone else.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA vigil_read FROM vigil_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA vigil_read REVOKE INSERT, UPDATE, DELETE ON TABLES FROM vigil_writer;
GRANT USAGE ON SCHEMA vigil, vigil_read TO vigil_projector;
GRANT SELECT ON vigil.events TO vigil_projector;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA vigil_read TO vigil_projector;
ALTER DEFAULT PRIVILEGES IN SCHEMA vigil_read GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO vigil_projector;
GRANT EXECUTE ON FUNCTION vigil_read.lag() TO vigil_projector;
