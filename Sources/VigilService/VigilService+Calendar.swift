import Foundation
import PostgresClient
import VigilDomain
import VigilProjections

extension VigilService {
    /// A campaign's gatherings as an iCalendar (RFC 5545) file: each gathering one event at its place's
    /// wall time (`TZID`), cancelled ones marked so, and the campaign's weekly gatherings one event each
    /// with their weekly rule. Read as the reporter: public fields only (no organiser, note or reason).
    /// `now` is the calendar's DTSTAMP.
    public func campaignCalendar(_ id: String, now: Date = Date()) throws -> String {
        let id = try Check.id(id, field: "campaign id")
        return try guarded {
            let connection = try session(.reporter).connection
            guard let campaign = try Reports.campaignRow(id, connection: connection) else { throw DomainError.notFound(kind: "campaign", id: id) }
            let missions = try Reports.missionRows(connection: connection)
            var events = try Reports.day(id, connection: connection).compactMap { row -> CalendarEvent? in
                guard let start = try? WallTime.parse(row.localStart, field: "local start") else { return nil }
                let mission = missions[row.missionId]
                let kind = GatheringKind(rawValue: row.kind)?.label ?? row.kind
                var description = "Part of \(campaign.title)."
                if row.status == GatheringStatus.notHeld.rawValue { description += " It did not take place." }
                if row.status == GatheringStatus.cancelled.rawValue { description += " It was cancelled." }
                return CalendarEvent(
                    uid: "gathering-\(row.gatheringId)@vigil", summary: Self.capitalised(Self.summary(kind, mission: mission, missionId: row.missionId)),
                    location: Self.location(row.venue, mission: mission), description: description, timeZone: row.timeZone, start: start,
                    cancelled: row.status == GatheringStatus.cancelled.rawValue || row.status == GatheringStatus.notHeld.rawValue)
            }
            events += try Reports.weeklies(campaign: id, connection: connection).compactMap {
                Self.series($0, mission: missions[$0.missionId], campaign: campaign.title)
            }
            return ICalendar.render(name: campaign.title, events: events, stamp: now, openEndedThrough: WallTime(now, in: ICalendar.utc).year + 2)
        }
    }

    /// One weekly gathering as an iCalendar (RFC 5545) file: one event with a weekly rule at the place's
    /// wall time (`TZID`), `UNTIL` when it ends, and each skipped date as an `EXDATE`. Public fields only.
    public func weeklyCalendar(_ id: String, now: Date = Date()) throws -> String {
        let id = try Check.id(id, field: "weekly gathering id")
        return try guarded {
            let connection = try session(.reporter).connection
            guard let row = try Reports.weekly(id, connection: connection) else { throw DomainError.notFound(kind: "weekly gathering", id: id) }
            let campaign = try row.campaignId.isEmpty ? nil : Reports.campaignRow(row.campaignId, connection: connection)
            let mission = try Reports.missionRows(connection: connection)[row.missionId]
            let event = Self.series(row, mission: mission, campaign: campaign?.title)
            let name = event?.summary ?? id
            return ICalendar.render(
                name: name, events: event.map { [$0] } ?? [], stamp: now, openEndedThrough: WallTime(now, in: ICalendar.utc).year + 2)
        }
    }

    /// A weekly gathering as one calendar event with its rule; nil when it has no date at all.
    static func series(_ row: WeeklyRow, mission: MissionRow?, campaign: String?) -> CalendarEvent? {
        guard let state = row.state, let rule = state.rule, let zone = TimeZone(identifier: row.timeZone),
            let first = state.dates(from: rule.from, through: rule.from.adding(days: 6)).first
        else { return nil }
        let wall = { (date: LocalDate) in WallTime(year: date.year, month: date.month, day: date.day, hour: row.hour, minute: row.minute) }
        // The end of the last date at the place, in UTC: RFC 5545 wants UNTIL in UTC with a TZID start.
        let until = state.lastDate.map { last -> Date in
            let naive = Double((last.daysSinceEpoch + 1) * 86_400 - 1)
            return Date(timeIntervalSince1970: naive - Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: naive))))
        }
        let kind = GatheringKind(rawValue: row.kind)?.label ?? row.kind
        let day = Weekday(rawValue: row.weekday)?.name.capitalized ?? ""
        return CalendarEvent(
            uid: "weekly-\(row.recurrenceId)@vigil", summary: "Weekly " + summary(kind, mission: mission, missionId: row.missionId),
            location: location(row.venue, mission: mission),
            description: "Every \(day) at \(wall(first).clock) (\(row.timeZone))" + (campaign.map { ", part of \($0)." } ?? "."),
            timeZone: row.timeZone, start: wall(first),
            weekly: .init(weekday: row.weekday, until: until, exceptions: state.skipped.sorted().map(wall)))
    }

    /// `candlelight vigil at Embassy of the People's Republic of China, Washington`.
    static func summary(_ kind: String, mission: MissionRow?, missionId: String) -> String {
        guard let mission else { return "\(kind) at \(missionId)" }
        return "\(kind) at \(mission.name), \(mission.city)"
    }

    /// `Candlelight vigil at …`.
    static func capitalised(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    /// The venue, else the mission's name and address.
    static func location(_ venue: String?, mission: MissionRow?) -> String? {
        if let venue { return venue }
        guard let mission else { return nil }
        return [mission.name, mission.address, mission.city, mission.country].compactMap { $0 }.joined(separator: ", ")
    }
}
