-- Tamper evidence: each event's hash covers the previous hash of its stream and the event's canonical
-- bytes. The canonical bytes are the text of one jsonb array (jsonb prints keys in a fixed order with
-- fixed spacing), with the recording time as integer microseconds so no session setting changes them.
CREATE FUNCTION vigil.event_hash(
    previous bytea, stream_id text, stream_version bigint, event_id uuid, event_type text,
    schema_version integer, data jsonb, metadata jsonb, command_id text, correlation_id uuid,
    causation_id uuid, actor text, recorded_at timestamptz
) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT sha256(previous || convert_to(jsonb_build_array(
        stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
        command_id, correlation_id, causation_id, actor,
        (extract(epoch FROM recorded_at) * 1000000)::bigint
    )::text, 'UTF8'))
$$;
