-- How many commands of each kind came to what, counted by every process that handles commands, so that
-- the long-running ones (vigil serve, vigil projections run) can show an operator what the one-shot CLI
-- did: vigil_commands_total{kind,outcome} and vigil_command_conflicts_total{kind} at /metrics.
--
-- These are operational counters, not history: they live outside the log (a schema of their own), are
-- updated in place, and nothing audits them. A command's count is added after the command, in a
-- transaction of its own that does not wait for the disk; a count that fails is dropped, never the
-- command. Labels are closed sets: a kind is `family.case` (`gathering.schedule`, `petition.import`), never an
-- id; an outcome is one of five words.
CREATE SCHEMA vigil_ops;
REVOKE ALL ON SCHEMA vigil_ops FROM PUBLIC;

CREATE TABLE vigil_ops.command_counts (
    kind      text   NOT NULL CHECK (kind ~ '^(campaign|mission|gathering|weekly|petition)\.[a-z][A-Za-z]{0,40}$'),
    outcome   text   NOT NULL CHECK (outcome IN ('appended', 'repeated', 'refused', 'conflict', 'failed')),
    -- Commands of this kind that came to this outcome (below 2^53: a Prometheus value is a double).
    commands  bigint NOT NULL CHECK (commands BETWEEN 0 AND 9007199254740991),
    -- Decisions among them that lost a race and were decided again.
    conflicts bigint NOT NULL CHECK (conflicts BETWEEN 0 AND 9007199254740991),
    PRIMARY KEY (kind, outcome)
);

-- Organisers add to the counts only through this function, one command at a time: at most 100 lost
-- races (more than the service's retries), and at most 500 kinds and outcomes (about four times Vigil's),
-- so that nobody can grow the metrics without end or write a count of their choosing. It runs as
-- vigil_projector, which no login is, with its search_path pinned, and waits at most 100 ms for a row
-- another session holds (a count is dropped rather than hold up a command). `vigil audit verify` checks
-- its definition, like the log's own SECURITY DEFINER functions.
CREATE FUNCTION vigil_ops.count_command(p_kind text, p_outcome text, p_conflicts integer)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '100ms'
AS $$
    INSERT INTO vigil_ops.command_counts AS c (kind, outcome, commands, conflicts)
    SELECT p_kind, p_outcome, 1, p_conflicts
     WHERE p_conflicts BETWEEN 0 AND 100
       AND (EXISTS (SELECT 1 FROM vigil_ops.command_counts WHERE kind = p_kind AND outcome = p_outcome)
            OR (SELECT count(*) FROM vigil_ops.command_counts) < 500)
    ON CONFLICT (kind, outcome) DO UPDATE SET commands = c.commands + 1, conflicts = c.conflicts + EXCLUDED.conflicts;
$$;

GRANT USAGE ON SCHEMA vigil_ops TO vigil_projector, vigil_writer, vigil_auditor, vigil_reporter;
GRANT SELECT, INSERT, UPDATE ON vigil_ops.command_counts TO vigil_projector;
GRANT SELECT ON vigil_ops.command_counts TO vigil_auditor, vigil_reporter;
ALTER FUNCTION vigil_ops.count_command(text, text, integer) OWNER TO vigil_projector;
REVOKE ALL ON FUNCTION vigil_ops.count_command(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vigil_ops.count_command(text, text, integer) TO vigil_writer;
