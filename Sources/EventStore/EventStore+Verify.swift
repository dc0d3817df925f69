import Foundation
import PostgresClient

/// The outcome of recomputing the hash chains.
public struct ChainReport: Sendable, Equatable {
    /// An event, or a record of the log, that is not what the chain says it should be.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        public var position: Int64
        public var streamId: String
        public var version: Int64
        public var reason: String
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
        public var first: Int64
        public var last: Int64
        /// The run of missing positions `first`…`last`.
        public init(first: Int64, last: Int64) {
            self.first = first
            self.last = last
        }
        public var description: String { first == last ? "position \(first)" : "positions \(first)–\(last)" }
    }

    public var streams: Int
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

/// A guard of the log that must be in place: a trigger, or a privilege that must be missing.
public struct GuardCheck: Sendable, Equatable {
    public var name: String
    public var holds: Bool
}

extension EventStore {
    /// Recomputes every stream's chain from `vigil.events` itself and names the first thing that does not
    /// match: an event whose hash does not cover its contents, position and previous hash (changed or
    /// reordered), a version missing from a stream, an event back on the old formula after the cut-over,
    /// a command's record that points past the events left (a removed tail, a removed stream), and an
    /// event whose command has no record. Runs of missing positions are listed as gaps.
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
                       'its command ' || e.command_id || ' has no record of appending it: the record was removed'
                  FROM vigil.events e
                 WHERE e.command_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM vigil.commands c
                                    WHERE c.command_id = e.command_id AND c.stream_id = e.stream_id
                                      AND e.stream_version BETWEEN c.first_version AND c.last_version)
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

    /// Checks that the append-only triggers are enabled and that no role may change events.
    public func verifyGuards() throws -> [GuardCheck] {
        var checks: [GuardCheck] = []
        for (table, trigger) in [("vigil.events", "events_append_only"), ("vigil.commands", "commands_append_only")] {
            let rows = try connection.query(
                "SELECT tgenabled::text AS e FROM pg_trigger WHERE tgrelid = \(table)::regclass AND tgname = \(trigger)")
            checks.append(GuardCheck(name: "trigger \(trigger) on \(table) is enabled", holds: try rows.first?.string("e") == "O"))
        }
        for role in ["vigil_writer", "vigil_auditor", "vigil_reporter"] {
            for privilege in ["UPDATE", "DELETE", "TRUNCATE"] {
                let rows = try connection.query(
                    "SELECT has_table_privilege(\(role), 'vigil.events', \(privilege)) AS p")
                checks.append(GuardCheck(name: "\(role) may not \(privilege) vigil.events", holds: try rows.first?.bool("p") == false))
            }
        }
        for (role, privilege) in [("vigil_reporter", "SELECT"), ("vigil_reporter", "INSERT"), ("vigil_auditor", "INSERT")] {
            let rows = try connection.query("SELECT has_table_privilege(\(role), 'vigil.events', \(privilege)) AS p")
            checks.append(GuardCheck(name: "\(role) may not \(privilege) vigil.events", holds: try rows.first?.bool("p") == false))
        }
        return checks
    }
}

