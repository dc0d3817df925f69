import Foundation
import PostgresClient
import VigilDomain

/// One row of `vigil_read.weekly`: a weekly gathering's rule and the dates recorded as held or skipped.
/// Public fields only (the organiser, reasons and notes are the vault's), so reporters may read it.
public struct WeeklyRow: TableRow, Codable {
    public var recurrenceId: String
    /// '' for none.
    public var campaignId: String
    public var missionId: String
    public var kind: String
    /// ISO weekday: 1 is Monday.
    public var weekday: Int
    public var hour: Int
    public var minute: Int
    public var timeZone: String
    public var from: String
    /// The rule's own last date, if it was given one.
    public var until: String?
    /// The last date after the gathering was ended.
    public var endedOn: String?
    public var venue: String?
    /// Dates (YYYY-MM-DD), in order.
    public var skipped: [String] = []
    public var held: [String] = []

    public static let table = "weekly"
    public static let keyColumns = ["recurrence_id"]
    public static let columns = [
        Column("recurrence_id", "text"), Column("campaign_id", "text"), Column("mission_id", "text"), Column("kind", "text"),
        Column("weekday", "integer"), Column("hour", "integer"), Column("minute", "integer"), Column("time_zone", "text"),
        Column("from_date", "text"), Column("until_date", "text"), Column("ended_on", "text"), Column("venue", "text"),
        Column("skipped", "text"), Column("held", "text"),
    ]
    public var key: String { recurrenceId }
    public var values: [String?] {
        [recurrenceId, campaignId, missionId, kind, String(weekday), String(hour), String(minute), timeZone, from, until, endedOn,
         venue, skipped.joined(separator: " "), held.joined(separator: " ")]
    }

    public init(row: Row) throws {
        recurrenceId = try row.string("recurrence_id")
        campaignId = try row.string("campaign_id")
        missionId = try row.string("mission_id")
        kind = try row.string("kind")
        weekday = try row.int("weekday")
        hour = try row.int("hour")
        minute = try row.int("minute")
        timeZone = try row.string("time_zone")
        from = try row.string("from_date")
        until = try row.text("until_date")
        endedOn = try row.text("ended_on")
        venue = try row.text("venue")
        skipped = try row.string("skipped").split(separator: " ").map(String.init)
        held = try row.string("held").split(separator: " ").map(String.init)
    }

    init(_ e: RecurrenceScheduled) {
        recurrenceId = e.recurrenceId
        campaignId = e.campaignId ?? ""
        missionId = e.missionId
        kind = e.kind.rawValue
        weekday = e.weekday
        hour = e.hour
        minute = e.minute
        timeZone = e.timeZone
        from = e.from.description
        until = e.until?.description
        venue = e.venue
    }

    /// The domain's state of the weekly gathering, as far as its public fields tell it: enough for its
    /// dates (`RecurrenceState.dates`, `occurrences`), not for anything sealed. Nil for a row whose kind or
    /// first date does not read back (only a damaged table has one).
    public var state: RecurrenceState? {
        guard let kind = GatheringKind(rawValue: kind), let from = try? LocalDate.parse(from, field: "from") else { return nil }
        return RecurrenceState(
            recurrenceId: recurrenceId, missionId: missionId, campaignId: campaignId.isEmpty ? nil : campaignId, kind: kind,
            weekday: weekday, hour: hour, minute: minute, timeZone: timeZone, from: from,
            until: until.flatMap { try? LocalDate.parse($0, field: "until") }, venue: venue,
            skipped: Set(skipped.compactMap { try? LocalDate.parse($0, field: "skipped") }),
            endedOn: endedOn.flatMap { try? LocalDate.parse($0, field: "ended") })
    }
}

/// The "weekly" projection: each weekly gathering's rule and its dates held and skipped.
public struct WeeklyProjection: Projection {
    public typealias Model = [String: WeeklyRow]
    public let name = "weekly"
    public let tables = [WeeklyRow.table]

    public init() {}

    public func emptyModel() -> Model { [:] }

    public func fold(_ model: inout Model, _ event: DecodedEvent) {
        guard case .recurrence(let e) = event.event else { return }
        switch e {
        case .scheduled(let e):
            model[e.recurrenceId] = WeeklyRow(e)
        case .skipped(let e):
            guard var row = model[e.recurrenceId] else { return }
            row.skipped = Array(Set(row.skipped + [e.date.description])).sorted()
            model[e.recurrenceId] = row
        case .held(let e):
            guard var row = model[e.recurrenceId] else { return }
            row.held = Array(Set(row.held + [e.date.description])).sorted()
            model[e.recurrenceId] = row
        case .ended(let e):
            model[e.recurrenceId]?.endedOn = e.lastDate.description
        }
    }

    public func load(for batch: [DecodedEvent], tables: ProjectionTables, connection: Connection) throws -> Model {
        let ids = Set(batch.compactMap { item -> String? in
            guard case .recurrence(let e) = item.event else { return nil }
            return e.recurrenceId
        })
        return Dictionary(
            uniqueKeysWithValues: try TableIO.load(WeeklyRow.self, where: "recurrence_id", in: ids, tables: tables, connection: connection)
                .map { ($0.key, $0) })
    }

    public func loadAll(tables: ProjectionTables, connection: Connection) throws -> Model {
        Dictionary(uniqueKeysWithValues: try TableIO.loadAll(WeeklyRow.self, tables: tables, connection: connection).map { ($0.key, $0) })
    }

    public func save(_ model: Model, changedFrom before: Model, tables: ProjectionTables, connection: Connection) throws {
        try TableIO.saveChanged(model, before, tables: tables, connection: connection)
    }
}

extension RecurrenceEvent {
    /// The weekly gathering the event is about.
    public var recurrenceId: String {
        switch self {
        case .scheduled(let e): return e.recurrenceId
        case .skipped(let e): return e.recurrenceId
        case .held(let e): return e.recurrenceId
        case .ended(let e): return e.recurrenceId
        }
    }
}
