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
public struct GatheringScheduled: EventPayload {
    public static let eventType = "GatheringScheduled"
    public var gatheringId: String
    public var missionId: String
    /// The campaign it is part of, if any.
    public var campaignId: String?
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
public struct GatheringRescheduled: EventPayload {
    public static let eventType = "GatheringRescheduled"
    public var gatheringId: String
    public var startsAt: Date
    public var timeZone: String
    public var localStart: WallTime
    public var reason: String?
    public var rescheduledAt: Date
}

/// A gathering was called off before it happened.
public struct GatheringCancelled: EventPayload {
    public static let eventType = "GatheringCancelled"
    public var gatheringId: String
    public var reason: String
    public var cancelledAt: Date
}

/// A gathering took place.
public struct GatheringHeld: EventPayload {
    public static let eventType = "GatheringHeld"
    public var gatheringId: String
    public var reportedAttendance: Int?
    public var notes: String?
    public var recordedAt: Date
}

/// A gathering was planned but did not take place, and was not cancelled beforehand.
public struct GatheringNotHeld: EventPayload {
    public static let eventType = "GatheringNotHeld"
    public var gatheringId: String
    public var reason: String
    public var recordedAt: Date
}

/// A gathering moved to another spot (the mission's own address, or a square nearby).
public struct GatheringVenueChanged: EventPayload {
    public static let eventType = "GatheringVenueChanged"
    public var gatheringId: String
    public var venue: String
    public var changedAt: Date
}

/// A list of names was read aloud at a gathering. The names themselves are never recorded: they name
/// people whose families are at risk. Only how many, by how many readers, and which list.
public struct NamesRead: EventPayload {
    public static let eventType = "NamesRead"
    public var gatheringId: String
    public var names: Int
    public var readers: Int
    /// A reference to the list kept elsewhere, such as `nkfc-repatriated-2015`: never a name.
    public var listRef: String
    public var recordedAt: Date
}

/// An outlet covered a gathering.
public struct CoverageRecorded: EventPayload {
    public static let eventType = "CoverageRecorded"
    public var gatheringId: String
    public var outlet: String
    /// The language of the coverage, as an ISO 639 code (ko, en, zh).
    public var language: String?
    public var link: String?
    public var recordedAt: Date
}

/// An outlet was invited, or expected, and did not come.
public struct MediaNoShow: EventPayload {
    public static let eventType = "MediaNoShow"
    public var gatheringId: String
    public var outlet: String
    public var notes: String?
    public var recordedAt: Date
}

/// The events of a gathering's stream.
public enum GatheringEvent: DomainEvent {
    case scheduled(GatheringScheduled)
    case rescheduled(GatheringRescheduled)
    case venueChanged(GatheringVenueChanged)
    case cancelled(GatheringCancelled)
    case held(GatheringHeld)
    case notHeld(GatheringNotHeld)
    case namesRead(NamesRead)
    case coverage(CoverageRecorded)
    case noShow(MediaNoShow)

    /// The payload of this event.
    public var payload: any EventPayload {
        switch self {
        case .scheduled(let e): return e
        case .rescheduled(let e): return e
        case .venueChanged(let e): return e
        case .cancelled(let e): return e
        case .held(let e): return e
        case .notHeld(let e): return e
        case .namesRead(let e): return e
        case .coverage(let e): return e
        case .noShow(let e): return e
        }
    }

    /// The gathering the event is about.
    public var gatheringId: String {
        switch self {
        case .scheduled(let e): return e.gatheringId
        case .rescheduled(let e): return e.gatheringId
        case .venueChanged(let e): return e.gatheringId
        case .cancelled(let e): return e.gatheringId
        case .held(let e): return e.gatheringId
        case .notHeld(let e): return e.gatheringId
        case .namesRead(let e): return e.gatheringId
        case .coverage(let e): return e.gatheringId
        case .noShow(let e): return e.gatheringId
        }
    }

    /// Each stored type name of these events, and the case its payload is read as.
    public static let storedTypes = StoredType.table([
        StoredType(GatheringScheduled.self, GatheringEvent.scheduled),
        StoredType(GatheringRescheduled.self, GatheringEvent.rescheduled),
        StoredType(GatheringVenueChanged.self, GatheringEvent.venueChanged),
        StoredType(GatheringCancelled.self, GatheringEvent.cancelled),
        StoredType(GatheringHeld.self, GatheringEvent.held),
        StoredType(GatheringNotHeld.self, GatheringEvent.notHeld),
        StoredType(NamesRead.self, GatheringEvent.namesRead),
        StoredType(CoverageRecorded.self, GatheringEvent.coverage),
        StoredType(MediaNoShow.self, GatheringEvent.noShow),
    ])
}

/// Where a gathering stands.
public enum GatheringStatus: String, Codable, Sendable, CaseIterable {
    case scheduled
    case cancelled
    case held
    case notHeld = "not-held"
}

/// A gathering as its events leave it.
public struct GatheringState: Sendable, Equatable, Encodable {
    public var scheduled: GatheringScheduled?
    public var status: GatheringStatus = .scheduled
    public var startsAt: Date?
    public var localStart: WallTime?
    public var cancelled: GatheringCancelled?
    public var held: GatheringHeld?
    public var notHeld: GatheringNotHeld?
    public var venue: String?
    public var readings: [NamesRead] = []
    public var coverage: [CoverageRecorded] = []
    public var noShows: [MediaNoShow] = []

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
            next.venue = e.venue
        case .venueChanged(let e):
            next.venue = e.venue
        case .namesRead(let e):
            next.readings.append(e)
        case .coverage(let e):
            next.coverage.append(e)
        case .noShow(let e):
            next.noShows.append(e)
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
