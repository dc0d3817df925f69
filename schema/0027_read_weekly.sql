-- Read model of the "weekly" projection: one row per weekly gathering, with its rule (in the place's
-- zone) and the dates recorded as held or skipped, so that its dates, an upcoming view and a calendar can
-- be worked out by whoever may read reports: the reporter role reads no log. Public fields only: the
-- organiser's name, a skip's reason and notes are sealed in the vault and never come here.
CREATE TABLE vigil_read.weekly (
    recurrence_id text    PRIMARY KEY,
    campaign_id   text    NOT NULL,   -- '' for none
    mission_id    text    NOT NULL,
    kind          text    NOT NULL,
    weekday       integer NOT NULL,   -- ISO: 1 is Monday
    hour          integer NOT NULL,
    minute        integer NOT NULL,
    time_zone     text    NOT NULL,
    from_date     text    NOT NULL,   -- 2023-11-14
    until_date    text,               -- the rule's own last date, if it had one
    ended_on      text,               -- the last date after it was ended
    venue         text,
    skipped       text    NOT NULL DEFAULT '',  -- dates, space-separated, in order
    held          text    NOT NULL DEFAULT ''
);
-- Only vigil_projector writes read models (0017); the writer, auditors and reporters read them.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON vigil_read.weekly FROM vigil_writer;
GRANT SELECT ON vigil_read.weekly TO vigil_writer, vigil_auditor, vigil_reporter;
GRANT SELECT, INSERT, UPDATE, DELETE ON vigil_read.weekly TO vigil_projector;
