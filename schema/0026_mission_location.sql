-- Where each mission stands, for the report site's map (issue 12). MissionRegistered and MissionCorrected
-- may carry a `location` (WGS 84 degrees); events recorded before have none, and their missions have
-- NULL here until `vigil mission correct ID --at LAT,LON` places them. A rebuild copies these columns
-- with the table (CREATE TABLE … LIKE … INCLUDING ALL), checks included.
ALTER TABLE vigil_read.missions
    ADD COLUMN latitude  double precision CHECK (latitude BETWEEN -90 AND 90),
    ADD COLUMN longitude double precision CHECK (longitude BETWEEN -180 AND 180),
    ADD CONSTRAINT missions_location_whole CHECK ((latitude IS NULL) = (longitude IS NULL));

-- The day of action shows each gathering's delivery outcome: the outcome of the last attempt recorded
-- at it (DeliveryAttempted.gatheringId). Filled here from the log in the order the projection folds it
-- (commit order), so a read model migrated in place equals one rebuilt from the first event.
ALTER TABLE vigil_read.activity_gatherings ADD COLUMN delivery text;
UPDATE vigil_read.activity_gatherings g
   SET delivery = (SELECT e.data->>'outcome'
                     FROM vigil.events e
                    WHERE e.event_type = 'DeliveryAttempted' AND e.data->>'gatheringId' = g.gathering_id
                    ORDER BY e.transaction_id DESC, e.global_position DESC
                    LIMIT 1);
