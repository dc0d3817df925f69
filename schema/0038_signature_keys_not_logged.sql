-- A unique index's refusal names its key in the server's log ("Key (petition_id, blind_index)=(…)
-- already exists.") unless the session's role may not read every column of the key: PostgreSQL leaves
-- the values out then (BuildIndexValueDescription). A person's blind index in the server's log is out of
-- reach of every erasure, and an import's COPY that met a signer on record put one there. The binaries
-- since 2026-12-07 look for every blind index of a batch first; this makes the server keep a unique
-- refusal's key out of its log whatever a client sends, and makes an older binary fail closed (its look reads
-- vault.signatures.blind_index, its sign names the key in ON CONFLICT: both are refused).
--
-- vigil_writer keeps INSERT on vault.signatures and reads petition, subject and consent there; it reads
-- blind indexes through the view below, which reads the table as the view's owner.
REVOKE SELECT ON vault.signatures FROM vigil_writer;
GRANT SELECT (petition_id, subject_id, consent) ON vault.signatures TO vigil_writer;

CREATE VIEW vault.signature_index AS
    SELECT petition_id, blind_index, subject_id, consent FROM vault.signatures;
REVOKE ALL ON vault.signature_index FROM PUBLIC;
GRANT SELECT ON vault.signature_index TO vigil_writer;

COMMENT ON VIEW vault.signature_index IS
    'vault.signatures for vigil_writer, blind indexes included: the table itself does not let it read them, so that a unique refusal in its sessions leaves the key out of the server''s log (0038).';
