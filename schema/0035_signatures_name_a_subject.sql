-- A signature names a subject of the vault, checked once per statement (0031 dropped the per-row foreign
-- key). Without it, an organiser's login could insert a signature whose subject does not exist: a
-- person's blind index tied to a petition, refusing that person's own signature as a repeat, and out of
-- reach of every erasure (an erasure deletes a subject, and the signature with it). The check is an
-- anti-join of the statement's new rows against the subjects, after the whole statement: a statement
-- that writes a signature and its subject together (the service's INSERT … WITH) passes, and an
-- import's COPY writes the subjects first. It runs with the caller's rights (organisers may read the
-- subjects) and fires in every session; `vigil audit verify` checks both triggers of the vault.
CREATE FUNCTION vault.refuse_orphan_signatures() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_signatures n
                WHERE NOT EXISTS (SELECT 1 FROM vault.subjects s WHERE s.subject_id = n.subject_id)) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = 'a signature must name a subject of the vault: write the subject first, or in the same statement';
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vault.refuse_orphan_signatures() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vault.refuse_orphan_signatures() TO vigil_writer;

CREATE TRIGGER signatures_name_a_subject AFTER INSERT ON vault.signatures
    REFERENCING NEW TABLE AS new_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION vault.refuse_orphan_signatures();
ALTER TABLE vault.signatures ENABLE ALWAYS TRIGGER signatures_name_a_subject;
