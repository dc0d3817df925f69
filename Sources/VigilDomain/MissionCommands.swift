import Foundation

/// Register a diplomatic mission.
public struct RegisterMission: Sendable, Equatable {
    public var missionId: String
    public var name: String
    public var sendingState: String
    public var kind: MissionKind
    public var city: String
    public var country: String
    public var timeZone: String
    public var address: String?
    /// `LAT,LON` as typed; the report site's map places the mission there.
    public var location: String?

    public init(
        missionId: String, name: String, sendingState: String, kind: MissionKind, city: String, country: String,
        timeZone: String, address: String? = nil, location: String? = nil
    ) {
        self.missionId = missionId
        self.name = name
        self.sendingState = sendingState
        self.kind = kind
        self.city = city
        self.country = country
        self.timeZone = timeZone
        self.address = address
        self.location = location
    }
}

/// Correct facts about a mission: a misspelt name, a wrong zone, a new address.
public struct CorrectMission: Sendable, Equatable {
    public var missionId: String
    public var name: String?
    public var city: String?
    public var timeZone: String?
    public var address: String?
    public var location: String?
    public var reason: String

    public init(
        missionId: String, name: String? = nil, city: String? = nil, timeZone: String? = nil, address: String? = nil,
        location: String? = nil, reason: String
    ) {
        self.missionId = missionId
        self.name = name
        self.city = city
        self.timeZone = timeZone
        self.address = address
        self.location = location
        self.reason = reason
    }
}

/// Close a mission: it no longer exists or is no longer a place to gather.
public struct CloseMission: Sendable, Equatable {
    public var missionId: String
    public var reason: String

    public init(missionId: String, reason: String) {
        self.missionId = missionId
        self.reason = reason
    }
}

/// The commands of a mission's stream.
public enum MissionCommand: Sendable, Equatable {
    case register(RegisterMission)
    case correct(CorrectMission)
    case close(CloseMission)

    /// The mission the command is about, as typed.
    public var missionId: String {
        switch self {
        case .register(let c): return c.missionId
        case .correct(let c): return c.missionId
        case .close(let c): return c.missionId
        }
    }
}

extension MissionState {
    /// Decides what a command records, given the mission as it stands.
    public static func decide(_ command: MissionCommand, _ state: MissionState, _ context: CommandContext) throws
        -> [MissionEvent]
    {
        switch command {
        case .register(let c):
            let id = try Check.id(c.missionId, field: "mission id")
            guard !state.isRegistered else { throw DomainError.alreadyExists(kind: "mission", id: id) }
            return [
                .registered(
                    MissionRegistered(
                        missionId: id,
                        name: try Check.text(c.name, field: "name", max: 200),
                        sendingState: try Check.country(c.sendingState, field: "sending state"),
                        kind: c.kind,
                        city: try Check.text(c.city, field: "city", max: 100),
                        country: try Check.country(c.country, field: "country"),
                        timeZone: try Check.zone(c.timeZone, field: "time zone").identifier,
                        address: try Check.optionalText(c.address, field: "address", max: 300),
                        location: try c.location.map { try Check.coordinates($0, field: "location") },
                        registeredAt: context.now))
            ]
        case .correct(let c):
            let id = try Check.id(c.missionId, field: "mission id")
            guard let current = state.registration else { throw DomainError.notFound(kind: "mission", id: id) }
            var change = MissionCorrected(
                missionId: id, name: try Check.optionalText(c.name, field: "name", max: 200),
                city: try Check.optionalText(c.city, field: "city", max: 100),
                timeZone: try c.timeZone.map { try Check.zone($0, field: "time zone").identifier },
                address: try Check.optionalText(c.address, field: "address", max: 300),
                location: try c.location.map { try Check.coordinates($0, field: "location") },
                reason: try Check.text(c.reason, field: "reason", max: 500), correctedAt: context.now)
            if change.name == current.name { change.name = nil }
            if change.city == current.city { change.city = nil }
            if change.timeZone == current.timeZone { change.timeZone = nil }
            if change.address == current.address { change.address = nil }
            if change.location == current.location { change.location = nil }
            guard change.name != nil || change.city != nil || change.timeZone != nil || change.address != nil || change.location != nil
            else {
                throw DomainError.refused(
                    "nothing to correct for mission \(id): give a new name, city, time zone, address or location")
            }
            return [.corrected(change)]
        case .close(let c):
            let id = try Check.id(c.missionId, field: "mission id")
            guard state.isRegistered else { throw DomainError.notFound(kind: "mission", id: id) }
            if let closed = state.closed {
                throw DomainError.refused("mission \(id) was already closed on \(closed.closedAt.dayString)")
            }
            return [.closed(MissionClosed(missionId: id, reason: try Check.text(c.reason, field: "reason", max: 500), closedAt: context.now))]
        }
    }
}

extension Date {
    /// `2004-12-22`, in UTC: for messages.
    var dayString: String { WallTime(self, in: TimeZone(identifier: "UTC") ?? .current).dateString }
}
