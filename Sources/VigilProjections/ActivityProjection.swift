import Foundation
import PostgresClient
import VigilDomain

/// One cell of `vigil_read.activity`: the figures of one mission within one campaign ('' for none).
public struct ActivityRow: TableRow, Codable {
    public var campaignId: String
    public var missionId: String
    public var gatheringsScheduled = 0
    public var gatheringsHeld = 0
    public var gatheringsCancelled = 0
    public var gatheringsNotHeld = 0
    public var weeklyHeld = 0
    /// Expected attendance of gatherings not cancelled; reported attendance of gatherings held, weekly ones included.
    public var attendanceExpected: Int64 = 0
    public var attendanceReported: Int64 = 0
    public var deliveriesAccepted = 0
    public var deliveriesRefused = 0
    public var deliveriesBlocked = 0
    public var deliveriesNobody = 0
    public var readings = 0
    public var namesRead: Int64 = 0
    public var coverage = 0
    public var noShows = 0

    public static let table = "activity"
    public static let keyColumns = ["campaign_id", "mission_id"]
    public static let columns = [
        Column("campaign_id", "text"), Column("mission_id", "text"), Column("gatherings_scheduled", "integer"),
        Column("gatherings_held", "integer"), Column("gatherings_cancelled", "integer"),
        Column("gatherings_not_held", "integer"), Column("weekly_held", "integer"),
        Column("attendance_expected", "bigint"), Column("attendance_reported", "bigint"),
        Column("deliveries_accepted", "integer"), Column("deliveries_refused", "integer"),
        Column("deliveries_blocked", "integer"), Column("deliveries_nobody", "integer"), Column("readings", "integer"),
        Column("names_read", "bigint"), Column("coverage", "integer"), Column("no_shows", "integer"),
    ]
    public var key: Pair { Pair(campaignId, missionId) }
    public var values: [String?] {
        let counts: [Int64] = [
            Int64(gatheringsScheduled), Int64(gatheringsHeld), Int64(gatheringsCancelled), Int64(gatheringsNotHeld),
            Int64(weeklyHeld), attendanceExpected, attendanceReported, Int64(deliveriesAccepted), Int64(deliveriesRefused),
            Int64(deliveriesBlocked), Int64(deliveriesNobody), Int64(readings), namesRead, Int64(coverage), Int64(noShows),
        ]
        return [campaignId, missionId] + counts.map { String($0) }
    }

    public init(row: Row) throws {
        campaignId = try row.string("campaign_id")
        missionId = try row.string("mission_id")
        gatheringsScheduled = try row.int("gatherings_scheduled")
        gatheringsHeld = try row.int("gatherings_held")
        gatheringsCancelled = try row.int("gatherings_cancelled")
        gatheringsNotHeld = try row.int("gatherings_not_held")
        weeklyHeld = try row.int("weekly_held")
        attendanceExpected = try row.int64("attendance_expected")
        attendanceReported = try row.int64("attendance_reported")
        deliveriesAccepted = try row.int("deliveries_accepted")
        deliveriesRefused = try row.int("deliveries_refused")
        deliveriesBlocked = try row.int("deliveries_blocked")
        deliveriesNobody = try row.int("deliveries_nobody")
        readings = try row.int("readings")
        namesRead = try row.int64("names_read")
        coverage = try row.int("coverage")
        noShows = try row.int("no_shows")
    }

    init(campaignId: String, missionId: String) {
        self.campaignId = campaignId
        self.missionId = missionId
    }
}

/// One row of `vigil_read.activity_kinds`: gatherings of one kind, by status.
public struct KindRow: TableRow, Codable {
    public var campaignId: String
    public var missionId: String
    public var kind: String
    public var scheduled = 0
    public var held = 0
    public var cancelled = 0
    public var notHeld = 0

    public static let table = "activity_kinds"
    public static let keyColumns = ["campaign_id", "mission_id", "kind"]
    public static let columns = [
        Column("campaign_id", "text"), Column("mission_id", "text"), Column("kind", "text"), Column("scheduled", "integer"),
        Column("held", "integer"), Column("cancelled", "integer"), Column("not_held", "integer"),
    ]
    public var key: Triple { Triple(campaignId, missionId, kind) }
    public var values: [String?] { [campaignId, missionId, kind, String(scheduled), String(held), String(cancelled), String(notHeld)] }

    public init(row: Row) throws {
        campaignId = try row.string("campaign_id")
        missionId = try row.string("mission_id")
        kind = try row.string("kind")
        scheduled = try row.int("scheduled")
        held = try row.int("held")
        cancelled = try row.int("cancelled")
        notHeld = try row.int("not_held")
    }

    init(campaignId: String, missionId: String, kind: String) {
        self.campaignId = campaignId
        self.missionId = missionId
        self.kind = kind
    }
}

/// One row of `vigil_read.activity_gatherings`: a gathering, its status and its time in UTC and locally.
public struct GatheringRow: TableRow, Codable {
    public var gatheringId: String
    public var campaignId: String
    public var missionId: String
    public var kind: String
    public var status: String
    public var startsAt: Date
    public var timeZone: String
    public var localStart: String
    public var venue: String?
    public var attendanceExpected = 0
    public var attendanceReported: Int?
    /// The outcome of the last attempt to deliver a petition at this gathering (`accepted`, `refused`, …).
    public var delivery: String?

    public static let table = "activity_gatherings"
    public static let keyColumns = ["gathering_id"]
    public static let columns = [
        Column("gathering_id", "text"), Column("campaign_id", "text"), Column("mission_id", "text"), Column("kind", "text"),
        Column("status", "text"), Column("starts_at", "timestamptz"), Column("time_zone", "text"),
        Column("local_start", "text"), Column("venue", "text"), Column("attendance_expected", "integer"),
        Column("attendance_reported", "integer"), Column("delivery", "text"),
    ]
    public var key: String { gatheringId }
    public var values: [String?] {
        [gatheringId, campaignId, missionId, kind, status, startsAt.postgresText, timeZone, localStart, venue,
         String(attendanceExpected), attendanceReported.map { String($0) }, delivery]
    }

    public init(row: Row) throws {
        gatheringId = try row.string("gathering_id")
        campaignId = try row.string("campaign_id")
        missionId = try row.string("mission_id")
        kind = try row.string("kind")
        status = try row.string("status")
        startsAt = try row.date("starts_at")
        timeZone = try row.string("time_zone")
        localStart = try row.string("local_start")
        venue = try row.text("venue")
        attendanceExpected = try row.int("attendance_expected")
        attendanceReported = try row.optionalInt64("attendance_reported").map(Int.init)
        delivery = try row.text("delivery")
    }

    init(_ e: GatheringScheduled) {
        gatheringId = e.gatheringId
        campaignId = e.campaignId ?? ""
        missionId = e.missionId
        kind = e.kind.rawValue
        status = GatheringStatus.scheduled.rawValue
        startsAt = e.startsAt
        timeZone = e.timeZone
        localStart = e.localStart.description
        venue = e.venue
        attendanceExpected = e.expectedAttendance ?? 0
    }
}

/// A weekly gathering's mission and campaign: a row of `vigil_read.activity_recurrences`.
public struct RecurrenceLinkRow: TableRow, Codable {
    public var recurrenceId: String
    public var campaignId: String
    public var missionId: String

    public static let table = "activity_recurrences"
    public static let keyColumns = ["recurrence_id"]
    public static let columns = [Column("recurrence_id", "text"), Column("campaign_id", "text"), Column("mission_id", "text")]
    public var key: String { recurrenceId }
    public var values: [String?] { [recurrenceId, campaignId, missionId] }

    public init(row: Row) throws {
        recurrenceId = try row.string("recurrence_id")
        campaignId = try row.string("campaign_id")
        missionId = try row.string("mission_id")
    }

    init(recurrenceId: String, campaignId: String, missionId: String) {
        self.recurrenceId = recurrenceId
        self.campaignId = campaignId
        self.missionId = missionId
    }
}

/// The "activity" projection's model.
public struct ActivityModel: Equatable, Sendable {
    public var cells: [Pair: ActivityRow] = [:]
    public var kinds: [Triple: KindRow] = [:]
    public var gatherings: [String: GatheringRow] = [:]
    public var petitions: [String: PetitionLinkRow<ActivityPetitions>] = [:]
    public var recurrences: [String: RecurrenceLinkRow] = [:]

    mutating func cell(_ campaign: String, _ mission: String, _ change: (inout ActivityRow) -> Void) {
        let key = Pair(campaign, mission)
        var row = cells[key] ?? ActivityRow(campaignId: campaign, missionId: mission)
        change(&row)
        cells[key] = row
    }

    mutating func kind(_ g: GatheringRow, _ change: (inout KindRow) -> Void) {
        let key = Triple(g.campaignId, g.missionId, g.kind)
        var row = kinds[key] ?? KindRow(campaignId: g.campaignId, missionId: g.missionId, kind: g.kind)
        change(&row)
        kinds[key] = row
    }
}

/// The "activity" projection: every figure that belongs to a mission, in cells per (campaign, mission),
/// and one row per gathering for the day-of-action report.
public struct ActivityProjection: Projection {
    public typealias Model = ActivityModel
    public let name = "activity"
    public let tables = [ActivityRow.table, KindRow.table, GatheringRow.table, PetitionLinkRow<ActivityPetitions>.table, RecurrenceLinkRow.table]

    public init() {}

    public func emptyModel() -> Model { ActivityModel() }

    public func fold(_ model: inout Model, _ event: DecodedEvent) {
        switch event.event {
        case .gathering(let e):
            foldGathering(&model, e)
        case .petition(.drafted(let e)):
            model.petitions[e.petitionId] = PetitionLinkRow<ActivityPetitions>(petitionId: e.petitionId, campaignId: e.campaignId ?? "")
        case .petition(.deliveryAttempted(let e)):
            model.cell(model.petitions[e.petitionId]?.campaignId ?? "", e.missionId) { row in
                switch e.outcome {
                case .accepted: row.deliveriesAccepted += 1
                case .refused: row.deliveriesRefused += 1
                case .blocked: row.deliveriesBlocked += 1
                case .nobodyCameOut: row.deliveriesNobody += 1
                }
            }
            if let gathering = e.gatheringId { model.gatherings[gathering]?.delivery = e.outcome.rawValue }
        case .recurrence(.scheduled(let e)):
            model.recurrences[e.recurrenceId] = RecurrenceLinkRow(recurrenceId: e.recurrenceId, campaignId: e.campaignId ?? "", missionId: e.missionId)
        case .recurrence(.held(let e)):
            guard let link = model.recurrences[e.recurrenceId] else { return }
            model.cell(link.campaignId, link.missionId) { row in
                row.weeklyHeld += 1
                row.attendanceReported += Int64(e.reportedAttendance ?? 0)
            }
        case .petition, .recurrence, .mission, .campaign, .erasure:
            return
        }
    }

    func foldGathering(_ model: inout Model, _ event: GatheringEvent) {
        if case .scheduled(let e) = event {
            let row = GatheringRow(e)
            model.gatherings[e.gatheringId] = row
            model.cell(row.campaignId, row.missionId) { cell in
                cell.gatheringsScheduled += 1
                cell.attendanceExpected += Int64(row.attendanceExpected)
            }
            model.kind(row) { $0.scheduled += 1 }
            return
        }
        guard var g = model.gatherings[event.gatheringId] else { return }
        switch event {
        case .scheduled:
            return
        case .rescheduled(let e):
            g.startsAt = e.startsAt
            g.timeZone = e.timeZone
            g.localStart = e.localStart.description
        case .venueChanged(let e):
            g.venue = e.venue
        case .cancelled:
            g.status = GatheringStatus.cancelled.rawValue
            model.cell(g.campaignId, g.missionId) { cell in
                cell.gatheringsCancelled += 1
                cell.attendanceExpected -= Int64(g.attendanceExpected)
            }
            model.kind(g) { $0.cancelled += 1 }
        case .held(let e):
            g.status = GatheringStatus.held.rawValue
            g.attendanceReported = e.reportedAttendance
            model.cell(g.campaignId, g.missionId) { cell in
                cell.gatheringsHeld += 1
                cell.attendanceReported += Int64(e.reportedAttendance ?? 0)
            }
            model.kind(g) { $0.held += 1 }
        case .notHeld:
            g.status = GatheringStatus.notHeld.rawValue
            model.cell(g.campaignId, g.missionId) { $0.gatheringsNotHeld += 1 }
            model.kind(g) { $0.notHeld += 1 }
        case .namesRead(let e):
            model.cell(g.campaignId, g.missionId) { cell in
                cell.readings += 1
                cell.namesRead += Int64(e.names)
            }
        case .coverage:
            model.cell(g.campaignId, g.missionId) { $0.coverage += 1 }
        case .noShow:
            model.cell(g.campaignId, g.missionId) { $0.noShows += 1 }
        }
        model.gatherings[g.gatheringId] = g
    }

    public func load(for batch: [DecodedEvent], tables: ProjectionTables, connection: Connection) throws -> Model {
        var gatherings = Set<String>()
        var petitions = Set<String>()
        var recurrences = Set<String>()
        for item in batch {
            switch item.event {
            case .gathering(.scheduled): continue
            case .gathering(let e): gatherings.insert(e.gatheringId)
            case .petition(.deliveryAttempted(let e)):
                petitions.insert(e.petitionId)
                if let gathering = e.gatheringId { gatherings.insert(gathering) }
            case .recurrence(.held(let e)): recurrences.insert(e.recurrenceId)
            default: continue
            }
        }
        var model = ActivityModel()
        for row in try TableIO.load(GatheringRow.self, where: "gathering_id", in: gatherings, tables: tables, connection: connection) {
            model.gatherings[row.key] = row
        }
        for row in try TableIO.load(PetitionLinkRow<ActivityPetitions>.self, where: "petition_id", in: petitions, tables: tables, connection: connection) {
            model.petitions[row.key] = row
        }
        for row in try TableIO.load(RecurrenceLinkRow.self, where: "recurrence_id", in: recurrences, tables: tables, connection: connection) {
            model.recurrences[row.key] = row
        }
        // The cells and kinds the batch will touch, exactly: found by folding the batch over the links
        // (a throw-away fold, to learn the keys; the real fold runs on the loaded rows).
        var probe = model
        for item in batch { fold(&probe, item) }
        let cells = probe.cells.keys.map { [$0.first, $0.second] }
        let kinds = probe.kinds.keys.map { [$0.first, $0.second, $0.third] }
        for row in try TableIO.load(ActivityRow.self, whereKeys: ["campaign_id", "mission_id"], in: cells, tables: tables, connection: connection) {
            model.cells[row.key] = row
        }
        for row in try TableIO.load(KindRow.self, whereKeys: ["campaign_id", "mission_id", "kind"], in: kinds, tables: tables, connection: connection) {
            model.kinds[row.key] = row
        }
        return model
    }

    public func loadAll(tables: ProjectionTables, connection: Connection) throws -> Model {
        var model = ActivityModel()
        for row in try TableIO.loadAll(ActivityRow.self, tables: tables, connection: connection) { model.cells[row.key] = row }
        for row in try TableIO.loadAll(KindRow.self, tables: tables, connection: connection) { model.kinds[row.key] = row }
        for row in try TableIO.loadAll(GatheringRow.self, tables: tables, connection: connection) { model.gatherings[row.key] = row }
        for row in try TableIO.loadAll(PetitionLinkRow<ActivityPetitions>.self, tables: tables, connection: connection) { model.petitions[row.key] = row }
        for row in try TableIO.loadAll(RecurrenceLinkRow.self, tables: tables, connection: connection) { model.recurrences[row.key] = row }
        return model
    }

    public func save(_ model: Model, changedFrom before: Model, tables: ProjectionTables, connection: Connection) throws {
        try TableIO.saveChanged(model.cells, before.cells, tables: tables, connection: connection)
        try TableIO.saveChanged(model.kinds, before.kinds, tables: tables, connection: connection)
        try TableIO.saveChanged(model.gatherings, before.gatherings, tables: tables, connection: connection)
        try TableIO.saveChanged(model.petitions, before.petitions, tables: tables, connection: connection)
        try TableIO.saveChanged(model.recurrences, before.recurrences, tables: tables, connection: connection)
    }
}
