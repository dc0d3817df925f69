-- The vault: what must be kept about people, in tables that can forget (DESIGN.md, "People and their
-- safety"). The log holds a person only as a random subject id or in a count; the vault holds, per
-- subject, the personal fields sealed (AES-256-GCM) under the subject's own data key, and that key
-- wrapped (AES-256-GCM) by a master key that never enters the database. Without the master key a dump or
-- a stolen replica holds ciphertext and nothing to open it with. Erasing a subject deletes its row: its
-- data key goes with it, so every copy of the ciphertext (a backup, the WAL) is unreadable once the
-- master key that wrapped the key is rotated away.
CREATE SCHEMA vault;
REVOKE ALL ON SCHEMA vault FROM PUBLIC;

-- Which master key wraps the vault's keys now. A command that seals reads it under a share lock and
-- refuses a key that is not this one, so that no row is ever wrapped by a stray key; a rotation takes it
-- under an update lock, re-wraps every key and changes it in one transaction.
CREATE TABLE vault.master_key (
    id            integer PRIMARY KEY CHECK (id = 1),
    master_key_id text    NOT NULL CHECK (master_key_id ~ '^[0-9a-f]{16}$'),
    since         timestamptz NOT NULL DEFAULT now()
);

-- One row per subject: a signer of one petition ('signer'), or one value an event refers to instead of
-- holding it: an organiser's free text ('organiser': a note, a reason) or a person's name or description
-- ('restricted': who organised a gathering, who took a petition).
--   master_key_id  which master key wrapped data_key (16 hex digits derived from the key, never the key)
--   wrapped_key    the subject's data key, sealed under the master key, the subject id authenticated
--   sealed         the personal fields (JSON), sealed under the data key, the subject id authenticated
CREATE TABLE vault.subjects (
    subject_id    uuid        PRIMARY KEY,
    kind          text        NOT NULL CHECK (kind IN ('signer', 'organiser', 'restricted')),
    master_key_id text        NOT NULL CHECK (master_key_id ~ '^[0-9a-f]{16}$'),
    wrapped_key   bytea       NOT NULL,
    sealed        bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Each petition's blind-index key (32 random bytes made by the client), wrapped by the master key. One
-- key per petition: the same person has unrelated blind indexes in two petitions.
CREATE TABLE vault.petition_keys (
    petition_id   text        PRIMARY KEY,
    master_key_id text        NOT NULL CHECK (master_key_id ~ '^[0-9a-f]{16}$'),
    wrapped_key   bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Who signed which petition: the blind index (HMAC-SHA-256 of the normalised identity under the
-- petition's key) is unique per petition, so a second signature of one person is refused by the
-- database, however many signed before. Deleting the subject deletes its row here, blind index and all.
-- The reference to the subject is checked at commit, so an import inserts the signatures it keeps and
-- then only their subjects.
CREATE TABLE vault.signatures (
    petition_id text    NOT NULL,
    blind_index bytea   NOT NULL CHECK (length(blind_index) = 32),
    subject_id  uuid    NOT NULL UNIQUE REFERENCES vault.subjects ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    consent     boolean NOT NULL,
    PRIMARY KEY (petition_id, blind_index)
);
CREATE INDEX signatures_consent ON vault.signatures (petition_id) WHERE consent;

-- No statistics on what identifies a subject: ANALYZE would copy sample values (ids, wrapped keys,
-- ciphertext, blind indexes) into pg_statistic, where an erasure never reaches them. It must be set before
-- the first ANALYZE: a later SET STATISTICS 0 does not remove what was collected.
ALTER TABLE vault.subjects
    ALTER COLUMN subject_id SET STATISTICS 0,
    ALTER COLUMN wrapped_key SET STATISTICS 0,
    ALTER COLUMN sealed SET STATISTICS 0;
ALTER TABLE vault.signatures
    ALTER COLUMN blind_index SET STATISTICS 0,
    ALTER COLUMN subject_id SET STATISTICS 0;
ALTER TABLE vault.petition_keys ALTER COLUMN wrapped_key SET STATISTICS 0;

-- Organisers (vigil_writer) seal, look up and erase; nobody else reads the vault at all. Nobody but the
-- owner may change a row: a subject is written once and then only forgotten, and only whole (deleting
-- a subject deletes its signature; a signature alone cannot be deleted, so it cannot be pointed at
-- another subject). Re-wrapping keys (vigil keys rotate) is the owner's. UPDATE of `since` alone lets a
-- sealing command read the key under a share lock without being able to change it.
GRANT USAGE ON SCHEMA vault TO vigil_writer;
GRANT SELECT, INSERT, DELETE ON vault.subjects TO vigil_writer;
GRANT SELECT, INSERT ON vault.signatures, vault.petition_keys TO vigil_writer;
GRANT SELECT, INSERT ON vault.master_key TO vigil_writer;
GRANT UPDATE (since) ON vault.master_key TO vigil_writer;

-- The one global signer key of 0009 is destroyed: it sat beside the references it keyed, readable by
-- every organiser, and let anyone holding it test a list of suspects against every petition. The events
-- recorded before this migration keep their references (the log forgets nothing), but with the key gone
-- nothing can link one to a person. README.md, "Privacy", says what they still hold.
DROP TABLE vigil.signer_key;
