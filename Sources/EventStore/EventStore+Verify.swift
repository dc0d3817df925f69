import Foundation
import PostgresClient

/// The outcome of recomputing the hash chains.
public struct ChainReport: Sendable, Equatable {
    /// An event whose stored hash is not what its stream's chain says it should be.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        public var position: Int64
        public var streamId: String
        public var version: Int64
        public var reason: String
        public var description: String {
            "event at position \(position) (stream \(streamId), version \(version)): \(reason)"
        }
    }

    public var streams: Int
    public var events: Int
    /// The first break in log order, or nil when every chain holds.
    public var firstBreak: Break?
    public var holds: Bool { firstBreak == nil }
}

/// A guard of the log that must be in place: a trigger, or a privilege that must be missing.
public struct GuardCheck: Sendable, Equatable {
    public var name: String
    public var holds: Bool
}

extension EventStore {
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

    /// Recomputes every stream's hash chain and names the first event that does not match: a changed
    /// payload, a missing or reordered version, or a stream head that does not end its chain.
    public func verifyChains() throws -> ChainReport {
        let breaks = try connection.query(
            """
            WITH chain AS (
                SELECT e.global_position, e.stream_id, e.stream_version, e.hash,
                       row_number() OVER w AS expected_version,
                       vigil.event_hash(coalesce(lag(e.hash) OVER w, '\\x'::bytea), e.stream_id, e.stream_version,
                           e.event_id, e.event_type, e.schema_version, e.data, e.metadata, e.command_id,
                           e.correlation_id, e.causation_id, e.actor, e.recorded_at) AS recomputed
                  FROM vigil.events e
                WINDOW w AS (PARTITION BY e.stream_id ORDER BY e.stream_version)
            )
            SELECT global_position, stream_id, stream_version,
                   CASE WHEN stream_version <> expected_version
                        THEN 'version ' || stream_version || ' stands where version ' || expected_version || ' should'
                        ELSE 'its hash does not match its contents and the previous hash' END AS reason
              FROM chain
             WHERE hash <> recomputed OR stream_version <> expected_version
            UNION ALL
            SELECT coalesce(last.global_position, 0), s.stream_id, s.version,
                   'the stream head (version ' || s.version || ') does not match the last event of the chain'
              FROM vigil.streams s
              LEFT JOIN LATERAL (SELECT e.global_position, e.stream_version, e.hash FROM vigil.events e
                                  WHERE e.stream_id = s.stream_id ORDER BY e.stream_version DESC LIMIT 1) last ON true
             WHERE last.hash IS DISTINCT FROM s.last_hash OR last.stream_version IS DISTINCT FROM s.version
             ORDER BY 1
             LIMIT 1
            """)
        let counts = try connection.query(
            "SELECT (SELECT count(*) FROM vigil.streams) AS streams, (SELECT count(*) FROM vigil.events) AS events")
        let firstBreak = try breaks.first.map {
            ChainReport.Break(
                position: try $0.int64("global_position"), streamId: try $0.string("stream_id"),
                version: try $0.int64("stream_version"), reason: try $0.string("reason"))
        }
        return ChainReport(
            streams: try counts.first?.int("streams") ?? 0, events: try counts.first?.int("events") ?? 0,
            firstBreak: firstBreak)
    }
}
