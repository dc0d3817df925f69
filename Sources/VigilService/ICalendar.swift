import Foundation
import VigilDomain
import VigilEncoding

/// One event of a calendar: a gathering, or a weekly series (one event with a rule). Public fields only:
/// whoever builds one puts in nothing the reporter role may not read.
public struct CalendarEvent: Sendable, Equatable {
    /// How a weekly series repeats.
    public struct Weekly: Sendable, Equatable {
        /// ISO weekday: 1 is Monday.
        public var weekday: Int
        /// The last instant an occurrence may start (UTC), when the series ends.
        public var until: Date?
        /// Dates that do not take place, at the series' wall time.
        public var exceptions: [WallTime]

        public init(weekday: Int, until: Date?, exceptions: [WallTime]) {
            self.weekday = weekday
            self.until = until
            self.exceptions = exceptions
        }
    }

    /// Stable across exports, so a calendar that subscribed updates the event rather than adding one.
    public var uid: String
    public var summary: String
    public var location: String?
    public var description: String?
    /// The IANA zone of the place: the event's times are its wall times there.
    public var timeZone: String
    public var start: WallTime
    /// The log records no end; an organiser's gathering is given this long.
    public var minutes: Int
    public var cancelled: Bool
    public var weekly: Weekly?

    public init(
        uid: String, summary: String, location: String?, description: String?, timeZone: String, start: WallTime, minutes: Int = 60,
        cancelled: Bool = false, weekly: Weekly? = nil
    ) {
        self.uid = uid
        self.summary = summary
        self.location = location
        self.description = description
        self.timeZone = timeZone
        self.start = start
        self.minutes = minutes
        self.cancelled = cancelled
        self.weekly = weekly
    }
}

/// iCalendar (RFC 5545) text: pure, no database, so the CLI and the web server write the same bytes.
///
/// Times are local with `TZID=` the place's IANA zone, so a phone shows the place's wall time (or the
/// reader's, converted correctly), and every zone named gets a VTIMEZONE (RFC 5545 3.2.19 requires one):
/// its observances are worked out from the system's zone data (Foundation's `TimeZone`) for the years the
/// events fall in, each change of offset as its own observance, and the last ones with a yearly rule
/// where that rule is what the zone data does the year after.
public enum ICalendar {
    /// A whole calendar: VCALENDAR with a VTIMEZONE per zone and a VEVENT per event, lines folded at 75
    /// octets, CRLF line ends. `stamp` is DTSTAMP (when the calendar was made); a series without an end
    /// gets its zone's observances through `openEndedThrough` (a year).
    public static func render(name: String, events: [CalendarEvent], stamp: Date, openEndedThrough: Int) -> String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Vigil//Vigil gatherings//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            "X-WR-CALNAME:" + escape(name),
        ]
        var years: [String: ClosedRange<Int>] = [:]
        for event in events {
            var last = event.start.year
            if let weekly = event.weekly {
                last = weekly.until.map { WallTime($0, in: utc).year + 1 } ?? max(last, openEndedThrough)
            }
            let range = event.start.year...max(event.start.year, last)
            let known = years[event.timeZone] ?? range
            years[event.timeZone] = min(known.lowerBound, range.lowerBound)...max(known.upperBound, range.upperBound)
        }
        for (identifier, range) in years.sorted(by: { $0.key < $1.key }) {
            guard let zone = TimeZone(identifier: identifier) else { continue }
            lines += timeZone(zone, years: range)
        }
        for event in events { lines += vevent(event, stamp: stamp) }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    static let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current

    static func vevent(_ event: CalendarEvent, stamp: Date) -> [String] {
        let zone = "TZID=" + event.timeZone
        var lines = [
            "BEGIN:VEVENT", "UID:" + escape(event.uid), "DTSTAMP:" + utcText(stamp),
            "DTSTART;\(zone):" + localText(event.start), "DTEND;\(zone):" + localText(adding(event.minutes, to: event.start)),
        ]
        if let weekly = event.weekly {
            let day = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][max(0, min(6, weekly.weekday - 1))]
            lines.append("RRULE:FREQ=WEEKLY;BYDAY=\(day)" + (weekly.until.map { ";UNTIL=" + utcText($0) } ?? ""))
            for date in weekly.exceptions { lines.append("EXDATE;\(zone):" + localText(date)) }
        }
        lines.append("SUMMARY:" + escape(event.summary))
        if let location = event.location { lines.append("LOCATION:" + escape(location)) }
        if let description = event.description { lines.append("DESCRIPTION:" + escape(description)) }
        lines.append("STATUS:" + (event.cancelled ? "CANCELLED" : "CONFIRMED"))
        lines.append("TRANSP:OPAQUE")
        lines.append("END:VEVENT")
        return lines
    }

    /// VTIMEZONE for `zone` covering `years`: the offset in force at the start, then one observance per
    /// change of offset, the last standard and daylight ones with the yearly rule that continues them
    /// when the zone data agrees with it the year after.
    static func timeZone(_ zone: TimeZone, years: ClosedRange<Int>) -> [String] {
        let start = Date(timeIntervalSince1970: Double(Timestamp.days(year: years.lowerBound, month: 1, day: 1) * 86_400))
        let end = Date(timeIntervalSince1970: Double(Timestamp.days(year: years.upperBound + 1, month: 1, day: 1) * 86_400))
        var changes: [Date] = []
        var cursor = start
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end, changes.count < 2_000 {
            changes.append(next)
            cursor = next
        }
        var lines = ["BEGIN:VTIMEZONE", "TZID:" + zone.identifier]
        // From local midnight on 1 January of the first year, at the offset then in force.
        let first = zone.secondsFromGMT(for: start)
        lines += observance(
            zone.isDaylightSavingTime(for: start) ? "DAYLIGHT" : "STANDARD", at: start.addingTimeInterval(-Double(first)), from: first,
            to: first, name: zone.abbreviation(for: start), rule: nil)
        // The last change to standard time and the last to daylight time may go on as yearly rules.
        let lastStandard = changes.lastIndex { !zone.isDaylightSavingTime(for: $0) }
        let lastDaylight = changes.lastIndex { zone.isDaylightSavingTime(for: $0) }
        for (i, change) in changes.enumerated() {
            let from = zone.secondsFromGMT(for: change.addingTimeInterval(-1))
            let to = zone.secondsFromGMT(for: change)
            let daylight = zone.isDaylightSavingTime(for: change)
            let rule = i == lastStandard || i == lastDaylight ? yearlyRule(zone, change: change, from: from, after: end) : nil
            lines += observance(daylight ? "DAYLIGHT" : "STANDARD", at: change, from: from, to: to, name: zone.abbreviation(for: change), rule: rule)
        }
        lines.append("END:VTIMEZONE")
        return lines
    }

    static func observance(_ kind: String, at instant: Date, from: Int, to: Int, name: String?, rule: String?) -> [String] {
        var lines = ["BEGIN:\(kind)", "DTSTART:" + secondsText(Int(instant.timeIntervalSince1970.rounded(.down)) + from)]
        if let rule { lines.append(rule) }
        lines += ["TZOFFSETFROM:" + offsetText(from), "TZOFFSETTO:" + offsetText(to)]
        // Only a real abbreviation (EST, KST): where the system has none it says "GMT-5", which is no name.
        if let name, !name.hasPrefix("GMT"), !name.hasPrefix("UTC") || name == "UTC" { lines.append("TZNAME:" + escape(name)) }
        lines.append("END:\(kind)")
        return lines
    }

    /// `RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU` for a change on the last Sunday of March, if the zone's
    /// next change of the same kind after `after` falls where that rule says; else nil.
    static func yearlyRule(_ zone: TimeZone, change: Date, from: Int, after: Date) -> String? {
        let local = Int(change.timeIntervalSince1970.rounded(.down)) + from
        let days = Int((Double(local) / 86_400).rounded(.down))
        let (year, month, day) = Timestamp.civil(days: days)
        let weekday = ((days % 7 + 7 + 3) % 7) + 1
        let last = day + 7 > Timestamp.daysIn(year: year, month: month)
        let nth = last ? -1 : (day - 1) / 7 + 1
        let names = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        // Where the rule puts the change in a later year, against the zone data's own.
        let daylight = zone.isDaylightSavingTime(for: change)
        var cursor = after
        var next: Date?
        for _ in 0..<4 {
            guard let candidate = zone.nextDaylightSavingTimeTransition(after: cursor) else { return nil }
            if zone.isDaylightSavingTime(for: candidate) == daylight {
                next = candidate
                break
            }
            cursor = candidate
        }
        guard let next else { return nil }
        let nextFrom = zone.secondsFromGMT(for: next.addingTimeInterval(-1))
        let nextLocal = Int(next.timeIntervalSince1970.rounded(.down)) + nextFrom
        let nextDays = Int((Double(nextLocal) / 86_400).rounded(.down))
        let (ny, nm, nd) = Timestamp.civil(days: nextDays)
        let sameTime = (local - days * 86_400) == (nextLocal - nextDays * 86_400)
        guard nm == month, sameTime, nd == ruleDay(year: ny, month: month, weekday: weekday, nth: nth) else { return nil }
        return "RRULE:FREQ=YEARLY;BYMONTH=\(month);BYDAY=\(nth)\(names[weekday - 1])"
    }

    /// The day of the month `BYDAY=<nth><weekday>` falls on in `year` (nth -1: the last).
    static func ruleDay(year: Int, month: Int, weekday: Int, nth: Int) -> Int {
        func isoWeekday(_ days: Int) -> Int { ((days % 7 + 7 + 3) % 7) + 1 }
        if nth == -1 {
            let last = Timestamp.daysIn(year: year, month: month)
            return last - (isoWeekday(Timestamp.days(year: year, month: month, day: last)) - weekday + 7) % 7
        }
        return 1 + (weekday - isoWeekday(Timestamp.days(year: year, month: month, day: 1)) + 7) % 7 + (nth - 1) * 7
    }

    /// TEXT as RFC 5545 3.3.11 escapes it: backslash, semicolon, comma, and line ends as `\n`.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var previousCR = false
        for scalar in text.unicodeScalars {
            defer { previousCR = scalar == "\r" }
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\r": out += "\\n"
            case "\n": if !previousCR { out += "\\n" }
            default:
                // Other control characters have no place in a content line (3.1); Vigil's text never holds them.
                if scalar.properties.generalCategory == .control && scalar != "\t" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// One content line folded so that no physical line is longer than 75 octets (3.1): a continuation
    /// starts with a space, and a break never falls inside a character's UTF-8 bytes (nor, where a
    /// character fits, inside a character).
    public static func fold(_ line: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(line.utf8.count + line.utf8.count / 70 * 3)
        var width = 0
        func put(_ bytes: some Collection<UInt8>) {
            if width + bytes.count > 75 {
                out += [0x0D, 0x0A, 0x20]
                width = 1
            }
            out += bytes
            width += bytes.count
        }
        for character in line {
            let bytes = Array(String(character).utf8)
            if bytes.count <= 74 {
                put(bytes)
            } else {
                for scalar in character.unicodeScalars { put(Array(String(scalar).utf8)) }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The content lines of iCalendar text, unfolded (a line end followed by a space or a tab joins).
    public static func unfold(_ text: String) -> [String] {
        let joined = text.replacingOccurrences(of: "\r\n ", with: "").replacingOccurrences(of: "\r\n\t", with: "")
        return joined.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    /// `20041222T120000`.
    static func localText(_ wall: WallTime) -> String {
        "\(pad(wall.year, 4))\(pad(wall.month, 2))\(pad(wall.day, 2))T\(pad(wall.hour, 2))\(pad(wall.minute, 2))00"
    }

    /// `20041222T170000Z`.
    static func utcText(_ instant: Date) -> String {
        secondsText(Int(instant.timeIntervalSince1970.rounded(.down))) + "Z"
    }

    /// Seconds since 1970 as `YYYYMMDDTHHMMSS`.
    static func secondsText(_ seconds: Int) -> String {
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let rest = seconds - days * 86_400
        let (y, m, d) = Timestamp.civil(days: days)
        return "\(pad(y, 4))\(pad(m, 2))\(pad(d, 2))T\(pad(rest / 3600, 2))\(pad(rest % 3600 / 60, 2))\(pad(rest % 60, 2))"
    }

    /// `+0900`, `-0500`, `+0530`.
    static func offsetText(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let minutes = abs(seconds) / 60
        return sign + pad(minutes / 60, 2) + pad(minutes % 60, 2) + (abs(seconds) % 60 != 0 ? pad(abs(seconds) % 60, 2) : "")
    }

    /// `wall` plus `minutes` on the same wall clock.
    static func adding(_ minutes: Int, to wall: WallTime) -> WallTime {
        let seconds = Timestamp.days(year: wall.year, month: wall.month, day: wall.day) * 86_400 + wall.hour * 3600 + wall.minute * 60
        return WallTime(Date(timeIntervalSince1970: Double(seconds + minutes * 60)), in: utc)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
