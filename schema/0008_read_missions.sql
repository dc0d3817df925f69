-- Read model: one row per diplomatic mission, with its gatherings rolled up.
CREATE TABLE vigil_read.missions (
    mission_id           text        PRIMARY KEY,
    name                 text        NOT NULL,
    kind                 text        NOT NULL,
    sending_state        text        NOT NULL,
    city                 text        NOT NULL,
    country              text        NOT NULL,
    time_zone            text        NOT NULL,
    status               text        NOT NULL,
    gatherings_scheduled integer     NOT NULL DEFAULT 0,
    gatherings_held      integer     NOT NULL DEFAULT 0,
    gatherings_cancelled integer     NOT NULL DEFAULT 0,
    gatherings_not_held  integer     NOT NULL DEFAULT 0,
    attendance_expected  bigint      NOT NULL DEFAULT 0,
    attendance_reported  bigint      NOT NULL DEFAULT 0,
    first_activity       timestamptz,
    last_activity        timestamptz
);
-- Which mission each gathering belongs to and where it stands, so that later events of a gathering
-- move the right counters.
CREATE TABLE vigil_read.mission_gatherings (
    gathering_id        text    PRIMARY KEY,
    mission_id          text    NOT NULL,
    status              text    NOT NULL,
    attendance_expected integer NOT NULL DEFAULT 0,
    attendance_reported integer,
    starts_at           timestamptz NOT NULL
);
