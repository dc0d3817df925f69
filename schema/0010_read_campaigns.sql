-- Read model of the "campaigns" projection: one row per campaign, its signatures by country, and
-- which petition belongs to which campaign.
CREATE TABLE vigil_read.campaigns (
    campaign_id           text        PRIMARY KEY,
    title                 text        NOT NULL,
    coalition             text        NOT NULL,
    addressee             text        NOT NULL,
    annual_day            text,
    status                text        NOT NULL,
    members               integer     NOT NULL DEFAULT 0,
    local_leads           integer     NOT NULL DEFAULT 0,
    endorsements          integer     NOT NULL DEFAULT 0,
    endorsements_withdrawn integer    NOT NULL DEFAULT 0,
    statements            integer     NOT NULL DEFAULT 0,
    petitions             integer     NOT NULL DEFAULT 0,
    launched_at           timestamptz NOT NULL
);
CREATE TABLE vigil_read.campaign_signatures (
    campaign_id text    NOT NULL,
    country     text    NOT NULL,  -- ISO 3166 code, ZZ where unknown
    online      bigint  NOT NULL DEFAULT 0,
    paper       bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, country)
);
CREATE TABLE vigil_read.campaign_petitions (
    petition_id text PRIMARY KEY,
    campaign_id text NOT NULL
);
