import Foundation

/// A weekly gathering ("every Tuesday outside the mission") was set up. Its rule lives in the place's
/// zone: each occurrence is at the same wall time, whatever daylight saving does to the UTC instant.
public struct RecurrenceScheduled: EventPayload {
    public static let eventType = "RecurrenceScheduled"
    public var recurrenceId: String
    public var missionId: String
    public var campaignId: String?
    public var kind: GatheringKind
    /// ISO weekday: 1 is Monday, 7 is Sunday.
    public var weekday: Int
    public var hour: Int
    public var minute: Int
    public var timeZone: String
    public var from: LocalDate
    public var until: LocalDate?
    public var venue: String?
    public var organiser: String?
    public var scheduledAt: Date
}

/// One date of a weekly gathering will not take place.
public struct OccurrenceSkipped: EventPayload {
    public static let eventType = "OccurrenceSkipped"
    public var recurrenceId: String
    public var date: LocalDate
    public var reason: String?
    public var recordedAt: Date
}

/// One date of a weekly gathering took place.
public struct OccurrenceHeld: EventPayload {
    public static let eventType = "OccurrenceHeld"
    public var recurrenceId: String
    public var date: LocalDate
    public var startsAt: Date
    public var reportedAttendance: Int?
    public var notes: String?
    public var recordedAt: Date
}

/// A weekly gathering stops after a date.
public struct RecurrenceEnded: EventPayload {
    public static let eventType = "RecurrenceEnded"
    public var recurrenceId: String
    public var lastDate: LocalDate
    public var reason: String?
    public var endedAt: Date
}

/// The events of a recurrence's stream.
public enum RecurrenceEvent: DomainEvent {
    case scheduled(RecurrenceScheduled)
    case skipped(OccurrenceSkipped)
    case held(OccurrenceHeld)
    case ended(RecurrenceEnded)

    /// The payload of this event.
    public var payload: any EventPayload {
        switch self {
        case .scheduled(let e): return e
        case .skipped(let e): return e
        case .held(let e): return e
        case .ended(let e): return e
        }
    }

    /// Each stored type name of these events, and the case its payload is read as.
    public static let storedTypes = StoredType.table([
        StoredType(RecurrenceScheduled.self, RecurrenceEvent.scheduled),
        StoredType(OccurrenceSkipped.self, RecurrenceEvent.skipped),
        StoredType(OccurrenceHeld.self, RecurrenceEvent.held),
        StoredType(RecurrenceEnded.self, RecurrenceEvent.ended),
    ])
}

/// A weekly gathering as its events leave it.
public struct RecurrenceState: Sendable, Equatable, Encodable {
    public var rule: RecurrenceScheduled?
    public var skipped: Set<LocalDate> = []
    public var held: [LocalDate: OccurrenceHeld] = [:]
    public var ended: RecurrenceEnded?

    public init() {}

    /// A weekly gathering known by its public fields only, as a read model keeps it: enough to work out
    /// its dates, not who organised it or why a date was skipped or the series ended.
    public init(
        recurrenceId: String, missionId: String, campaignId: String?, kind: GatheringKind, weekday: Int, hour: Int, minute: Int,
        timeZone: String, from: LocalDate, until: LocalDate?, venue: String?, skipped: Set<LocalDate>, endedOn: LocalDate?
    ) {
        let epoch = Date(timeIntervalSince1970: 0)
        rule = RecurrenceScheduled(
            recurrenceId: recurrenceId, missionId: missionId, campaignId: campaignId, kind: kind, weekday: weekday, hour: hour,
            minute: minute, timeZone: timeZone, from: from, until: until, venue: venue, organiser: nil, scheduledAt: epoch)
        self.skipped = skipped
        ended = endedOn.map { RecurrenceEnded(recurrenceId: recurrenceId, lastDate: $0, reason: nil, endedAt: epoch) }
    }

    /// The last date the rule covers, after an end.
    public var lastDate: LocalDate? { [rule?.until, ended?.lastDate].compactMap { $0 }.min() }

    /// Folds one event into the state.
    public static func evolve(_ state: RecurrenceState, _ event: RecurrenceEvent) -> RecurrenceState {
        var next = state
        switch event {
        case .scheduled(let e): next.rule = e
        case .skipped(let e): next.skipped.insert(e.date)
        case .held(let e): next.held[e.date] = e
        case .ended(let e): next.ended = e
        }
        return next
    }

    private enum CodingKeys: String, CodingKey { case rule, skipped, held, ended }

    /// Dates skipped in order, and dates held as a list of records in order: a dictionary keyed by a
    /// date would encode as `[key, value, key, value]`, which no reader of a replay should have to decode.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(rule, forKey: .rule)
        try container.encode(skipped.sorted(), forKey: .skipped)
        try container.encode(held.sorted { $0.key < $1.key }.map(\.value), forKey: .held)
        try container.encodeIfPresent(ended, forKey: .ended)
    }

    /// Whether the rule falls on `date` (the right weekday, within its dates).
    public func covers(_ date: LocalDate) -> Bool {
        guard let rule else { return false }
        return date.weekday == rule.weekday && date >= rule.from && (lastDate.map { date <= $0 } ?? true)
    }

    /// The occurrences from `start` to `end` (inclusive) that are not skipped, each resolved in the
    /// place's zone: at the rule's wall time, or, on the night clocks skip that hour, just after the jump;
    /// where the wall time happens twice, the earlier one.
    public func occurrences(from start: LocalDate, through end: LocalDate) -> [LocalTime] {
        guard let rule, let zone = TimeZone(identifier: rule.timeZone) else { return [] }
        var date = max(start, rule.from)
        while date.weekday != rule.weekday { date = date.adding(days: 1) }
        var out: [LocalTime] = []
        while date <= end, lastDate.map({ date <= $0 }) ?? true {
            if !skipped.contains(date) { out.append(RecurrenceState.resolve(date, rule: rule, zone: zone)) }
            date = date.adding(days: 7)
        }
        return out
    }

    /// Every date the rule falls on from `start` through `end` (inclusive), skipped ones included.
    public func dates(from start: LocalDate, through end: LocalDate) -> [LocalDate] {
        guard let rule else { return [] }
        var date = max(start, rule.from)
        while date.weekday != rule.weekday { date = date.adding(days: 1) }
        var out: [LocalDate] = []
        while date <= end, lastDate.map({ date <= $0 }) ?? true {
            out.append(date)
            date = date.adding(days: 7)
        }
        return out
    }

    /// When the gathering meets on `date`, resolved in the place's zone as `occurrences` resolves it;
    /// nil without a rule or a known zone.
    public func time(on date: LocalDate) -> LocalTime? {
        guard let rule, let zone = TimeZone(identifier: rule.timeZone) else { return nil }
        return RecurrenceState.resolve(date, rule: rule, zone: zone)
    }

    static func resolve(_ date: LocalDate, rule: RecurrenceScheduled, zone: TimeZone) -> LocalTime {
        let wall = WallTime(year: date.year, month: date.month, day: date.day, hour: rule.hour, minute: rule.minute)
        if let time = try? LocalTime.resolve(wall, in: zone, fold: .earlier, field: "") { return time }
        // In the gap: the same wall time read with the offset before the jump lands just after it.
        let before = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(wall.naiveEpoch - 86_400)))
        let instant = Date(timeIntervalSince1970: Double(wall.naiveEpoch - before))
        return LocalTime(instant: instant, zone: zone.identifier, wall: WallTime(instant, in: zone))
    }
}

/// A day of the week, numbered as ISO 8601 does (Monday is 1).
public enum Weekday: Int, Sendable, CaseIterable, Codable {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    /// Its name in lower case, such as `tuesday`.
    public var name: String { String(describing: self) }

    /// The day a person typed: its name or the first three letters or more of it, in any case.
    public init?(name raw: String) {
        let typed = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard let day = Weekday.allCases.first(where: { $0.name == typed || ($0.name.hasPrefix(typed) && typed.count >= 3) }) else {
            return nil
        }
        self = day
    }
}

/// Set up a weekly gathering.
public struct ScheduleRecurrence: Sendable, Equatable {
    public var recurrenceId: String
    public var missionId: String
    public var campaignId: String?
    public var kind: GatheringKind
    public var weekday: Weekday
    /// Local time, `HH:MM`.
    public var time: String
    public var from: String
    public var until: String?
    public var venue: String?
    public var organiser: String?

    public init(
        recurrenceId: String, missionId: String, campaignId: String? = nil, kind: GatheringKind, weekday: Weekday, time: String,
        from: String, until: String? = nil, venue: String? = nil, organiser: String? = nil
    ) {
        self.recurrenceId = recurrenceId
        self.missionId = missionId
        self.campaignId = campaignId
        self.kind = kind
        self.weekday = weekday
        self.time = time
        self.from = from
        self.until = until
        self.venue = venue
        self.organiser = organiser
    }
}

/// The commands of a recurrence's stream.
public enum RecurrenceCommand: Sendable, Equatable {
    case schedule(ScheduleRecurrence)
    case skip(recurrenceId: String, date: String, reason: String?)
    case recordHeld(recurrenceId: String, date: String, attendance: Int?, notes: String?)
    case end(recurrenceId: String, lastDate: String, reason: String?)

    /// The recurrence the command is about, as typed.
    public var recurrenceId: String {
        switch self {
        case .schedule(let c): return c.recurrenceId
        case .skip(let id, _, _), .recordHeld(let id, _, _, _), .end(let id, _, _): return id
        }
    }
}

/// What a recurrence command is decided against.
public struct RecurrenceContext: Sendable, Equatable {
    public var recurrence: RecurrenceState
    public var mission: MissionState
    public var campaign: CampaignState

    public init(recurrence: RecurrenceState, mission: MissionState = MissionState(), campaign: CampaignState = CampaignState()) {
        self.recurrence = recurrence
        self.mission = mission
        self.campaign = campaign
    }
}

extension RecurrenceState {

    /// Decides what a command records.
    public static func decide(_ command: RecurrenceCommand, _ context: RecurrenceContext, _ ctx: CommandContext) throws -> [RecurrenceEvent] {
        let id = try Check.id(command.recurrenceId, field: "recurrence id")
        let state = context.recurrence
        if case .schedule(let c) = command {
            guard state.rule == nil else { throw DomainError.alreadyExists(kind: "weekly gathering", id: id) }
            let missionId = try Check.id(c.missionId, field: "mission")
            let mission = try GatheringState.openMission(context.mission, id: missionId, doing: "set up a weekly gathering there")
            let campaignId = try c.campaignId.map { try Check.id($0, field: "campaign") }
            if let campaignId { try CampaignState.requireActive(context.campaign, id: campaignId, doing: "set up a weekly gathering for it") }
            let kind = c.kind
            let clock = try WallTime.parse("2000-01-01 " + c.time, field: "time")
            let from = try LocalDate.parse(c.from, field: "first date")
            let until = try c.until.map { try LocalDate.parse($0, field: "until") }
            if let until, until < from { throw DomainError.invalid(field: "until", reason: "\(until) is before the first date \(from)") }
            return [
                .scheduled(
                    RecurrenceScheduled(
                        recurrenceId: id, missionId: missionId, campaignId: campaignId, kind: kind, weekday: c.weekday.rawValue,
                        hour: clock.hour, minute: clock.minute, timeZone: mission.timeZone, from: from, until: until,
                        venue: try Check.optionalText(c.venue, field: "venue", max: 300),
                        organiser: try Check.optionalText(c.organiser, field: "organiser", max: 200), scheduledAt: ctx.now))
            ]
        }
        guard let rule = state.rule else { throw DomainError.notFound(kind: "weekly gathering", id: id) }
        switch command {
        case .schedule:
            return []  // handled above
        case .skip(_, let raw, let reason):
            let date = try occurrenceDate(raw, state: state, rule: rule, id: id)
            guard !state.skipped.contains(date) else { throw DomainError.refused("\(date) is already skipped for \(id)") }
            guard state.held[date] == nil else { throw DomainError.refused("\(id) was held on \(date); it cannot be skipped") }
            return [.skipped(OccurrenceSkipped(recurrenceId: id, date: date, reason: try Check.optionalText(reason, field: "reason", max: 500), recordedAt: ctx.now))]
        case .recordHeld(_, let raw, let attendance, let notes):
            let date = try occurrenceDate(raw, state: state, rule: rule, id: id)
            guard !state.skipped.contains(date) else { throw DomainError.refused("\(date) was skipped for \(id); it cannot be recorded as held") }
            guard state.held[date] == nil else { throw DomainError.refused("\(id) was already recorded as held on \(date)") }
            let zone = TimeZone(identifier: rule.timeZone) ?? TimeZone(secondsFromGMT: 0)!
            return [
                .held(
                    OccurrenceHeld(
                        recurrenceId: id, date: date, startsAt: RecurrenceState.resolve(date, rule: rule, zone: zone).instant,
                        reportedAttendance: try attendance.map { try Check.count($0, field: "attendance") },
                        notes: try Check.optionalText(notes, field: "notes", max: 2000, multiline: true), recordedAt: ctx.now))
            ]
        case .end(_, let raw, let reason):
            let last = try LocalDate.parse(raw, field: "last date")
            guard state.ended == nil else { throw DomainError.refused("\(id) has already ended") }
            guard last >= rule.from else { throw DomainError.invalid(field: "last date", reason: "\(last) is before the first date \(rule.from)") }
            if let held = state.held.keys.max(), held > last {
                throw DomainError.refused("\(id) was held on \(held), after \(last)")
            }
            return [.ended(RecurrenceEnded(recurrenceId: id, lastDate: last, reason: try Check.optionalText(reason, field: "reason", max: 500), endedAt: ctx.now))]
        }
    }

    static func occurrenceDate(_ raw: String, state: RecurrenceState, rule: RecurrenceScheduled, id: String) throws -> LocalDate {
        let date = try LocalDate.parse(raw, field: "date")
        guard state.covers(date) else {
            throw DomainError.invalid(
                field: "date",
                reason: "\(id) meets on \(Weekday(rawValue: rule.weekday)?.name.capitalized ?? "the same day")s from \(rule.from)\(state.lastDate.map { " to \($0)" } ?? ""); \(date) is not one of its dates")
        }
        return date
    }
}
