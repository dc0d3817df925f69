-- Grants: the writer may only INSERT and SELECT events; auditors read everything; reporters read the
-- read models and nothing else.
REVOKE ALL ON ALL TABLES IN SCHEMA vigil FROM PUBLIC;
REVOKE ALL ON FUNCTION vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid) FROM PUBLIC;

GRANT USAGE ON SCHEMA vigil TO vigil_writer, vigil_auditor;
GRANT SELECT, INSERT ON vigil.events, vigil.commands TO vigil_writer;
GRANT SELECT, INSERT, UPDATE ON vigil.streams TO vigil_writer;
GRANT EXECUTE ON FUNCTION vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid) TO vigil_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA vigil TO vigil_auditor;

GRANT USAGE ON SCHEMA vigil_read TO vigil_writer, vigil_auditor, vigil_reporter;
ALTER DEFAULT PRIVILEGES IN SCHEMA vigil_read GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO vigil_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA vigil_read GRANT SELECT ON TABLES TO vigil_auditor, vigil_reporter;
