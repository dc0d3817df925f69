import Foundation

/// What kind of gathering.
public enum GatheringKind: String, Codable, Sendable, CaseIterable {
    case protest
    case vigil
    case rally
    case pressConference = "press-conference"
    case prayerMeeting = "prayer-meeting"
    case picket

    /// How people say it.
    public var label: String {
        switch self {
        case .protest: return "protest"
        case .vigil: return "candlelight vigil"
        case .rally: return "rally"
        case .pressConference: return "press conference"
        case .prayerMeeting: return "prayer meeting"
        case .picket: return "picket"
        }
    }
}

/// A gathering was scheduled at a mission, at a local time in the mission's zone.
public struct GatheringScheduled: Codable, Sendable, Equatable {
    public var gatheringId: String
    public var missionId: String
    public var kind: GatheringKind
    /// When it starts, as a UTC instant.
    public var startsAt: Date
    /// The IANA zone of the place, and the wall time there.
    public var timeZone: String
    public var localStart: WallTime
    /// Where exactly, when not at the mission's door ("Dag Hammarskjold Plaza").
    public var venue: String?
    public var expectedAttendance: Int?
    public var organiser: String?
    public var scheduledAt: Date
}

/// A gathering was moved to another local time.
public struct GatheringRescheduled: Codable, Sendable, Equatable {
    public var gatheringId: String
    public var startsAt: Date
    public var timeZone: String
    public var localStart: WallTime
    public var reason: String?
    public var rescheduledAt: Date
}

/// A gathering was called off before it happened.
public struct GatheringCancelled: Codable, Sendable, Equatable {
    public var gatheringId: String
    public var reason: String
    public var cancelledAt: Date
}

/// A gathering took place.
public struct GatheringHeld: Codable, Sendable, Equatable {
    public var gatheringId: String
    public var reportedAttendance: Int?
    public var notes: String?
    public var recordedAt: Date
}

/// A gathering was planned but did not take place, and was not cancelled beforehand.
public struct GatheringNotHeld: Codable, Sendable, Equatable {
    public var gatheringId: String
    public var reason: String
    public var recordedAt: Date
}

/// The events of a gathering's stream.
public enum GatheringEvent: DomainEvent {
    case scheduled(GatheringScheduled)
    case rescheduled(GatheringRescheduled)
    case cancelled(GatheringCancelled)
    case held(GatheringHeld)
    case notHeld(GatheringNotHeld)

    public var eventType: String {
        switch self {
        case .scheduled: return "GatheringScheduled"
        case .rescheduled: return "GatheringRescheduled"
        case .cancelled: return "GatheringCancelled"
        case .held: return "GatheringHeld"
        case .notHeld: return "GatheringNotHeld"
        }
    }

    /// The gathering the event is about.
    public var gatheringId: String {
        switch self {
        case .scheduled(let e): return e.gatheringId
        case .rescheduled(let e): return e.gatheringId
        case .cancelled(let e): return e.gatheringId
        case .held(let e): return e.gatheringId
        case .notHeld(let e): return e.gatheringId
        }
    }

    public func encodedData() throws -> Data {
        switch self {
        case .scheduled(let e): return try EventJSON.encode(e)
        case .rescheduled(let e): return try EventJSON.encode(e)
        case .cancelled(let e): return try EventJSON.encode(e)
        case .held(let e): return try EventJSON.encode(e)
        case .notHeld(let e): return try EventJSON.encode(e)
        }
    }

    public static func decode(type: String, data: Data) throws -> GatheringEvent? {
        switch type {
        case "GatheringScheduled": return .scheduled(try EventJSON.decode(GatheringScheduled.self, data))
        case "GatheringRescheduled": return .rescheduled(try EventJSON.decode(GatheringRescheduled.self, data))
        case "GatheringCancelled": return .cancelled(try EventJSON.decode(GatheringCancelled.self, data))
        case "GatheringHeld": return .held(try EventJSON.decode(GatheringHeld.self, data))
        case "GatheringNotHeld": return .notHeld(try EventJSON.decode(GatheringNotHeld.self, data))
        default: return nil
        }
    }
}

/// Where a gathering stands.
public enum GatheringStatus: String, Codable, Sendable, CaseIterable {
    case scheduled
    case cancelled
    case held
    case notHeld = "not-held"
}

/// A gathering as its events leave it.
public struct GatheringState: Sendable, Equatable {
    public var scheduled: GatheringScheduled?
    public var status: GatheringStatus = .scheduled
    public var startsAt: Date?
    public var localStart: WallTime?
    public var cancelled: GatheringCancelled?
    public var held: GatheringHeld?
    public var notHeld: GatheringNotHeld?

    public init() {}

    public var exists: Bool { scheduled != nil }

    /// Folds one event into the state.
    public static func evolve(_ state: GatheringState, _ event: GatheringEvent) -> GatheringState {
        var next = state
        switch event {
        case .scheduled(let e):
            next.scheduled = e
            next.status = .scheduled
            next.startsAt = e.startsAt
            next.localStart = e.localStart
        case .rescheduled(let e):
            next.startsAt = e.startsAt
            next.localStart = e.localStart
        case .cancelled(let e):
            next.status = .cancelled
            next.cancelled = e
        case .held(let e):
            next.status = .held
            next.held = e
        case .notHeld(let e):
            next.status = .notHeld
            next.notHeld = e
        }
        return next
    }
}
