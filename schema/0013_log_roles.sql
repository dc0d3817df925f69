-- Two more group roles, neither of which can log in:
--   vigil_log_owner  owns vigil.append, which runs with its rights (SECURITY DEFINER), and is the only
--                    role that may INSERT into the log's tables. No login and no group role is a member.
--   vigil_projector  keeps the read models: the only group role that may write vigil_read.
-- Roles are cluster-wide, so creating one tolerates another database's migration having just made it.
DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['vigil_log_owner', 'vigil_projector'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$$;

-- A role of that name made by someone else before us may have been allowed to log in. (Only then is the
-- role altered: databases of one cluster migrate side by side, and two ALTERs of a role collide.)
DO $$
BEGIN
    IF (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'vigil_log_owner') THEN
        ALTER ROLE vigil_log_owner NOLOGIN;
    END IF;
END
$$;

-- Handing a function to the log's owner (ALTER FUNCTION … OWNER TO) needs membership in it unless the
-- migrator is a superuser.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'vigil_log_owner', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT vigil_log_owner TO %I', current_user);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;
