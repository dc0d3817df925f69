-- The append-only triggers fire ALWAYS: an ordinary trigger is skipped when a session sets
-- session_replication_role = replica (which a superuser may do, and which then still shows the trigger
-- as enabled), an ALWAYS trigger is not. UPDATE, DELETE and TRUNCATE of events and of the record of
-- handled commands are refused for every role, the owner and superusers included; only disabling the
-- trigger (ALTER TABLE, as the owner) gets past it, and `vigil audit verify` reports a trigger that is
-- not 'A' (always), or whose definition or function is not the one these migrations create.
ALTER TABLE vigil.events ENABLE ALWAYS TRIGGER events_append_only;
ALTER TABLE vigil.commands ENABLE ALWAYS TRIGGER commands_append_only;
