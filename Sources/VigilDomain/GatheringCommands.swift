import Foundation

/// Schedule a gathering at a mission, at a local date and time in the mission's zone.
public struct ScheduleGathering: Sendable, Equatable {
    public var gatheringId: String
    public var missionId: String
    public var campaignId: String?
    public var kind: GatheringKind
    /// Local wall time at the mission, `YYYY-MM-DD HH:MM`.
    public var localStart: String
    public var fold: Fold?
    public var venue: String?
    public var expectedAttendance: Int?
    public var organiser: String?

    public init(
        gatheringId: String, missionId: String, campaignId: String? = nil, kind: GatheringKind, localStart: String,
        fold: Fold? = nil, venue: String? = nil, expectedAttendance: Int? = nil, organiser: String? = nil
    ) {
        self.gatheringId = gatheringId
        self.missionId = missionId
        self.campaignId = campaignId
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

/// Move a gathering to another spot.
public struct ChangeVenue: Sendable, Equatable {
    public var gatheringId: String
    public var venue: String

    public init(gatheringId: String, venue: String) {
        self.gatheringId = gatheringId
        self.venue = venue
    }
}

/// Record that a list of names was read aloud: how many names, how many readers, which list. Never the names.
public struct RecordNamesRead: Sendable, Equatable {
    public var gatheringId: String
    public var names: Int
    public var readers: Int
    public var listRef: String

    public init(gatheringId: String, names: Int, readers: Int, listRef: String) {
        self.gatheringId = gatheringId
        self.names = names
        self.readers = readers
        self.listRef = listRef
    }
}

/// Record that an outlet covered a gathering.
public struct RecordCoverage: Sendable, Equatable {
    public var gatheringId: String
    public var outlet: String
    public var language: String?
    public var link: String?

    public init(gatheringId: String, outlet: String, language: String? = nil, link: String? = nil) {
        self.gatheringId = gatheringId
        self.outlet = outlet
        self.language = language
        self.link = link
    }
}

/// Record that an outlet that was invited or expected did not come.
public struct RecordNoShow: Sendable, Equatable {
    public var gatheringId: String
    public var outlet: String
    public var notes: String?

    public init(gatheringId: String, outlet: String, notes: String? = nil) {
        self.gatheringId = gatheringId
        self.outlet = outlet
        self.notes = notes
    }
}

/// The commands of a gathering's stream.
public enum GatheringCommand: Sendable, Equatable {
    case schedule(ScheduleGathering)
    case reschedule(RescheduleGathering)
    case cancel(CancelGathering)
    case recordHeld(RecordGatheringHeld)
    case recordNotHeld(RecordGatheringNotHeld)
    case changeVenue(ChangeVenue)
    case recordNamesRead(RecordNamesRead)
    case recordCoverage(RecordCoverage)
    case recordNoShow(RecordNoShow)

    /// The gathering the command is about, as typed.
    public var gatheringId: String {
        switch self {
        case .changeVenue(let c): return c.gatheringId
        case .recordNamesRead(let c): return c.gatheringId
        case .recordCoverage(let c): return c.gatheringId
        case .recordNoShow(let c): return c.gatheringId
        case .schedule(let c): return c.gatheringId
        case .reschedule(let c): return c.gatheringId
        case .cancel(let c): return c.gatheringId
        case .recordHeld(let c): return c.gatheringId
        case .recordNotHeld(let c): return c.gatheringId
        }
    }
}

/// What a gathering command is decided against: the gathering, the mission it is (or would be) at,
/// and the campaign it is part of.
public struct GatheringContext: Sendable, Equatable {
    public var gathering: GatheringState
    public var mission: MissionState
    public var campaign: CampaignState

    public init(gathering: GatheringState, mission: MissionState, campaign: CampaignState = CampaignState()) {
        self.gathering = gathering
        self.mission = mission
        self.campaign = campaign
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
            let missionId = try Check.id(c.missionId, field: "mission")
            let mission = try openMission(state.mission, id: missionId, doing: "schedule a gathering")
            let kind = c.kind
            let campaignId = try c.campaignId.map { try Check.id($0, field: "campaign") }
            if let campaignId { try CampaignState.requireActive(state.campaign, id: campaignId, doing: "schedule a gathering for it") }
            let start = try resolve(c.localStart, fold: c.fold, zone: mission.timeZone)
            return [
                .scheduled(
                    GatheringScheduled(
                        gatheringId: id, missionId: missionId, campaignId: campaignId, kind: kind, startsAt: start.instant,
                        timeZone: start.zone, localStart: start.wall,
                        venue: try Check.optionalText(c.venue, field: "venue", max: 300),
                        expectedAttendance: try c.expectedAttendance.map { try Check.count($0, field: "expected attendance") },
                        organiser: try Check.optionalText(c.organiser, field: "organiser", max: 200),
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
                        reason: try Check.optionalText(c.reason, field: "reason", max: 500), rescheduledAt: context.now))
            ]
        case .cancel(let c):
            _ = try existing(gathering, id: id)
            try stillOpen(gathering, id: id, doing: "cancel it")
            return [.cancelled(GatheringCancelled(gatheringId: id, reason: try Check.text(c.reason, field: "reason", max: 500), cancelledAt: context.now))]
        case .recordHeld(let c):
            _ = try existing(gathering, id: id)
            try stillOpen(gathering, id: id, doing: "record it as held")
            return [
                .held(
                    GatheringHeld(
                        gatheringId: id,
                        reportedAttendance: try c.reportedAttendance.map { try Check.count($0, field: "attendance") },
                        notes: try Check.optionalText(c.notes, field: "notes", max: 2000, multiline: true),
                        recordedAt: context.now))
            ]
        case .changeVenue(let c):
            _ = try existing(gathering, id: id)
            try stillOpen(gathering, id: id, doing: "move it")
            let venue = try Check.text(c.venue, field: "venue", max: 300)
            guard venue != gathering.venue else {
                throw DomainError.refused("gathering \(id) is already at \(venue); nothing to change")
            }
            return [.venueChanged(GatheringVenueChanged(gatheringId: id, venue: venue, changedAt: context.now))]
        case .recordNamesRead(let c):
            _ = try existing(gathering, id: id)
            try notCalledOff(gathering, id: id, doing: "record names read there")
            let names = try Check.count(c.names, field: "names")
            let readers = try Check.count(c.readers, field: "readers")
            guard names >= 1 else { throw DomainError.invalid(field: "names", reason: "a reading has at least one name") }
            guard readers >= 1 else { throw DomainError.invalid(field: "readers", reason: "a reading has at least one reader") }
            let listRef = try Check.reference(c.listRef, field: "list reference")
            return [.namesRead(NamesRead(gatheringId: id, names: names, readers: readers, listRef: listRef, recordedAt: context.now))]
        case .recordCoverage(let c):
            _ = try existing(gathering, id: id)
            return [
                .coverage(
                    CoverageRecorded(
                        gatheringId: id, outlet: try Check.text(c.outlet, field: "outlet", max: 200),
                        language: try c.language.map { try Check.language($0, field: "language") },
                        link: try c.link.map { try Check.link($0, field: "link") }, recordedAt: context.now))
            ]
        case .recordNoShow(let c):
            _ = try existing(gathering, id: id)
            try notCalledOff(gathering, id: id, doing: "record that an outlet did not come")
            return [
                .noShow(
                    MediaNoShow(
                        gatheringId: id, outlet: try Check.text(c.outlet, field: "outlet", max: 200),
                        notes: try Check.optionalText(c.notes, field: "notes", max: 2000, multiline: true),
                        recordedAt: context.now))
            ]
        case .recordNotHeld(let c):
            _ = try existing(gathering, id: id)
            try stillOpen(gathering, id: id, doing: "record it as not held")
            return [.notHeld(GatheringNotHeld(gatheringId: id, reason: try Check.text(c.reason, field: "reason", max: 500), recordedAt: context.now))]
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

    /// A gathering that was cancelled or did not take place has no readings or audience.
    static func notCalledOff(_ gathering: GatheringState, id: String, doing: String) throws {
        let what = gathering.scheduled?.kind.label ?? "gathering"
        switch gathering.status {
        case .scheduled, .held: return
        case .cancelled: throw DomainError.refused("\(what) \(id) was cancelled; cannot \(doing)")
        case .notHeld: throw DomainError.refused("\(what) \(id) did not take place; cannot \(doing)")
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
        let wall = try WallTime.parse(raw, field: "local time")
        guard let zone = TimeZone(identifier: name) else {
            throw DomainError.invalid(field: "mission time zone", reason: "\(name) is not known to this machine's time zone data")
        }
        return try LocalTime.resolve(wall, in: zone, fold: fold, field: "local time")
    }
}
