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
    /// Whose view the rows are: the reporter's, with small counts hidden, or the organiser's, exact.
    public var view: ReportView
    /// When the report was read from a standby (`VIGIL_REPORT_DATABASE_URL`): how far it is behind the
    /// primary. Nil when it was read from the primary.
    public var standby: StandbyLag? = nil

    /// The same report with its rows changed by `transform` (a front end's selection or masking).
    public func map<T: Sendable>(_ transform: (Rows) throws -> T) rethrows -> Report<T> {
        Report<T>(rows: try transform(rows), lag: lag, view: view, standby: standby)
    }
}

/// How far the standby that reports read from is behind the primary the log is written on.
public struct StandbyLag: Codable, Equatable, Sendable, CustomStringConvertible {
    /// WAL the primary has written that the standby has not replayed, in bytes; nil when the primary could
    /// not be asked (the report still reads, from what the standby has).
    public var bytesBehind: Int64?
    /// Seconds since the standby replayed the last transaction it has, when it is behind; 0 when it is not.
    public var secondsBehind: Double?
    /// False when the report database is not in recovery (a promoted standby, or the primary itself).
    public var isStandby: Bool

    public init(bytesBehind: Int64?, secondsBehind: Double?, isStandby: Bool) {
        self.bytesBehind = bytesBehind
        self.secondsBehind = secondsBehind
        self.isStandby = isStandby
    }

    /// `read from a standby 0 bytes behind the primary`, for a report's footer.
    public var description: String {
        guard isStandby else {
            return "read from the report database, which is not a standby: a promoted standby, or the primary when no standby answered"
        }
        guard let bytes = bytesBehind else {
            return "read from a standby; the primary could not be asked how far behind it is"
        }
        if bytes == 0 { return "read from a standby up to date with the primary" }
        return "read from a standby \(bytes) bytes of WAL behind the primary (last replayed \(String(format: "%.1f", secondsBehind ?? 0)) s ago)"
    }
}

/// Whose view of the figures a report gives.
public enum ReportView: String, Sendable, CaseIterable {
    /// The reporter's view, the default, for anyone who may read reports (`vigil_reporter`): counts of
    /// people of 1 to 4 are "<5", and a count beside one may be withheld (`SmallCounts`).
    case reporter
    /// The organiser's view (`vigil_writer`): every figure exact, and they add up.
    case organiser
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
    public func missionsReport(country: String? = nil, campaign: String? = nil, view: ReportView = .reporter) throws
        -> Report<[MissionReportRow]>
    {
        let country = try country.map { try Check.country($0, field: "country") }
        let campaign = try campaign.map { try Check.id($0, field: "campaign") }
        // A campaign's missions are one breakdown of its figures, whichever country is asked for: the
        // reporter's view is worked out over all of them, then the country's are kept.
        var report = try report(view) { connection in
            try Reports.missions(country: campaign == nil ? country : nil, campaign: campaign, connection: connection)
        } reporterView: { rows, _ in
            SmallCounts.reporterView(rows, oneCampaign: campaign != nil)
        }
        if let country { report.rows.removeAll { $0.mission.country != country } }
        return report
    }

    /// One mission in full.
    public func missionReport(_ id: String, view: ReportView = .reporter) throws -> Report<MissionReportRow> {
        let id = try Check.id(id, field: "mission id")
        return try report(view) { connection in
            guard let row = try Reports.mission(id, connection: connection) else { throw DomainError.notFound(kind: "mission", id: id) }
            return row
        } reporterView: { row, _ in
            SmallCounts.reporterView([row], oneCampaign: false)[0]
        }
    }

    /// Every campaign, or the one `id` names.
    public func campaignsReport(_ id: String? = nil, view: ReportView = .reporter) throws -> Report<[CampaignReportRow]> {
        let id = try id.map { try Check.id($0, field: "campaign id") }
        return try report(view) { connection in
            let rows = try Reports.campaigns(id, connection: connection)
            if let id, rows.isEmpty { throw DomainError.notFound(kind: "campaign", id: id) }
            return rows
        } reporterView: { rows, connection in
            // The day and missions reports break each campaign's attendance down.
            try rows.map { row in
                let id = row.campaign.campaignId
                return SmallCounts.reporterView(
                    row, gatherings: try Reports.day(id, connection: connection),
                    missions: try Reports.missions(campaign: id, connection: connection))
            }
        }
    }

    /// A campaign's day of action: every gathering in the order it starts.
    public func dayReport(_ campaign: String, view: ReportView = .reporter) throws -> Report<[DayRow]> {
        let id = try Check.id(campaign, field: "campaign id")
        return try report(view) { connection in
            let rows = try Reports.day(id, connection: connection)
            if rows.isEmpty, try Reports.campaigns(id, connection: connection).isEmpty {
                throw DomainError.notFound(kind: "campaign", id: id)
            }
            return rows
        } reporterView: { rows, _ in
            SmallCounts.reporterView(rows)
        }
    }

    /// Every report goes through here: the organiser's view reads as vigil_writer and is returned exact;
    /// the reporter's view reads as vigil_reporter and is returned only through `reporterView`, which
    /// hides small counts (`SmallCounts`) and may read more on the same connection.
    func report<Rows>(
        _ view: ReportView, query: (Connection) throws -> Rows, reporterView: (Rows, Connection) throws -> Rows
    ) throws -> Report<Rows> {
        try guarded {
            let connection = try session(view == .organiser ? .writer : .reporter).connection
            let exact = try query(connection)
            let rows = view == .organiser ? exact : try reporterView(exact, connection)
            let standby = view == .reporter && reportConninfo != nil ? try standbyLag(connection) : nil
            return Report(rows: rows, lag: try Reports.lag(connection: connection), view: view, standby: standby)
        }
    }

    /// How far the standby reports read from is behind the primary; nil when reports read from the primary.
    public func standbyStatus() throws -> StandbyLag? {
        guard reportConninfo != nil else { return nil }
        return try guarded { try standbyLag(try session(.reporter).connection) }
    }

    /// The standby's replay position against the primary's WAL: asked of the primary on a connection of
    /// its own (any login may ask for the current WAL position), which a failure forgets.
    func standbyLag(_ standby: Connection) throws -> StandbyLag {
        let row = try standby.query(
            """
            SELECT pg_is_in_recovery() AS recovering, coalesce(pg_last_wal_replay_lsn()::text, '0/0') AS replayed,
                   coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)::float8::text AS age
            """)[0]
        guard try row.bool("recovering") else { return StandbyLag(bytesBehind: 0, secondsBehind: 0, isStandby: false) }
        let replayed = try row.string("replayed")
        do {
            if primaryProbe == nil { primaryProbe = try Connection(conninfo: conninfo) }
            let behind = try primaryProbe!.query(
                "SELECT greatest(pg_wal_lsn_diff(pg_current_wal_lsn(), \(replayed)::pg_lsn), 0)::bigint AS behind")[0].int64("behind")
            return StandbyLag(bytesBehind: behind, secondsBehind: behind == 0 ? 0 : Double(try row.string("age")) ?? 0, isStandby: true)
        } catch {
            primaryProbe = nil
            return StandbyLag(bytesBehind: nil, secondsBehind: nil, isStandby: true)
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
    /// names rebuilt and the events replayed. Needs the tables' owner. `waiting` is told what a swap waits
    /// for when another session keeps a projection (an auditor comparing it with a replay).
    public func rebuildProjections(_ names: [String]?, waiting: ((String) -> Void)? = nil,
                                   progress: ((RebuildProgress) -> Void)? = nil) throws
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
            runner.waiting = waiting
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
