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
public struct MissionRegistered: Codable, Sendable, Equatable {
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
    public var registeredAt: Date
}

/// A mission was closed; nothing new can be scheduled there.
public struct MissionClosed: Codable, Sendable, Equatable {
    public var missionId: String
    public var reason: String
    public var closedAt: Date
}

/// The events of a mission's stream.
public enum MissionEvent: DomainEvent {
    case registered(MissionRegistered)
    case closed(MissionClosed)

    public var eventType: String {
        switch self {
        case .registered: return "MissionRegistered"
        case .closed: return "MissionClosed"
        }
    }

    public func encodedData() throws -> Data {
        switch self {
        case .registered(let e): return try EventJSON.encode(e)
        case .closed(let e): return try EventJSON.encode(e)
        }
    }

    public static func decode(type: String, data: Data) throws -> MissionEvent? {
        switch type {
        case "MissionRegistered": return .registered(try EventJSON.decode(MissionRegistered.self, data))
        case "MissionClosed": return .closed(try EventJSON.decode(MissionClosed.self, data))
        default: return nil
        }
    }
}

/// A mission as its events leave it.
public struct MissionState: Sendable, Equatable {
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
        case .closed(let e): next.closed = e
        }
        return next
    }
}
