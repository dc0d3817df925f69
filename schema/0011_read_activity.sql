-- Read model of the "activity" projection. Every figure that belongs to a mission lives in one cell
-- per (campaign, mission); '' stands for "no campaign". A mission's figure and a campaign's figure are
-- both sums over these cells, so the sum over missions equals the campaign's figure by construction
-- (the e-petitions site kept two counters and they drifted apart).
CREATE TABLE vigil_read.activity (
    campaign_id          text   NOT NULL,
    mission_id           text   NOT NULL,
    gatherings_scheduled integer NOT NULL DEFAULT 0,
    gatherings_held      integer NOT NULL DEFAULT 0,
    gatherings_cancelled integer NOT NULL DEFAULT 0,
    gatherings_not_held  integer NOT NULL DEFAULT 0,
    weekly_held          integer NOT NULL DEFAULT 0,
    attendance_expected  bigint NOT NULL DEFAULT 0,
    attendance_reported  bigint NOT NULL DEFAULT 0,
    deliveries_accepted  integer NOT NULL DEFAULT 0,
    deliveries_refused   integer NOT NULL DEFAULT 0,
    deliveries_blocked   integer NOT NULL DEFAULT 0,
    deliveries_nobody    integer NOT NULL DEFAULT 0,
    readings             integer NOT NULL DEFAULT 0,
    names_read           bigint NOT NULL DEFAULT 0,
    coverage             integer NOT NULL DEFAULT 0,
    no_shows             integer NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, mission_id)
);
-- The same gatherings by kind.
CREATE TABLE vigil_read.activity_kinds (
    campaign_id text    NOT NULL,
    mission_id  text    NOT NULL,
    kind        text    NOT NULL,
    scheduled   integer NOT NULL DEFAULT 0,
    held        integer NOT NULL DEFAULT 0,
    cancelled   integer NOT NULL DEFAULT 0,
    not_held    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, mission_id, kind)
);
-- One row per gathering: where it stands, and when, in UTC and on the place's wall clock.
CREATE TABLE vigil_read.activity_gatherings (
    gathering_id        text        PRIMARY KEY,
    campaign_id         text        NOT NULL,
    mission_id          text        NOT NULL,
    kind                text        NOT NULL,
    status              text        NOT NULL,
    starts_at           timestamptz NOT NULL,
    time_zone           text        NOT NULL,
    local_start         text        NOT NULL,  -- 2004-12-22T12:00
    venue               text,
    attendance_expected integer     NOT NULL DEFAULT 0,
    attendance_reported integer
);
CREATE INDEX activity_gatherings_campaign ON vigil_read.activity_gatherings (campaign_id, starts_at);
-- What later events need to know: a petition's campaign, a weekly gathering's mission and campaign.
CREATE TABLE vigil_read.activity_petitions (
    petition_id text PRIMARY KEY,
    campaign_id text NOT NULL
);
CREATE TABLE vigil_read.activity_recurrences (
    recurrence_id text PRIMARY KEY,
    campaign_id   text NOT NULL,
    mission_id    text NOT NULL
);
