-- The trigger that erases a subject's signature with the subject (0031) fires in every session, as the
-- log's own guards do (0018): enabled for origin sessions only, a session with
-- session_replication_role = replica would delete a subject and keep its blind index. `vigil audit
-- verify` checks it is there and enabled always.
ALTER TABLE vault.subjects ENABLE ALWAYS TRIGGER subjects_forget_signature;
