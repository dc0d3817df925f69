import Foundation
import PostgresClient

/// The outcome of recomputing the hash chains.
public struct ChainReport: Sendable, Equatable {
    /// An event, or a record of the log, that is not what the chain says it should be.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        /// Where in the log (0 when what is missing has no position left).
        public var position: Int64
        /// The stream it belongs to.
        public var streamId: String
        /// Its version in that stream (for a command's record, the last version it recorded).
        public var version: Int64
        /// What does not match, for a person.
        public var reason: String
        /// The break in one line.
        public var description: String {
            "event at position \(position) (stream \(streamId), version \(version)): \(reason)"
        }
    }

    /// A run of positions below the last one that no event holds.
    ///
    /// A refused append draws no position, so a gap is either an append that failed after drawing its
    /// positions (a crash, a lost connection, a rolled-back transaction around the append, a duplicate
    /// event id) or events removed together with every record of them. Only an anchor taken before
    /// tells which: it names the last position and every stream's head.
    public struct Gap: Sendable, Equatable, CustomStringConvertible {
        /// The first missing position.
        public var first: Int64
        /// The last missing position of the run.
        public var last: Int64
        /// The run of missing positions `first`…`last`.
        public init(first: Int64, last: Int64) {
            self.first = first
            self.last = last
        }
        /// The run in words.
        public var description: String { first == last ? "position \(first)" : "positions \(first)–\(last)" }
    }

    /// How many streams the log holds.
    public var streams: Int
    /// How many events the log holds.
    public var events: Int
    /// The first break in log order, or nil when every chain holds.
    public var firstBreak: Break?
    /// The first runs of missing positions, in order (at most `ChainReport.gapsListed`).
    public var gaps: [Gap]
    /// How many positions below the last one no event holds, in all.
    public var missingPositions: Int64
    /// True when every chain holds. Gaps are reported, not counted against it (see `Gap`).
    public var holds: Bool { firstBreak == nil }

    /// How many gaps a report lists at most.
    public static let gapsListed = 100
}

/// A guard of the log that must be in place, named so that a person can read what failed.
public struct GuardCheck: Sendable, Equatable {
    /// What must hold, in words.
    public var name: String
    /// Whether it does.
    public var holds: Bool
}

extension EventStore {
    /// Recomputes every stream's chain from `vigil.events` itself and names the first thing that does not
    /// match: an event whose hash does not cover its contents, position and previous hash (changed or
    /// reordered), a version missing from a stream, an event back on the old formula after the cut-over,
    /// a command's record that points past the events left (a removed tail, a removed stream), an
    /// event whose id is not the one its command gives it (since 0037, the command's record: changed, an
    /// earlier event of the command removed, or an id of that kind taken before 0037 by another command),
    /// a command's first event that counts more events than are left (its last ones removed), an
    /// event of a command from before 0037 that has no record, and an event that names no command after
    /// the first event with its command's id (every append since 0037 names one). Runs of missing positions are listed as
    /// gaps.
    ///
    /// Everything is read in one snapshot (REPEATABLE READ), with the search_path pinned.
    public func verifyChains() throws -> ChainReport {
        try connection.withTransaction(.repeatableRead) {
            try connection.execute("SET LOCAL search_path = pg_catalog")
            let breaks = try connection.query(
                """
                WITH chain AS (
                    SELECT e.global_position, e.stream_id, e.stream_version, e.hash, e.hash_version,
                           row_number() OVER w AS expected_version,
                           lag(e.global_position) OVER w AS previous_position,
                           vigil.event_hash(coalesce(lag(e.hash) OVER w, '\\x'::bytea), vigil.event_canonical(e)) AS recomputed
                      FROM vigil.events e
                    WINDOW w AS (PARTITION BY e.stream_id ORDER BY e.stream_version)
                ), cut AS (
                    SELECT min(global_position) AS position FROM vigil.events WHERE hash_version = 2
                )
                SELECT global_position, stream_id, stream_version,
                       CASE WHEN stream_version <> expected_version
                            THEN 'version ' || stream_version || ' stands where version ' || expected_version
                                 || ' should: an event before it is missing'
                            WHEN global_position < previous_position
                            THEN 'its position is below the previous version''s (' || previous_position
                                 || '): the stream''s events were reordered'
                            WHEN hash_version = 1 AND global_position > cut.position
                            THEN 'it uses the old hash formula, which leaves the position out, after the first event '
                                 || 'hashed with its position (' || cut.position || ')'
                            ELSE 'its hash does not match its contents, its position and the previous hash of its stream'
                       END AS reason
                  FROM chain, cut
                 WHERE hash IS DISTINCT FROM recomputed OR stream_version <> expected_version
                    OR global_position < previous_position OR (hash_version = 1 AND global_position > cut.position)
                UNION ALL
                SELECT coalesce(max(e.global_position), 0), c.stream_id, c.last_version,
                       CASE WHEN count(e.global_position) = 0
                            THEN 'command ' || c.command_id || ' recorded versions ' || c.first_version || '–'
                                 || c.last_version || ', and none of them is in the log: the events were removed'
                            ELSE 'command ' || c.command_id || ' recorded versions ' || c.first_version || '–'
                                 || c.last_version || ', and only ' || count(e.global_position)
                                 || ' of them are in the log: events were removed'
                       END
                  FROM vigil.commands c
                  LEFT JOIN vigil.events e ON e.stream_id = c.stream_id AND e.command_id = c.command_id
                                          AND e.stream_version BETWEEN c.first_version AND c.last_version
                 GROUP BY c.command_id, c.stream_id, c.first_version, c.last_version
                HAVING count(e.global_position) <> c.last_version - c.first_version + 1
                UNION ALL
                SELECT e.global_position, e.stream_id, e.stream_version,
                       CASE WHEN e.event_id IS NOT DISTINCT FROM e.derived AND e.present < e.declared
                            THEN 'its command ' || e.command_id || ' appended ' || e.declared || ' events, and only '
                                 || e.present || ' of them are in the log: the last were removed'
                            WHEN e.event_id IS NOT DISTINCT FROM e.derived
                            THEN 'its command ' || e.command_id || ' appended ' || e.declared || ' events, and '
                                 || e.present || ' in the log carry its id: events were added to it'
                            WHEN substr(e.event_id::text, 15, 1) = '8'
                            THEN 'its id is not the one its command ' || e.command_id || ' gives the event at place '
                                 || e.place || ' of the command: it was changed, an event of the command before it was '
                                 || 'removed, or, recorded before 0037, it took an id another command needs'
                            ELSE 'its command ' || e.command_id || ' has no record of appending it: the record was removed'
                       END
                  FROM (SELECT e.global_position, e.stream_id, e.stream_version, e.event_id, e.command_id, e.place,
                               e.present, e.declared, vigil.command_event_id(e.command_id, e.place::integer) AS derived
                          FROM (SELECT e.global_position, e.stream_id, e.stream_version, e.event_id, e.command_id,
                                       e.stream_version - min(e.stream_version) OVER w AS place,
                                       count(*) OVER w AS present,
                                       CASE WHEN jsonb_typeof(e.metadata -> 'commandEvents') = 'number'
                                            THEN (e.metadata ->> 'commandEvents')::numeric ELSE 1 END AS declared
                                  FROM vigil.events e WHERE e.command_id IS NOT NULL
                                WINDOW w AS (PARTITION BY e.stream_id, e.command_id)) e) e
                 WHERE (e.event_id IS DISTINCT FROM e.derived
                        AND (substr(e.event_id::text, 15, 1) = '8'
                             OR NOT EXISTS (SELECT 1 FROM vigil.commands c
                                             WHERE c.command_id = e.command_id AND c.stream_id = e.stream_id
                                               AND e.stream_version BETWEEN c.first_version AND c.last_version)))
                    OR (e.place = 0 AND e.event_id = e.derived AND e.present <> e.declared
                        -- Appended before 0037 (by a binary of 0037 on a database not yet migrated), a command
                        -- of several events has no count, and its record: the record's check above holds it.
                        AND NOT EXISTS (SELECT 1 FROM vigil.commands c
                                         WHERE c.command_id = e.command_id AND c.stream_id = e.stream_id))
                UNION ALL
                SELECT e.global_position, e.stream_id, e.stream_version,
                       'it names no command, and every append since the event at position ' || f.position
                       || ' (0037) names one: it was put in by hand'
                  FROM vigil.events e,
                       (SELECT min(x.global_position) AS position FROM vigil.events x
                         WHERE x.command_id IS NOT NULL AND x.event_id = vigil.command_event_id(x.command_id, 0)) f
                 WHERE e.command_id IS NULL AND e.global_position > f.position
                 ORDER BY 1
                 LIMIT 1
                """)
            let gaps = try connection.query(
                """
                WITH runs AS (
                    SELECT lag(global_position, 1, 0::bigint) OVER (ORDER BY global_position) + 1 AS first,
                           global_position - 1 AS last
                      FROM vigil.events
                )
                SELECT first, last, sum(last - first + 1) OVER () AS missing
                  FROM runs WHERE last >= first ORDER BY first LIMIT \(ChainReport.gapsListed)
                """)
            let counts = try connection.query(
                "SELECT count(DISTINCT stream_id) AS streams, count(*) AS events FROM vigil.events")
            let firstBreak = try breaks.first.map {
                ChainReport.Break(
                    position: try $0.int64("global_position"), streamId: try $0.string("stream_id"),
                    version: try $0.int64("stream_version"), reason: try $0.string("reason"))
            }
            return ChainReport(
                streams: try counts.first?.int("streams") ?? 0, events: try counts.first?.int("events") ?? 0,
                firstBreak: firstBreak,
                gaps: try gaps.map { ChainReport.Gap(first: try $0.int64("first"), last: try $0.int64("last")) },
                missingPositions: try gaps.first?.int64("missing") ?? 0)
        }
    }

    /// Checks what keeps the log append-only and its hashes honest, each check named for a person: the
    /// triggers fire ALWAYS and are the ones the migrations create; the definitions of the append, hash,
    /// canonical and guard functions are the migrations' (compared by a digest compiled into this
    /// binary, never one stored in the database, which its owner could rewrite); vigil.append runs as
    /// the log's owner, in C with no setting, and its PL/pgSQL rest with search_path pinned, run by
    /// nobody else; no group role may change the log's tables, and the
    /// reporter cannot read them; no rule, row-level security or stand-in hides or rewrites their rows.
    public func verifyGuards() throws -> [GuardCheck] {
        try connection.withTransaction(.repeatableRead) {
            // pg_get_functiondef names objects relative to the search_path: pinned, its text is fixed.
            try connection.execute("SET LOCAL search_path = pg_catalog")
            var checks: [GuardCheck] = []
            func check(_ name: String, _ sql: PostgresQuery) throws {
                checks.append(GuardCheck(name: name, holds: try connection.query(sql).first?.bool("holds") == true))
            }

            for table in LogGuards.tables {
                try check(
                    "\(table) is a plain table, without row-level security or rules that could hide or rewrite its rows",
                    """
                    SELECT c.relkind = 'r' AND NOT c.relrowsecurity
                           AND NOT EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid) AS holds
                      FROM pg_class c WHERE c.oid = to_regclass(\(table))
                    """)
            }
            for trigger in LogGuards.triggers {
                try check(
                    "trigger \(trigger.name) on \(trigger.table) fires always (also under session_replication_role = replica)",
                    """
                    SELECT t.tgenabled = 'A' AS holds FROM pg_trigger t
                     WHERE t.tgrelid = to_regclass(\(trigger.table)) AND t.tgname = \(trigger.name)
                    """)
                try check(
                    "trigger \(trigger.name) on \(trigger.table) is the one the migrations create",
                    """
                    SELECT pg_get_triggerdef(t.oid) = \(trigger.definition) AS holds FROM pg_trigger t
                     WHERE t.tgrelid = to_regclass(\(trigger.table)) AND t.tgname = \(trigger.name)
                    """)
            }
            for table in LogGuards.tables {
                let expected = LogGuards.triggers.filter { $0.table == table }.map(\.name)
                try check(
                    "\(table) has no trigger but \(expected.joined(separator: ", "))",
                    """
                    SELECT coalesce(array_agg(t.tgname::text ORDER BY t.tgname), '{}') = \(expected.sorted())::text[] AS holds
                      FROM pg_trigger t WHERE t.tgrelid = to_regclass(\(table))
                    """)
            }
            for function in LogGuards.functions {
                try check(
                    "the definition of \(function.signature) is the one migration \(function.migration) creates",
                    """
                    SELECT encode(sha256(convert_to(pg_get_functiondef(to_regprocedure(\(function.signature))), 'UTF8')), 'hex')
                           = \(function.digest) AS holds
                    """)
            }
            // The SECURITY DEFINER functions organisers call: whose rights they run with, and their settings.
            // vigil.append is in C (0036): it resolves no name through search_path and bounds its own lock
            // waits, so it carries no setting; the PL/pgSQL rest, vigil.append_general, keeps both.
            for (name, signature, owner, settings) in [
                ("vigil.append runs as vigil_log_owner (SECURITY DEFINER), in C, with no setting a caller could have changed",
                 LogGuards.append, "vigil_log_owner", String?.none),
                ("vigil_ops.count_command (the command counts) runs as vigil_projector with search_path pinned to pg_catalog, pg_temp and a lock timeout",
                 LogGuards.countCommand, "vigil_projector", #"{"search_path=pg_catalog, pg_temp",lock_timeout=100ms}"#),
            ] {
                try check(
                    name,
                    """
                    SELECT p.prosecdef AND pg_get_userbyid(p.proowner) = \(owner)
                           AND p.proconfig IS NOT DISTINCT FROM \(settings)::text[] AS holds
                      FROM pg_proc p WHERE p.oid = to_regprocedure(\(signature))
                    """)
            }
            try check(
                "vigil.appended, the rows vigil.append returns, is (global_position bigint, stream_version bigint, transaction_id xid8)",
                """
                SELECT coalesce(array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum), '{}')
                       = '{"global_position bigint","stream_version bigint","transaction_id xid8"}'::text[] AS holds
                  FROM pg_attribute a
                 WHERE a.attrelid = (SELECT t.typrelid FROM pg_type t WHERE t.oid = to_regtype('vigil.appended'))
                   AND a.attnum > 0 AND NOT a.attisdropped
                """)
            // The library vigil.append runs says which source it was built from: a library left from another
            // checkout, or a server upgraded under it, shows here (a file replaced by root could say anything).
            let hasLibrary = try connection.query("SELECT to_regprocedure('vigil.library_source()') IS NOT NULL AS present")
                .first?.bool("present") == true
            try check(
                "the server library vigil.append runs (vigil_append) was built from the source this binary knows",
                hasLibrary ? "SELECT vigil.library_source() = \(LogGuards.librarySource) AS holds" : "SELECT false AS holds")
            try check(
                "vigil.append_general (the PL/pgSQL rest of the append) is owned by vigil_log_owner, runs with its caller's rights, search_path pinned and a lock timeout, and nobody but its owner may run it",
                """
                SELECT NOT p.prosecdef AND pg_get_userbyid(p.proowner) = 'vigil_log_owner'
                       AND p.proconfig = '{"search_path=pg_catalog, pg_temp",lock_timeout=15s}'::text[]
                       AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                                        WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner)
                       AS holds
                  FROM pg_proc p WHERE p.oid = to_regprocedure(\(LogGuards.appendGeneral))
                """)
            try check(
                "vigil_read.lag() runs with search_path pinned to pg_catalog, pg_temp (pg_temp last, never first)",
                """
                SELECT p.proconfig = '{"search_path=pg_catalog, pg_temp"}'::text[] AS holds
                  FROM pg_proc p WHERE p.oid = to_regprocedure('vigil_read.lag()')
                """)
            for table in LogGuards.tables {
                try check(
                    "no column of \(table) is granted to anyone on its own",
                    "SELECT NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass(\(table)) AND a.attacl IS NOT NULL) AS holds")
            }
            for role in LogGuards.groupRoles {
                try check(
                    "\(role) may not draw or set positions (vigil.events_global_position_seq)",
                    """
                    SELECT NOT has_sequence_privilege(\(role), 'vigil.events_global_position_seq', 'USAGE')
                           AND NOT has_sequence_privilege(\(role), 'vigil.events_global_position_seq', 'UPDATE') AS holds
                    """)
            }
            try check(
                "vigil_log_owner cannot log in, and no group role is a member of it",
                """
                SELECT NOT r.rolcanlogin
                       AND NOT EXISTS (SELECT 1 FROM unnest(\(LogGuards.groupRoles)::text[]) g
                                        WHERE pg_has_role(g, 'vigil_log_owner', 'MEMBER')) AS holds
                  FROM pg_roles r WHERE r.rolname = 'vigil_log_owner'
                """)
            // The vault's functions (none takes arguments), found through the catalog: the auditor may not
            // use the schema vault, where `to_regprocedure` would look them up.
            func vaultFunction(_ name: String) -> String {
                "(SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'vault' AND p.proname = '\(name)' AND p.pronargs = 0)"
            }
            let forgetSignature = vaultFunction("forget_signature")
            for function in LogGuards.vaultFunctions {
                try check(
                    "the definition of vault.\(function.signature)() is the one migration \(function.migration) creates",
                    """
                    SELECT encode(sha256(convert_to(pg_get_functiondef(\(unescaped: vaultFunction(function.signature))), 'UTF8')), 'hex')
                           = \(function.digest) AS holds
                    """)
            }
            try check(
                "vault.forget_signature() (erasing a subject erases its signature) runs with search_path pinned to pg_catalog, pg_temp",
                """
                SELECT p.proconfig = '{"search_path=pg_catalog, pg_temp"}'::text[] AS holds
                  FROM pg_proc p WHERE p.oid = \(unescaped: forgetSignature)
                """)
            for (name, table, trigger) in [
                ("erasing a subject erases its signature in every session: the trigger subjects_forget_signature on vault.subjects is enabled always",
                 "subjects", "subjects_forget_signature"),
                ("every signature names a subject, in every session: the trigger signatures_name_a_subject on vault.signatures is enabled always",
                 "signatures", "signatures_name_a_subject"),
            ] {
                try check(
                    name,
                    """
                    SELECT coalesce(bool_and(t.tgenabled = 'A'), false) AS holds
                      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'vault' AND c.relname = \(table) AND t.tgname = \(trigger)
                    """)
            }
            try check(
                "vigil_writer cannot read vault.signatures.blind_index itself (0038): a unique refusal in its sessions leaves a person's blind index out of the server's log",
                """
                SELECT NOT has_column_privilege('vigil_writer', c.oid, 'blind_index', 'SELECT') AS holds
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'vault' AND c.relname = 'signatures'
                """)
            try check(
                "only vigil_writer, vigil_projector, vigil_auditor and the log's owner may take an advisory lock (0040): a reporter's login holding a stream's or a petition's could stall its appends or signatures",
                """
                SELECT count(*) = 16
                       AND NOT bool_or(has_function_privilege('vigil_reporter', p.oid, 'EXECUTE'))
                       AND bool_and(p.proacl IS NOT NULL AND NOT EXISTS (
                               SELECT 1 FROM aclexplode(p.proacl) a
                                WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner
                                  AND a.grantee NOT IN (SELECT oid FROM pg_roles
                                                         WHERE rolname IN ('vigil_writer', 'vigil_projector', 'vigil_auditor', 'vigil_log_owner')))) AS holds
                  FROM pg_proc p
                 WHERE p.pronamespace = 'pg_catalog'::regnamespace
                   AND p.proname IN ('pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared',
                                     'pg_try_advisory_lock', 'pg_try_advisory_lock_shared', 'pg_try_advisory_xact_lock',
                                     'pg_try_advisory_xact_lock_shared')
                """)
            try check(
                "no SECURITY DEFINER function but vigil.append, vigil_read.lag, vault.forget_signature and vigil_ops.count_command can act for another role",
                """
                SELECT NOT EXISTS (
                    SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                       AND p.oid NOT IN (to_regprocedure(\(LogGuards.append)), to_regprocedure('vigil_read.lag()'),
                                         to_regprocedure(\(LogGuards.countCommand)))
                       AND p.oid IS DISTINCT FROM \(unescaped: forgetSignature)) AS holds
                """)
            for role in LogGuards.groupRoles + ["vigil_log_owner"] {
                for table in LogGuards.tables {
                    // The owner inserts events through vigil.append; vigil.commands holds the records of the
                    // commands before 0037, and nobody writes it any more.
                    let privileges = role == "vigil_log_owner" && table == "vigil.events"
                        ? ["UPDATE", "DELETE", "TRUNCATE"] : ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
                    for privilege in privileges {
                        try check(
                            "\(role) may not \(privilege) \(table)",
                            "SELECT NOT has_table_privilege(\(role), \(table), \(privilege)) AS holds")
                    }
                }
            }
            // Who may record where (0028): changed by the owner only, or a limited login could lift its limit.
            for role in LogGuards.groupRoles + ["vigil_log_owner"] {
                try check(
                    "\(role) may not change vigil.campaign_grants (who records in which campaign)",
                    """
                    SELECT NOT (has_table_privilege(\(role), 'vigil.campaign_grants', 'INSERT')
                                OR has_table_privilege(\(role), 'vigil.campaign_grants', 'UPDATE')
                                OR has_table_privilege(\(role), 'vigil.campaign_grants', 'DELETE')
                                OR has_table_privilege(\(role), 'vigil.campaign_grants', 'TRUNCATE')) AS holds
                    """)
            }
            for table in LogGuards.tables {
                try check(
                    "vigil_reporter may not SELECT \(table)",
                    "SELECT NOT has_table_privilege('vigil_reporter', \(table), 'SELECT') AS holds")
            }
            try check(
                "vigil_reporter and vigil_auditor may not run vigil.append",
                """
                SELECT NOT has_function_privilege('vigil_reporter', \(LogGuards.append), 'EXECUTE')
                       AND NOT has_function_privilege('vigil_auditor', \(LogGuards.append), 'EXECUTE') AS holds
                """)
            return checks
        }
    }
}

/// What `verifyGuards` expects to find: the definitions the migrations in `schema/` create.
enum LogGuards {
    /// The tables of the log.
    static let tables = ["vigil.events", "vigil.commands"]

    /// The group roles that must not change the log.
    static let groupRoles = ["vigil_writer", "vigil_projector", "vigil_auditor", "vigil_reporter"]

    /// The append function's signature.
    static let append = "vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb)"

    /// The SHA-256 of schema/library/vigil_append.c, the source of the library vigil.append runs (0036).
    /// A change to that file changes it here too (`AppendInCTests` names the new one when they differ).
    static let librarySource = "ea128dc90fa05f372dec3210895dd4ec4cd083a747c2bdeb2eafe15e79f4316a"

    /// The PL/pgSQL append (0029's, renamed by 0036, its command's record in its first event since 0037),
    /// which vigil.append (in C since 0036) calls for all but its common case.
    static let appendGeneral = "vigil.append_general(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb)"

    /// A trigger and its definition as `pg_get_triggerdef` prints it.
    struct Trigger {
        var table: String
        var name: String
        var definition: String
    }

    static let triggers = [
        Trigger(
            table: "vigil.events", name: "events_append_only",
            definition: "CREATE TRIGGER events_append_only BEFORE DELETE OR UPDATE OR TRUNCATE ON vigil.events FOR EACH STATEMENT EXECUTE FUNCTION vigil.refuse_change()"),
        Trigger(
            table: "vigil.commands", name: "commands_append_only",
            definition: "CREATE TRIGGER commands_append_only BEFORE DELETE OR UPDATE OR TRUNCATE ON vigil.commands FOR EACH STATEMENT EXECUTE FUNCTION vigil.refuse_change()"),
    ]

    /// A function of the log, the migration that last defines it, and the SHA-256 (hex) of
    /// `pg_get_functiondef` of that definition with search_path = pg_catalog (PostgreSQL 15).
    ///
    /// The digests are compiled in: a digest stored in the database could be rewritten together with
    /// the function. A migration that redefines one of these functions changes its digest here too
    /// (`RedTeamTests` names the new one when they differ).
    struct Function {
        var signature: String
        var migration: String
        var digest: String
    }

    static let functions = [
        Function(signature: append, migration: "0036", digest: "9069f99542bff5160a96975a0c488824af969eb4e5629fe827c56717e447f9a7"),
        Function(signature: appendGeneral, migration: "0037", digest: "668ee6c1cceafd4b72a7f3f574749417932559e80d093ee1518f1b956c53fcc5"),
        Function(signature: "vigil.command_event_id(text, integer)", migration: "0037", digest: "47204194e42db3f152fda7c968be3581c3159f7ab3512526ad03088f6e9f4b04"),
        Function(signature: "vigil.library_source()", migration: "0036", digest: "9710e9b3e1ae5d8daabf1474af288ee8f159e5efac43693e67829f666236b853"),
        Function(
            signature: "vigil.event_canonical(smallint, bigint, text, bigint, uuid, text, integer, jsonb, jsonb, text, uuid, uuid, text, timestamptz)",
            migration: "0014", digest: "9bbd748350a3ffc7278e726a8955ec8ea472ca67abd93db471d4c79b795f59d4"),
        Function(signature: "vigil.event_canonical(vigil.events)", migration: "0014", digest: "8837005285f3e0cf3dca834c048c2f1c0700425ac75910b8e8c02044d5857ba1"),
        Function(signature: "vigil.event_hash(bytea, text)", migration: "0014", digest: "02b6e550d5a1d8d9e4f0593d6db122b453613998bb6a30855133eba60c347fa1"),
        Function(signature: "vigil_read.lag()", migration: "0023", digest: "725da9b89e7c95647e68914bdc8a2be36695a5c7ae93c629be772320e779eee5"),
        Function(signature: "vigil.refuse_change()", migration: "0005", digest: "812a318d435893d5996f2eea2fb203081019b388a8f8028d5d852bb941554c65"),
        Function(signature: countCommand, migration: "0032", digest: "09b31b4046e794ff001905aac54c0299c3672cb311be783e65513a9924440046"),
    ]

    /// The command counts' one way in for organisers (0032): SECURITY DEFINER, so its definition is checked.
    static let countCommand = "vigil_ops.count_command(text, text, integer)"

    /// The vault's functions, checked apart from `functions`: they live in the schema vault, which the
    /// auditor may not use, so they are found through the catalog by name (`signature` is the name alone).
    static let vaultFunctions = [
        Function(signature: "forget_signature", migration: "0031", digest: "0e7b488583d09dcb4c1a0ba8b5a359fa1d30e74374733e87e1c3ff7e78cac399"),
        Function(signature: "refuse_orphan_signatures", migration: "0035", digest: "29dc5214804785e348a461b23dca47ae8eb786d4559a29ed6ba5f32e26a4778e"),
    ]
}
