-- The key of the keyed hash that turns a signer's identity into a reference (HMAC-SHA-256). It is made
-- here from the server's strong random source (two v4 UUIDs: 244 random bits) and never leaves the
-- database except to the writer role. Deleting it makes every signer reference unlinkable to a person.
CREATE TABLE vigil.signer_key (
    id         integer     PRIMARY KEY CHECK (id = 1),
    key        bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO vigil.signer_key (id, key)
VALUES (1, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));

REVOKE ALL ON vigil.signer_key FROM PUBLIC;
GRANT SELECT ON vigil.signer_key TO vigil_writer;
