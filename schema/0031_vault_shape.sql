-- The vault's shape for imports (issue 11: an import of a million signers at a quarter of a COPY's speed).
-- 0025 tied each signature to its subject by a foreign key checked at commit: one `SELECT … FOR KEY
-- SHARE` on vault.subjects per signature, a quarter of an import's time, and a per-row check that made
-- COPY straight into the tables no faster than INSERT. The reference goes; what it guaranteed stays:
--   * Erasing a subject deletes its signature, blind index and all: the trigger below does it, in the
--     erasing statement, for whoever deletes the subject (vigil_writer may delete a subject, never a
--     signature alone).
--   * A signature cannot be pointed at another subject: vigil_writer cannot UPDATE a signature, a
--     subject has at most one (subject_id is UNIQUE), and a subject's sealed record is bound to its
--     petition, blind index and consent (SubjectSealer.signerBinding), so a signature that names
--     another subject does not open it.
-- New subject ids are time-ordered (UUID version 7, made by the client): the subjects' primary key and
-- the signatures' unique subject_id take them at their right-hand end, as appends, instead of at random
-- pages. Rows written under 0025 keep their random (version 4) ids; nothing reads an id's version.
ALTER TABLE vault.signatures DROP CONSTRAINT signatures_subject_id_fkey;

-- Runs as the vault's owner (who may delete a signature), with a pinned search_path.
CREATE FUNCTION vault.forget_signature() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM vault.signatures WHERE subject_id = OLD.subject_id;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vault.forget_signature() FROM PUBLIC;

CREATE TRIGGER subjects_forget_signature AFTER DELETE ON vault.subjects
    FOR EACH ROW EXECUTE FUNCTION vault.forget_signature();

COMMENT ON TABLE vault.signatures IS
    'Who signed which petition, by blind index. A subject''s deletion deletes its signature (trigger subjects_forget_signature on vault.subjects).';
