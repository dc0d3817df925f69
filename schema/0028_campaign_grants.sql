-- Which campaigns a login may record in (vigil admin allow LOGIN --campaign ID). A login with at least
-- one row here is limited to the streams of those campaigns: vigil.append (0029) checks session_user,
-- the authenticated login, which no SET ROLE changes. A login with no row records in every campaign.
-- Only the owner (the administrator who migrates) writes this table; the log's owner reads it for the
-- append's check, and auditors read it to see who may record where.
CREATE TABLE IF NOT EXISTS vigil.campaign_grants (
    login       text        NOT NULL,
    campaign_id text        NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (login, campaign_id)
);

REVOKE ALL ON vigil.campaign_grants FROM PUBLIC;
GRANT SELECT ON vigil.campaign_grants TO vigil_log_owner, vigil_auditor;
