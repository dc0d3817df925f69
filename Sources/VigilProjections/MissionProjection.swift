import EventStore
import Foundation
import PostgresClient
import VigilDomain

/// One row of the per-mission read model.
public struct MissionRow: Sendable, Equatable, Codable {
    public var missionId: String
    public var name: String
    public var kind: String
    public var sendingState: String
    public var city: String
    public var country: String
    public var timeZone: String
    public var status: String
    public var gatheringsScheduled = 0
    public var gatheringsHeld = 0
    public var gatheringsCancelled = 0
    public var gatheringsNotHeld = 0
    /// Expected attendance summed over the gatherings that were not cancelled.
    public var attendanceExpected: Int64 = 0
    /// Reported attendance summed over the gatherings that were held.
    public var attendanceReported: Int64 = 0
    /// When the first and the last gathering held there started.
    public var firstActivity: Date?
    public var lastActivity: Date?
}

/// What the mission projection remembers of each gathering, so later events move the right counters.
public struct GatheringLink: Sendable, Equatable {
    public var gatheringId: String
    public var missionId: String
    public var status: GatheringStatus
    public var attendanceExpected: Int
    public var attendanceReported: Int?
    public var startsAt: Date
}

/// The pure fold of the per-mission read model: rows in, events folded, rows out.
public struct MissionReadModel: Sendable, Equatable {
    public var missions: [String: MissionRow] = [:]
    public var gatherings: [String: GatheringLink] = [:]

    public init(missions: [String: MissionRow] = [:], gatherings: [String: GatheringLink] = [:]) {
        self.missions = missions
        self.gatherings = gatherings
    }

    /// Folds one event.
    public mutating func apply(_ event: VigilEvent) {
        switch event {
        case .mission(.registered(let e)):
            missions[e.missionId] = MissionRow(
                missionId: e.missionId, name: e.name, kind: e.kind.rawValue, sendingState: e.sendingState,
                city: e.city, country: e.country, timeZone: e.timeZone, status: "open")
        case .mission(.corrected(let e)):
            if let name = e.name { missions[e.missionId]?.name = name }
            if let city = e.city { missions[e.missionId]?.city = city }
            if let zone = e.timeZone { missions[e.missionId]?.timeZone = zone }
        case .mission(.closed(let e)):
            missions[e.missionId]?.status = "closed"
        case .gathering(.scheduled(let e)):
            let expected = e.expectedAttendance ?? 0
            gatherings[e.gatheringId] = GatheringLink(
                gatheringId: e.gatheringId, missionId: e.missionId, status: .scheduled,
                attendanceExpected: expected, attendanceReported: nil, startsAt: e.startsAt)
            missions[e.missionId]?.gatheringsScheduled += 1
            missions[e.missionId]?.attendanceExpected += Int64(expected)
        case .gathering(.rescheduled(let e)):
            gatherings[e.gatheringId]?.startsAt = e.startsAt
        case .gathering(.cancelled(let e)):
            guard let link = gatherings[e.gatheringId] else { return }
            gatherings[e.gatheringId]?.status = .cancelled
            missions[link.missionId]?.gatheringsCancelled += 1
            missions[link.missionId]?.attendanceExpected -= Int64(link.attendanceExpected)
        case .gathering(.held(let e)):
            guard let link = gatherings[e.gatheringId] else { return }
            gatherings[e.gatheringId]?.status = .held
            gatherings[e.gatheringId]?.attendanceReported = e.reportedAttendance
            missions[link.missionId]?.gatheringsHeld += 1
            missions[link.missionId]?.attendanceReported += Int64(e.reportedAttendance ?? 0)
            if let row = missions[link.missionId] {
                missions[link.missionId]?.firstActivity = min(row.firstActivity ?? link.startsAt, link.startsAt)
                missions[link.missionId]?.lastActivity = max(row.lastActivity ?? link.startsAt, link.startsAt)
            }
        case .gathering(.notHeld(let e)):
            guard let link = gatherings[e.gatheringId] else { return }
            gatherings[e.gatheringId]?.status = .notHeld
            missions[link.missionId]?.gatheringsNotHeld += 1
        case .gathering(.venueChanged), .gathering(.namesRead), .gathering(.coverage), .gathering(.noShow),
            .campaign, .recurrence, .petition:
            // Not rolled up per mission yet: deliveries, readings and coverage come with the read-side issue.
            return
        }
    }

    /// The mission ids and gathering ids an event touches, to load before folding.
    static func keys(of event: VigilEvent) -> (mission: String?, gathering: String?) {
        switch event {
        case .mission(.registered(let e)): return (e.missionId, nil)
        case .mission(.corrected(let e)): return (e.missionId, nil)
        case .mission(.closed(let e)): return (e.missionId, nil)
        case .gathering(.scheduled(let e)): return (e.missionId, e.gatheringId)
        case .gathering(let e): return (nil, e.gatheringId)
        case .campaign, .recurrence, .petition: return (nil, nil)
        }
    }
}

/// The per-mission projection: loads the rows a batch touches, folds the batch, writes the rows back.
public struct MissionProjection: Projection {
    public let name = "missions"

    public init() {}

    public func apply(_ batch: [DecodedEvent], connection: Connection) throws {
        var missionIds = Set<String>()
        var gatheringIds = Set<String>()
        for item in batch {
            let keys = MissionReadModel.keys(of: item.event)
            if let m = keys.mission { missionIds.insert(m) }
            if let g = keys.gathering { gatheringIds.insert(g) }
        }
        var model = MissionReadModel()
        for link in try MissionStorage.loadGatherings(Array(gatheringIds), connection: connection) {
            model.gatherings[link.gatheringId] = link
            missionIds.insert(link.missionId)
        }
        for row in try MissionStorage.loadMissions(Array(missionIds), connection: connection) {
            model.missions[row.missionId] = row
        }
        let before = model
        for item in batch { model.apply(item.event) }
        try MissionStorage.save(model, changedFrom: before, connection: connection)
    }
}
