import EventStore
import Foundation
import PostgresClient
import VigilCodec
import VigilDomain
import VigilProjections

/// Report rows, and how far behind the log the read models they come from are.
public struct Report<Rows: Sendable>: Sendable {
    public var rows: Rows
    public var lag: [ProjectionLag]
}

/// What a follower of the log has to say while it runs.
public enum FollowEvent: Sendable, Equatable {
    /// A projection applied this many events.
    case applied(projection: String, events: Int)
    /// The connection was lost (the server restarted); it is retried after a pause.
    case connectionLost(String)
}

extension VigilService {
    /// A report's rows, a replayed state or any value as JSON the way Vigil writes it (sorted keys,
    /// instants as ISO 8601 in UTC), so that every front end prints the same.
    public static func json<T: Encodable>(_ value: T) throws -> Data { try EventCodec.json(value) }

    /// One row per mission, optionally only in `country` (ISO 3166) or only `campaign`'s activity.
    public func missionsReport(country: String? = nil, campaign: String? = nil) throws -> Report<[MissionReportRow]> {
        try guarded {
            let country = try country.map { try Check.country($0, field: "country") }
            let campaign = try campaign.map { try Check.id($0, field: "campaign") }
            let connection = try session(.reporter).connection
            return Report(rows: try Reports.missions(country: country, campaign: campaign, connection: connection), lag: try Reports.lag(connection: connection))
        }
    }

    /// One mission in full.
    public func missionReport(_ id: String) throws -> Report<MissionReportRow> {
        try guarded {
            let id = try Check.id(id, field: "mission id")
            let connection = try session(.reporter).connection
            guard let row = try Reports.mission(id, connection: connection) else { throw DomainError.notFound(kind: "mission", id: id) }
            return Report(rows: row, lag: try Reports.lag(connection: connection))
        }
    }

    /// Every campaign, or the one `id` names.
    public func campaignsReport(_ id: String? = nil) throws -> Report<[CampaignReportRow]> {
        try guarded {
            let id = try id.map { try Check.id($0, field: "campaign id") }
            let connection = try session(.reporter).connection
            let rows = try Reports.campaigns(id, connection: connection)
            if let id, rows.isEmpty { throw DomainError.notFound(kind: "campaign", id: id) }
            return Report(rows: rows, lag: try Reports.lag(connection: connection))
        }
    }

    /// A campaign's day of action: every gathering in the order it starts.
    public func dayReport(_ campaign: String) throws -> Report<[DayRow]> {
        try guarded {
            let id = try Check.id(campaign, field: "campaign id")
            let connection = try session(.reporter).connection
            let rows = try Reports.day(id, connection: connection)
            if rows.isEmpty, try Reports.campaigns(id, connection: connection).isEmpty {
                throw DomainError.notFound(kind: "campaign", id: id)
            }
            return Report(rows: rows, lag: try Reports.lag(connection: connection))
        }
    }

    /// Each projection's checkpoint, and how far behind the log it is.
    public func projectionStatus() throws -> [ProjectionLag] {
        try guarded { try Reports.lag(connection: try session(.reporter).connection) }
    }

    /// The events no projection could read, set aside with the reason, in commit order.
    public func quarantine() throws -> [QuarantinedEvent] {
        try guarded { try Reports.quarantine(connection: try session(.reporter).connection) }
    }

    /// The names of the projections Vigil keeps.
    public static var projectionNames: [String] { Projections.names }

    /// Brings every projection up to date with the log; returns how many events were applied.
    @discardableResult
    public func catchUpProjections() throws -> Int {
        try guarded {
            let runner = ProjectionRunner(connection: try session(.projector).connection)
            return try Projections.all.reduce(0) { $0 + (try runner.catchUp($1)) }
        }
    }

    /// Rebuilds the projections `names` (nil: all) into fresh tables and swaps them in; returns the
    /// names rebuilt and the events replayed. Needs the tables' owner.
    public func rebuildProjections(_ names: [String]?, progress: ((RebuildProgress) -> Void)? = nil) throws
        -> (rebuilt: [String], events: Int)
    {
        try guarded {
            let chosen = try names.map { names in
                try names.map { name in
                    guard let projection = Projections.named(name) else {
                        throw DomainError.invalid(
                            field: "projection", reason: "no projection \"\(name)\"; the projections are \(Projections.names.joined(separator: ", "))")
                    }
                    return projection
                }
            } ?? Projections.all
            let runner = ProjectionRunner(connection: try session(.owner).connection)
            let n = try runner.rebuildAll(chosen) { progress?($0) }
            return (chosen.map(\.name), n)
        }
    }

    /// Follows the log into the read models until `shouldStop` says so: catches up in batches, then
    /// waits for new events. A lost connection (a server restart) is reported and retried every two
    /// seconds; anything else ends the run.
    public func followProjections(shouldStop: () -> Bool, report: (FollowEvent) -> Void) throws {
        while !shouldStop() {
            do {
                let runner = ProjectionRunner(connection: try Session(role: .projector, conninfo: conninfo).connection)
                try withoutActuallyEscaping(report) { report in
                    try runner.follow(shouldStop: shouldStop) { report(.applied(projection: $0, events: $1)) }
                }
            } catch let error as PostgresError where error.kind == .connection || error.sqlState?.errorClass == "57" {
                report(.connectionLost(error.message))
                for _ in 0..<20 where !shouldStop() { usleep(100_000) }
            } catch {
                try guarded { throw error }
            }
        }
    }
}
