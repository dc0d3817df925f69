-- Read model of the "missions" projection: one row per diplomatic mission, as registered and corrected.
-- Its figures (gatherings, attendance, deliveries, …) are summed from vigil_read.activity at query time.
CREATE TABLE vigil_read.missions (
    mission_id    text        PRIMARY KEY,
    name          text        NOT NULL,
    kind          text        NOT NULL,
    sending_state text        NOT NULL,
    city          text        NOT NULL,
    country       text        NOT NULL,
    time_zone     text        NOT NULL,
    address       text,
    status        text        NOT NULL,
    registered_at timestamptz NOT NULL
);
