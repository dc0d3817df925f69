-- How far each projection is behind the log, for readers that may not read the log itself (reporters):
-- events not yet applied, and the age of the oldest of them. SECURITY DEFINER, owned by the migrator,
-- with a fixed search_path.
CREATE FUNCTION vigil_read.lag()
RETURNS TABLE (projection text, events_behind bigint, seconds_behind double precision, checkpoint text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
AS $$
    SELECT c.projection, count(e.global_position),
           coalesce(extract(epoch FROM now() - min(e.recorded_at))::double precision, 0),
           c.transaction_id::text || '/' || c.global_position
      FROM vigil_read.checkpoints c
      LEFT JOIN vigil.events e ON (e.transaction_id, e.global_position) > (c.transaction_id, c.global_position)
     WHERE c.projection NOT LIKE '%#%'
     GROUP BY c.projection, c.transaction_id, c.global_position
     ORDER BY c.projection
$$;
REVOKE ALL ON FUNCTION vigil_read.lag() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vigil_read.lag() TO vigil_writer, vigil_auditor, vigil_reporter;
