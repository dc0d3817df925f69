-- The quarantine (0020) is a read model like the others: since 0013–0019 only vigil_projector, which
-- runs the projections, writes the read models. 0020 still let the writer insert into it; it may no
-- longer (on a database that had 0020 before 0017, 0017 already took that away; this makes both orders
-- of applying them end the same).
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON vigil_read.quarantine FROM vigil_writer;
GRANT SELECT ON vigil_read.quarantine TO vigil_writer, vigil_auditor, vigil_reporter;
GRANT SELECT, INSERT ON vigil_read.quarantine TO vigil_projector;
