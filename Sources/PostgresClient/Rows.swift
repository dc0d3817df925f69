import Foundation

/// The rows a statement returned, copied out of libpq in text format.
public struct Rows: Sendable, RandomAccessCollection {
    /// Column names in order.
    public let columns: [String]
    let index: [String: Int]
    let values: [[String?]]
    /// How many rows an INSERT, UPDATE or DELETE touched, or nil for other statements.
    public let affectedRows: Int?

    init(columns: [String], values: [[String?]], affectedRows: Int?) {
        self.columns = columns
        var index: [String: Int] = [:]
        for (i, name) in columns.enumerated() where index[name] == nil { index[name] = i }
        self.index = index
        self.values = values
        self.affectedRows = affectedRows
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { values.count }
    public subscript(position: Int) -> Row { Row(rows: self, number: position) }
}

/// One row. Typed getters throw a `PostgresError` naming the column when a value is missing or malformed.
public struct Row: Sendable {
    let rows: Rows
    let number: Int

    /// The raw text of a column, or nil for NULL.
    public func text(_ column: String) throws -> String? {
        guard let i = rows.index[column] else {
            throw PostgresError(kind: .client, message: "the result has no column \"\(column)\"")
        }
        return rows.values[number][i]
    }

    /// The raw text of a column by position, or nil for NULL.
    public func text(at i: Int) -> String? { rows.values[number][i] }

    public func string(_ column: String) throws -> String {
        guard let value = try text(column) else { throw nullError(column) }
        return value
    }

    public func int64(_ column: String) throws -> Int64 {
        let value = try string(column)
        guard let n = Int64(value) else { throw malformed(column, value, "an integer") }
        return n
    }

    public func int(_ column: String) throws -> Int { Int(try int64(column)) }

    public func optionalInt64(_ column: String) throws -> Int64? {
        guard let value = try text(column) else { return nil }
        guard let n = Int64(value) else { throw malformed(column, value, "an integer") }
        return n
    }

    public func bool(_ column: String) throws -> Bool {
        let value = try string(column)
        switch value {
        case "t", "true": return true
        case "f", "false": return false
        default: throw malformed(column, value, "a boolean")
        }
    }

    public func uuid(_ column: String) throws -> UUID {
        let value = try string(column)
        guard let id = PostgresUUID.parse(value) else { throw malformed(column, value, "a UUID") }
        return id
    }

    /// A `bytea` column in hex output format (`\x…`).
    public func bytes(_ column: String) throws -> [UInt8] {
        let value = try string(column)
        guard value.hasPrefix("\\x"), let bytes = [UInt8](hex: value.dropFirst(2)) else {
            throw malformed(column, "(binary)", "bytea in hex format")
        }
        return bytes
    }

    /// A `timestamptz` column, which the client asks the server to send in UTC ISO form.
    public func date(_ column: String) throws -> Date {
        let value = try string(column)
        guard let date = PostgresTimestamp.parse(value) else { throw malformed(column, value, "a timestamp") }
        return date
    }

    func nullError(_ column: String) -> PostgresError {
        PostgresError(kind: .client, message: "column \"\(column)\" is NULL where a value was expected")
    }

    func malformed(_ column: String, _ value: String, _ expected: String) -> PostgresError {
        PostgresError(kind: .client, message: "column \"\(column)\" holds \(value.prefix(40)), not \(expected)")
    }
}

extension [UInt8] {
    /// Decodes lower- or upper-case hex; nil when the text is not hex.
    public init?(hex: Substring) {
        guard hex.utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        self = out
    }

    /// Lower-case hex.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for b in self { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0f)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Parses the UUIDs PostgreSQL prints (`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`). Foundation's parser goes
/// through `sscanf`, which was a twentieth of a rebuild's time.
public enum PostgresUUID {
    public static func parse(_ text: String) -> UUID? {
        var text = text
        return text.withUTF8 { u -> UUID? in
            guard u.count == 36, u[8] == 45, u[13] == 45, u[18] == 45, u[23] == 45 else { return nil }
            var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var ok = true
            withUnsafeMutableBytes(of: &bytes) { out in
                var i = 0
                for n in 0..<16 {
                    if i == 8 || i == 13 || i == 18 || i == 23 { i += 1 }
                    guard let high = nibble(u[i]), let low = nibble(u[i + 1]) else { ok = false; return }
                    out[n] = high << 4 | low
                    i += 2
                }
            }
            return ok ? UUID(uuid: bytes) : nil
        }
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}

/// Parses the timestamps PostgreSQL prints with `DateStyle=ISO` and `TimeZone=UTC`.
public enum PostgresTimestamp {
    /// Parses `2004-12-22 17:00:00.123456+00`; nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let u = Array(text.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= u.count else { return nil }
            var n = 0
            for i in from..<(from + len) {
                let c = u[i]
                guard c >= 48, c <= 57 else { return nil }
                n = n * 10 + Int(c - 48)
            }
            return n
        }
        guard u.count >= 19, let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
            let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2)
        else { return nil }
        var i = 19
        var micros = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 6 { micros = micros * 10 + Int(u[i] - 48); digits += 1 }
                i += 1
            }
            while digits < 6 { micros *= 10; digits += 1 }
        }
        var offsetSeconds = 0
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            let sign = u[i] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = num(i + 1, 2) else { return nil }
            var om = 0
            if i + 3 < u.count, u[i + 3] == UInt8(ascii: ":"), let m = num(i + 4, 2) { om = m }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        }
        let days = daysFromCivil(y, mo, d)
        let seconds = days * 86_400 + h * 3600 + mi * 60 + s - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
