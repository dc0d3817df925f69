import Foundation
import VigilEncoding

/// A wall-clock time in some place, without a zone: what an organiser says ("22 December, noon").
public struct WallTime: Hashable, Codable, Sendable, CustomStringConvertible, Comparable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
    }

    /// Parses `2004-12-22 12:00` or `2004-12-22T12:00`.
    public static func parse(_ raw: String, field: String) throws -> WallTime {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let bad = DomainError.invalid(
            field: field, reason: "\"\(Check.preview(raw))\" is not a local date and time; write it as YYYY-MM-DD HH:MM, such as 2004-12-22 12:00")
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2 else { throw bad }
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        let time = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard date.count == 3, time.count == 2 || time.count == 3,
            date[0].count == 4, date[1].count == 2, date[2].count == 2, time[0].count == 2, time[1].count == 2,
            let y = Int(date[0]), let mo = Int(date[1]), let d = Int(date[2]), let h = Int(time[0]), let mi = Int(time[1])
        else { throw bad }
        if time.count == 3 && time[2] != "00" { throw bad }
        guard (1900...2200).contains(y) else {
            throw DomainError.invalid(field: field, reason: "year \(y) is out of range; give a year from 1900 to 2200")
        }
        guard (1...12).contains(mo) else { throw DomainError.invalid(field: field, reason: "month \(mo) does not exist") }
        guard (1...Timestamp.daysIn(year: y, month: mo)).contains(d) else {
            throw DomainError.invalid(field: field, reason: "\(String(format: "%04d-%02d", y, mo)) has no day \(d)")
        }
        guard (0...23).contains(h), (0...59).contains(mi) else {
            throw DomainError.invalid(field: field, reason: "\(parts[1]) is not a time of day; use 00:00 to 23:59")
        }
        return WallTime(year: y, month: mo, day: d, hour: h, minute: mi)
    }

    /// `2004-12-22T12:00`.
    public var description: String {
        "\(dateString)T\(clock)"
    }

    /// `12:00`.
    public var clock: String { "\(Padded(hour, 2)):\(Padded(minute, 2))" }

    /// `2004-12-22`.
    public var dateString: String { "\(Padded(year, 4))-\(Padded(month, 2))-\(Padded(day, 2))" }

    /// Seconds since 1970 if this wall time were UTC.
    var naiveEpoch: Int { Timestamp.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 }

    /// The wall time at `instant` in `zone`.
    public init(_ instant: Date, in zone: TimeZone) {
        let local = Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
        let days = Int((Double(local) / 86_400).rounded(.down))
        let secs = local - days * 86_400
        let (year, month, day) = Timestamp.civil(days: days)
        self.init(year: year, month: month, day: day, hour: secs / 3600, minute: secs % 3600 / 60)
    }

    public static func < (a: WallTime, b: WallTime) -> Bool { a.naiveEpoch < b.naiveEpoch }

    /// Stored payloads keep the object `{"day":…,"hour":…,"minute":…,"month":…,"year":…}` (the shape every
    /// event in the log was written in, so it never changes); an encoder writing for people or machines
    /// that read states (`CodingUserInfoKey.readableTimes`) gets ISO 8601's `2004-12-22T12:00` instead.
    public func encode(to encoder: any Encoder) throws {
        if encoder.userInfo[.readableTimes] as? Bool == true {
            var container = encoder.singleValueContainer()
            try container.encode(description)
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(year, forKey: .year)
        try container.encode(month, forKey: .month)
        try container.encode(day, forKey: .day)
        try container.encode(hour, forKey: .hour)
        try container.encode(minute, forKey: .minute)
    }
}

extension CodingUserInfoKey {
    /// When true in an encoder's `userInfo`, dates and wall times encode as ISO 8601 text (`2004-12-22`,
    /// `2004-12-22T12:00`) rather than the objects stored payloads hold: how replayed states are printed.
    public static let readableTimes = CodingUserInfoKey(rawValue: "vigil.readableTimes")!
}

/// Which of two instants to take when a wall time happens twice (the hour repeated when clocks go back).
public enum Fold: String, Codable, Sendable, CaseIterable {
    case earlier
    case later
}

/// A wall time in a place's zone, resolved to the one UTC instant it means.
public struct LocalTime: Hashable, Codable, Sendable {
    public var instant: Date
    public var zone: String
    public var wall: WallTime

    /// Resolves `wall` in `zone`. A wall time that does not exist (skipped when clocks go forward) is
    /// refused with the times around the gap; one that exists twice needs `fold` to say which.
    public static func resolve(_ wall: WallTime, in zone: TimeZone, fold: Fold?, field: String) throws -> LocalTime {
        let naive = wall.naiveEpoch
        var offsets = Set<Int>()
        for probe in [naive - 2 * 86_400, naive, naive + 2 * 86_400] {
            offsets.insert(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(probe))))
        }
        let candidates = offsets
            .map { naive - $0 }
            .filter { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0))) == naive - $0 }
            .sorted()
        switch candidates.count {
        case 0:
            // The transition lies between the two readings of the wall time.
            let earliest = Date(timeIntervalSince1970: Double(naive - (offsets.max() ?? 0)))
            var jump = ""
            if let t = zone.nextDaylightSavingTimeTransition(after: earliest.addingTimeInterval(-1)) {
                let before = zone.secondsFromGMT(for: t.addingTimeInterval(-1))
                let after = zone.secondsFromGMT(for: t)
                let utc = TimeZone(identifier: "UTC") ?? zone
                let from = WallTime(t.addingTimeInterval(Double(before)), in: utc)
                let to = WallTime(t.addingTimeInterval(Double(after)), in: utc)
                jump = " (at \(from.clock) the clocks jump to \(to.clock))"
            }
            throw DomainError.invalid(
                field: field,
                reason: "\(wall) does not exist in \(zone.identifier): that hour is skipped for daylight saving\(jump); "
                    + "give a time outside the gap")
        case 1:
            return LocalTime(instant: Date(timeIntervalSince1970: Double(candidates[0])), zone: zone.identifier, wall: wall)
        default:
            guard let fold else {
                throw DomainError.invalid(
                    field: field,
                    reason: "\(wall) happens twice in \(zone.identifier) (the clocks go back that night); "
                        + "say which with a fold: earlier or later")
            }
            let chosen = fold == .earlier ? candidates[0] : candidates[candidates.count - 1]
            return LocalTime(instant: Date(timeIntervalSince1970: Double(chosen)), zone: zone.identifier, wall: wall)
        }
    }
}

/// A calendar date without a time or zone: when a statement was issued, a date skipped by a weekly rule.
public struct LocalDate: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `2024-06-03`.
    public static func parse(_ raw: String, field: String) throws -> LocalDate {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard text.count == 10, !text.contains(" ") else {
            throw DomainError.invalid(field: field, reason: "\"\(Check.preview(raw))\" is not a date; write it as YYYY-MM-DD, such as 2024-06-03")
        }
        let wall = try WallTime.parse(text + " 00:00", field: field)
        return LocalDate(year: wall.year, month: wall.month, day: wall.day)
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int { WallTime(year: year, month: month, day: day, hour: 0, minute: 0).naiveEpoch / 86_400 }

    /// The date `days` later.
    public func adding(days: Int) -> LocalDate {
        let wall = WallTime(Date(timeIntervalSince1970: Double((daysSinceEpoch + days) * 86_400)), in: TimeZone(identifier: "UTC") ?? .current)
        return LocalDate(year: wall.year, month: wall.month, day: wall.day)
    }

    /// ISO weekday: 1 is Monday, 7 is Sunday.
    public var weekday: Int { ((daysSinceEpoch % 7 + 7 + 3) % 7) + 1 }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    public var description: String { "\(Padded(year, 4))-\(Padded(month, 2))-\(Padded(day, 2))" }

    /// The stored object `{"day":…,"month":…,"year":…}`, or `2004-12-22` for an encoder that asks for
    /// readable times (`CodingUserInfoKey.readableTimes`); see `WallTime.encode(to:)`.
    public func encode(to encoder: any Encoder) throws {
        if encoder.userInfo[.readableTimes] as? Bool == true {
            var container = encoder.singleValueContainer()
            try container.encode(description)
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(year, forKey: .year)
        try container.encode(month, forKey: .month)
        try container.encode(day, forKey: .day)
    }
}

/// A non-negative number with leading zeros to `width` digits. `String(format:)` goes through
/// Foundation's formatter and a dynamic cast per argument, which a rebuild paid for every gathering.
struct Padded: CustomStringConvertible {
    let value: Int
    let width: Int

    init(_ value: Int, _ width: Int) {
        self.value = value
        self.width = width
    }

    var description: String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
