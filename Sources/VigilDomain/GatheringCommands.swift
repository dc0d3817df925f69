import Foundation

/// Schedule a gathering at a mission, at a local date and time in the mission's zone.
public struct ScheduleGathering: Sendable, Equatable {
    public var gatheringId: String
    public var missionId: String
    public var kind: String
    /// Local wall time at the mission, `YYYY-MM-DD HH:MM`.
    public var localStart: String
    public var fold: Fold?
    public var venue: String?
    public var expectedAttendance: Int?
    public var organiser: String?

    public init(
        gatheringId: String, missionId: String, kind: String, localStart: String, fold: Fold? = nil,
        venue: String? = nil, expectedAttendance: Int? = nil, organiser: String? = nil
    ) {
        self.gatheringId = gatheringId
        self.missionId = missionId
        self.kind = kind
        self.localStart = localStart
        self.fold = fold
        self.venue = venue
        self.expectedAttendance = expectedAttendance
        self.organiser = organiser
    }
}

/// Move a gathering to another local time at the same mission.
public struct RescheduleGathering: Sendable, Equatable {
    public var gatheringId: String
    public var localStart: String
    public var fold: Fold?
    public var reason: String?

    public init(gatheringId: String, localStart: String, fold: Fold? = nil, reason: String? = nil) {
        self.gatheringId = gatheringId
        self.localStart = localStart
        self.fold = fold
        self.reason = reason
    }
}

/// Call a gathering off.
public struct CancelGathering: Sendable, Equatable {
    public var gatheringId: String
    public var reason: String

    public init(gatheringId: String, reason: String) {
        self.gatheringId = gatheringId
        self.reason = reason
    }
}

/// Record that a gathering took place, with the attendance reported.
public struct RecordGatheringHeld: Sendable, Equatable {
    public var gatheringId: String
    public var reportedAttendance: Int?
    public var notes: String?

    public init(gatheringId: String, reportedAttendance: Int? = nil, notes: String? = nil) {
        self.gatheringId = gatheringId
        self.reportedAttendance = reportedAttendance
        self.notes = notes
    }
}

/// Record that a gathering did not take place.
public struct RecordGatheringNotHeld: Sendable, Equatable {
    public var gatheringId: String
    public var reason: String

    public init(gatheringId: String, reason: String) {
        self.gatheringId = gatheringId
        self.reason = reason
    }
}

/// The commands of a gathering's stream.
public enum GatheringCommand: Sendable, Equatable {
    case schedule(ScheduleGathering)
    case reschedule(RescheduleGathering)
    case cancel(CancelGathering)
    case recordHeld(RecordGatheringHeld)
    case recordNotHeld(RecordGatheringNotHeld)

    /// The gathering the command is about, as typed.
    public var gatheringId: String {
        switch self {
        case .schedule(let c): return c.gatheringId
        case .reschedule(let c): return c.gatheringId
        case .cancel(let c): return c.gatheringId
        case .recordHeld(let c): return c.gatheringId
        case .recordNotHeld(let c): return c.gatheringId
        }
    }
}

/// What a gathering command is decided against: the gathering, and the mission it is (or would be) at.
public struct GatheringContext: Sendable, Equatable {
    public var gathering: GatheringState
    public var mission: MissionState

    public init(gathering: GatheringState, mission: MissionState) {
        self.gathering = gathering
        self.mission = mission
    }
}

extension GatheringState {
    /// Decides what a command records, given the gathering and its mission as they stand.
    public static func decide(_ command: GatheringCommand, _ state: GatheringContext, _ context: CommandContext) throws
        -> [GatheringEvent]
    {
        let id = try Check.id(command.gatheringId, field: "gathering id")
        let gathering = state.gathering
        switch command {
        case .schedule(let c):
            guard !gathering.exists else { throw DomainError.alreadyExists(kind: "gathering", id: id) }
            let missionId = try Check.id(c.missionId, field: "--mission")
            let mission = try openMission(state.mission, id: missionId, doing: "schedule a gathering")
            guard let kind = GatheringKind(rawValue: c.kind.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw DomainError.invalid(
                    field: "--kind",
                    reason: "\"\(Check.preview(c.kind))\" is not a kind of gathering; use one of "
                        + GatheringKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let start = try resolve(c.localStart, fold: c.fold, zone: mission.timeZone)
            return [
                .scheduled(
                    GatheringScheduled(
                        gatheringId: id, missionId: missionId, kind: kind, startsAt: start.instant,
                        timeZone: start.zone, localStart: start.wall,
                        venue: try Check.optionalText(c.venue, field: "--venue", max: 300),
                        expectedAttendance: try c.expectedAttendance.map { try Check.count($0, field: "--expected") },
                        organiser: try Check.optionalText(c.organiser, field: "--organiser", max: 200),
                        scheduledAt: context.now))
            ]
        case .reschedule(let c):
            let scheduled = try existing(gathering, id: id)
            try stillOpen(gathering, id: id, doing: "reschedule it")
            let mission = try openMission(state.mission, id: scheduled.missionId, doing: "reschedule a gathering")
            let start = try resolve(c.localStart, fold: c.fold, zone: mission.timeZone)
            guard start.instant != gathering.startsAt else {
                throw DomainError.refused("gathering \(id) already starts at \(start.wall) \(start.zone); nothing to change")
            }
            return [
                .rescheduled(
                    GatheringRescheduled(
                        gatheringId: id, startsAt: start.instant, timeZone: start.zone, localStart: start.wall,
                        reason: try Check.optionalText(c.reason, field: "--reason", max: 500), rescheduledAt: context.now))
            ]
        case .cancel(let c):
            _ = try existing(gathering, id: id)
            try stillOpen(gathering, id: id, doing: "cancel it")
            return [.cancelled(GatheringCancelled(gatheringId: id, reason: try Check.text(c.reason, field: "--reason", max: 500), cancelledAt: context.now))]
        case .recordHeld(let c):
            _ = try existing(gathering, id: id)
            try stillOpen(gathering, id: id, doing: "record it as held")
            return [
                .held(
                    GatheringHeld(
                        gatheringId: id,
                        reportedAttendance: try c.reportedAttendance.map { try Check.count($0, field: "--attendance") },
                        notes: try Check.optionalText(c.notes, field: "--notes", max: 2000, multiline: true),
                        recordedAt: context.now))
            ]
        case .recordNotHeld(let c):
            _ = try existing(gathering, id: id)
            try stillOpen(gathering, id: id, doing: "record it as not held")
            return [.notHeld(GatheringNotHeld(gatheringId: id, reason: try Check.text(c.reason, field: "--reason", max: 500), recordedAt: context.now))]
        }
    }

    static func existing(_ gathering: GatheringState, id: String) throws -> GatheringScheduled {
        guard let scheduled = gathering.scheduled else { throw DomainError.notFound(kind: "gathering", id: id) }
        return scheduled
    }

    /// A gathering that was cancelled, held or not held is settled: nothing more can happen to it.
    static func stillOpen(_ gathering: GatheringState, id: String, doing: String) throws {
        let what = gathering.scheduled?.kind.label ?? "gathering"
        switch gathering.status {
        case .scheduled: return
        case .cancelled:
            let day = gathering.cancelled?.cancelledAt.dayString ?? "an earlier day"
            throw DomainError.refused("\(what) \(id) was cancelled on \(day); a cancelled \(what) cannot \(doing == "record it as held" ? "be recorded as held" : "change any more") (you tried to \(doing))")
        case .held:
            throw DomainError.refused("\(what) \(id) was already recorded as held; it cannot change any more (you tried to \(doing))")
        case .notHeld:
            throw DomainError.refused("\(what) \(id) was already recorded as not held; it cannot change any more (you tried to \(doing))")
        }
    }

    static func openMission(_ mission: MissionState, id: String, doing: String) throws -> MissionRegistered {
        guard let registration = mission.registration else { throw DomainError.notFound(kind: "mission", id: id) }
        if let closed = mission.closed {
            throw DomainError.refused("mission \(id) was closed on \(closed.closedAt.dayString); cannot \(doing) there")
        }
        return registration
    }

    static func resolve(_ raw: String, fold: Fold?, zone name: String) throws -> LocalTime {
        let wall = try WallTime.parse(raw, field: "--at")
        guard let zone = TimeZone(identifier: name) else {
            throw DomainError.invalid(field: "mission time zone", reason: "\(name) is not known to this machine's time zone data")
        }
        return try LocalTime.resolve(wall, in: zone, fold: fold, field: "--at")
    }
}
