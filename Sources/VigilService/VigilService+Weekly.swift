import Foundation
import PostgresClient
import VigilDomain
import VigilProjections

/// Where one date of a weekly gathering stands.
public enum OccurrenceStatus: String, Codable, Sendable, CaseIterable {
    /// Recorded as held.
    case held
    /// Recorded as skipped.
    case skipped
    /// Still to come.
    case upcoming
    /// Past, and recorded neither as held nor as skipped.
    case unrecorded
}

/// One date of a weekly gathering: its wall time and zone, the UTC instant, and where it stands.
public struct WeeklyOccurrence: Codable, Equatable, Sendable {
    /// The local date, `2023-11-14`.
    public var date: String
    /// The wall time there, `2023-11-14 12:00`.
    public var localStart: String
    public var timeZone: String
    public var startsAtUTC: Date
    public var status: OccurrenceStatus
}

/// A weekly gathering, where it meets, and some of its dates.
public struct WeeklySeries: Codable, Equatable, Sendable {
    public var recurrenceId: String
    public var missionId: String
    public var missionName: String
    public var city: String
    public var country: String
    public var campaignId: String?
    public var kind: String
    /// `tuesday`.
    public var weekday: String
    /// The wall time it meets at, `12:00`, in `timeZone`.
    public var localTime: String
    public var timeZone: String
    /// Its first date, and its last when it has one (the rule's own end, or the date it was ended after).
    public var from: String
    public var lastDate: String?
    public var venue: String?
    public var occurrences: [WeeklyOccurrence]
}

/// A gathering still to come: a one-off one or one date of a weekly gathering.
public struct UpcomingGathering: Codable, Equatable, Sendable {
    /// The gathering's id, or the weekly gathering's.
    public var id: String
    /// True for a date of a weekly gathering.
    public var weekly: Bool
    public var startsAtUTC: Date
    /// The wall time there, `2026-12-08 12:00`, in `timeZone`.
    public var localStart: String
    public var timeZone: String
    public var missionId: String
    public var city: String
    public var country: String
    public var kind: String
    public var campaignId: String?
    public var venue: String?
}

extension VigilService {
    /// A weekly gathering's dates from `from` (a local date, YYYY-MM-DD; nil: four weeks before today at
    /// its place), at most `count` of them, each held, skipped, still to come or past and unrecorded
    /// (judged against `now`). Reads the read models as the reporter: public fields only.
    public func weeklyDates(_ id: String, from: String? = nil, count: Int = 10, now: Date = Date()) throws -> Report<WeeklySeries> {
        let id = try Check.id(id, field: "weekly gathering id")
        let start = try from.map { try LocalDate.parse($0, field: "from") }
        guard (1...1_000).contains(count) else { throw DomainError.invalid(field: "count", reason: "is \(count); give 1 to 1000") }
        return try report(.reporter) { connection in
            guard let row = try Reports.weekly(id, connection: connection), let state = row.state, let zone = TimeZone(identifier: row.timeZone)
            else { throw DomainError.notFound(kind: "weekly gathering", id: id) }
            let today = WallTime(now, in: zone)
            let first = start ?? LocalDate(year: today.year, month: today.month, day: today.day).adding(days: -28)
            // Enough weeks for `count` dates from any weekday; the rule's end may cut it short.
            let dates = state.dates(from: first, through: first.adding(days: 7 * count + 6)).prefix(count)
            let held = Set(row.held)
            let skipped = Set(row.skipped)
            let occurrences = dates.compactMap { date -> WeeklyOccurrence? in
                guard let time = state.time(on: date) else { return nil }
                let key = date.description
                let status: OccurrenceStatus =
                    held.contains(key) ? .held : skipped.contains(key) ? .skipped : time.instant >= now ? .upcoming : .unrecorded
                return WeeklyOccurrence(
                    date: key, localStart: "\(time.wall.dateString) \(time.wall.clock)", timeZone: row.timeZone, startsAtUTC: time.instant,
                    status: status)
            }
            let mission = try Reports.missionRows(connection: connection)[row.missionId]
            return WeeklySeries(
                recurrenceId: row.recurrenceId, missionId: row.missionId, missionName: mission?.name ?? row.missionId,
                city: mission?.city ?? "", country: mission?.country ?? "", campaignId: row.campaignId.isEmpty ? nil : row.campaignId,
                kind: row.kind, weekday: Weekday(rawValue: row.weekday)?.name ?? String(row.weekday),
                localTime: WallTime(year: 2000, month: 1, day: 1, hour: row.hour, minute: row.minute).clock, timeZone: row.timeZone,
                from: row.from, lastDate: state.lastDate?.description, venue: row.venue, occurrences: occurrences)
        } reporterView: { series, _ in
            series  // dates and times only: no count of people to hide
        }
    }

    /// What is next across missions: gatherings still scheduled and dates of weekly gatherings (not
    /// skipped) that start from `now` to `days` days later, in the order they start.
    public func upcoming(days: Int = 14, now: Date = Date()) throws -> Report<[UpcomingGathering]> {
        guard (1...366).contains(days) else { throw DomainError.invalid(field: "days", reason: "is \(days); give 1 to 366") }
        let end = now.addingTimeInterval(Double(days) * 86_400)
        return try report(.reporter) { connection in
            let missions = try Reports.missionRows(connection: connection)
            var out = try Reports.scheduledGatherings(from: now, to: end, connection: connection).map { g in
                UpcomingGathering(
                    id: g.gatheringId, weekly: false, startsAtUTC: g.startsAt, localStart: g.localStart.replacingOccurrences(of: "T", with: " "),
                    timeZone: g.timeZone, missionId: g.missionId, city: missions[g.missionId]?.city ?? "",
                    country: missions[g.missionId]?.country ?? "", kind: g.kind, campaignId: g.campaignId.isEmpty ? nil : g.campaignId,
                    venue: g.venue)
            }
            for row in try Reports.weeklies(connection: connection) {
                guard let state = row.state, let zone = TimeZone(identifier: row.timeZone) else { continue }
                // The local dates the window can touch, a day either side for the zone's offset.
                let first = WallTime(now.addingTimeInterval(-86_400), in: zone)
                let last = WallTime(end.addingTimeInterval(86_400), in: zone)
                let times = state.occurrences(
                    from: LocalDate(year: first.year, month: first.month, day: first.day),
                    through: LocalDate(year: last.year, month: last.month, day: last.day))
                for time in times where time.instant >= now && time.instant < end {
                    out.append(
                        UpcomingGathering(
                            id: row.recurrenceId, weekly: true, startsAtUTC: time.instant, localStart: "\(time.wall.dateString) \(time.wall.clock)",
                            timeZone: row.timeZone, missionId: row.missionId, city: missions[row.missionId]?.city ?? "",
                            country: missions[row.missionId]?.country ?? "", kind: row.kind,
                            campaignId: row.campaignId.isEmpty ? nil : row.campaignId, venue: row.venue))
                }
            }
            return out.sorted { ($0.startsAtUTC, $0.id) < ($1.startsAtUTC, $1.id) }
        } reporterView: { rows, _ in
            rows
        }
    }
}
