import Foundation

/// Instants as text, and the calendar arithmetic under them: the one place Vigil writes or reads a
/// timestamp. ISO 8601 in UTC (`2004-12-22T17:00:00Z`) in event payloads, reports and audits, and the
/// form PostgreSQL prints with `DateStyle=ISO` (`2004-12-22 17:00:00.123456+00`).
///
/// Dates are proleptic Gregorian, as ISO 8601 and PostgreSQL count them (Howard Hinnant's algorithms),
/// with no formatter, calendar or locale: Foundation's `ISO8601DateFormatter` switches to the Julian
/// calendar before 1582, and its parsing was a large part of a rebuild's time.
public enum Timestamp {
    /// How much of the second to write.
    public enum Fraction: Sendable {
        /// Whole seconds, the fraction dropped: `2004-12-22T17:00:00Z` (what event payloads hold).
        case none
        /// Microseconds, rounded: `2004-12-22T17:00:00.123456Z` (PostgreSQL's precision).
        case microseconds
    }

    /// `date` in UTC as ISO 8601: `2004-12-22T17:00:00Z`, or with microseconds.
    public static func format(_ date: Date, _ fraction: Fraction = .none) -> String {
        // Within ±3 million years, so the conversions to Int cannot overflow.
        let interval = min(max(date.timeIntervalSince1970, -1e14), 1e14)
        var seconds: Int
        var micros = 0
        switch fraction {
        case .none:
            seconds = Int(interval.rounded(.down))
        case .microseconds:
            let total = Int((interval * 1_000_000).rounded())
            seconds = total >= 0 ? total / 1_000_000 : (total - 999_999) / 1_000_000
            micros = total - seconds * 1_000_000
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        seconds -= days * 86_400
        let (year, month, day) = civil(days: days)
        var out: [UInt8] = []
        out.reserveCapacity(27)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            if rest < 0 || rest >= divisor * 10 {
                out.append(contentsOf: String(rest).utf8)
                return
            }
            while divisor > 0 {
                out.append(UInt8(0x30 + rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        out.append(0x2D)
        digits(month, 2)
        out.append(0x2D)
        digits(day, 2)
        out.append(0x54)
        digits(seconds / 3600, 2)
        out.append(0x3A)
        digits(seconds % 3600 / 60, 2)
        out.append(0x3A)
        digits(seconds % 60, 2)
        if fraction == .microseconds {
            out.append(0x2E)
            digits(micros, 6)
        }
        out.append(0x5A)
        return String(decoding: out, as: UTF8.self)
    }

    /// The years `parse` reads. Before 1583 calendars disagree (Foundation's turns Julian, ISO 8601 and
    /// PostgreSQL stay Gregorian), and Vigil never writes such an instant: one is refused rather than read
    /// one way here and another elsewhere.
    public static let years = 1583...9999

    /// Parses an ISO 8601 instant with its offset: `2004-12-22T17:00:00Z`, `2004-12-22 17:00:00.123456+00`,
    /// `2004-12-22T18:00:00+01:00`. Nil for anything else: an impossible date or time (30 February,
    /// 24:00, a leap second), a year outside `years`, a missing offset.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// `parse(_:)` over UTF-8 bytes.
    public static func parse(utf8 u: UnsafeBufferPointer<UInt8>) -> Date? {
        func number(_ from: Int, _ length: Int) -> Int? {
            guard from + length <= u.count else { return nil }
            var n = 0
            for i in from..<(from + length) {
                let c = u[i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                n = n * 10 + Int(c - 0x30)
            }
            return n
        }
        guard u.count >= 20, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54 || u[10] == 0x20, u[13] == 0x3A, u[16] == 0x3A,
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            years.contains(year), (1...12).contains(month), (1...daysIn(year: year, month: month)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var i = 19
        var micros = 0
        if u[i] == 0x2E {
            i += 1
            var count = 0
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                if count < 6 { micros = micros * 10 + Int(u[i] - 0x30) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in min(count, 6)..<6 { micros *= 10 }
        }
        guard i < u.count else { return nil }
        var offset = 0
        switch u[i] {
        case 0x5A:  // Z
            i += 1
        case 0x2B, 0x2D:  // + or -
            let sign = u[i] == 0x2D ? -1 : 1
            guard let hours = number(i + 1, 2), hours < 24 else { return nil }
            i += 3
            var minutes = 0
            if i < u.count {
                if u[i] == 0x3A { i += 1 }
                guard let m = number(i, 2), m < 60 else { return nil }
                minutes = m
                i += 2
            }
            offset = sign * (hours * 3600 + minutes * 60)
        default:
            return nil
        }
        guard i == u.count else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// Days from 1970-01-01 to a date (Howard Hinnant's `days_from_civil`).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    public static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// How many days `month` (1–12) has in `year`.
    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
