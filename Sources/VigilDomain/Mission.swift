import Foundation

/// What kind of diplomatic mission.
public enum MissionKind: String, Codable, Sendable, CaseIterable {
    case embassy
    case consulateGeneral = "consulate-general"
    case consulate
    case unMission = "un-mission"

    /// How people say it.
    public var label: String {
        switch self {
        case .embassy: return "embassy"
        case .consulateGeneral: return "consulate-general"
        case .consulate: return "consulate"
        case .unMission: return "permanent mission to the UN"
        }
    }
}

/// A mission was registered: an embassy, consulate or UN mission in a city.
public struct MissionRegistered: EventPayload {
    public static let eventType = "MissionRegistered"
    public var missionId: String
    public var name: String
    /// The state the mission represents, as an ISO 3166 code (CN for the People's Republic of China).
    public var sendingState: String
    public var kind: MissionKind
    public var city: String
    /// Where the mission stands, as an ISO 3166 code.
    public var country: String
    /// The IANA time zone of the mission's place.
    public var timeZone: String
    public var address: String?
    /// Where it stands, for the map; absent in events recorded before missions carried their place.
    public var location: Coordinates?
    public var registeredAt: Date
}

/// Facts about a mission were corrected; only the fields that changed are set.
public struct MissionCorrected: EventPayload {
    public static let eventType = "MissionCorrected"
    public var missionId: String
    public var name: String?
    public var city: String?
    public var timeZone: String?
    public var address: String?
    public var location: Coordinates?
    public var reason: String
    public var correctedAt: Date
}

/// A mission was closed; nothing new can be scheduled there.
public struct MissionClosed: EventPayload {
    public static let eventType = "MissionClosed"
    public var missionId: String
    public var reason: String
    public var closedAt: Date
}

/// The events of a mission's stream.
public enum MissionEvent: DomainEvent {
    case registered(MissionRegistered)
    case corrected(MissionCorrected)
    case closed(MissionClosed)

    /// The payload of this event.
    public var payload: any EventPayload {
        switch self {
        case .registered(let e): return e
        case .corrected(let e): return e
        case .closed(let e): return e
        }
    }

    /// Each stored type name of these events, and the case its payload is read as.
    public static let storedTypes = StoredType.table([
        StoredType(MissionRegistered.self, MissionEvent.registered),
        StoredType(MissionCorrected.self, MissionEvent.corrected),
        StoredType(MissionClosed.self, MissionEvent.closed),
    ])
}

/// A mission as its events leave it.
public struct MissionState: Sendable, Equatable, Encodable {
    public var registration: MissionRegistered?
    public var closed: MissionClosed?

    public init() {}

    public var isRegistered: Bool { registration != nil }
    public var isOpen: Bool { registration != nil && closed == nil }

    /// Folds one event into the state.
    public static func evolve(_ state: MissionState, _ event: MissionEvent) -> MissionState {
        var next = state
        switch event {
        case .registered(let e): next.registration = e
        case .corrected(let e):
            if let name = e.name { next.registration?.name = name }
            if let city = e.city { next.registration?.city = city }
            if let zone = e.timeZone { next.registration?.timeZone = zone }
            if let address = e.address { next.registration?.address = address }
            if let location = e.location { next.registration?.location = location }
        case .closed(let e): next.closed = e
        }
        return next
    }
}
