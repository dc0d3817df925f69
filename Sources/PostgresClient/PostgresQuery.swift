import Foundation

/// A value that can be sent to PostgreSQL as a bound parameter, in text format.
public protocol PostgresBindable: Sendable {
    /// The text PostgreSQL parses for this value, or nil for SQL NULL.
    var postgresText: String? { get }
}

extension String: PostgresBindable { public var postgresText: String? { self } }
extension Substring: PostgresBindable { public var postgresText: String? { String(self) } }
extension Int: PostgresBindable { public var postgresText: String? { String(self) } }
extension Int64: PostgresBindable { public var postgresText: String? { String(self) } }
extension Int32: PostgresBindable { public var postgresText: String? { String(self) } }
extension Double: PostgresBindable { public var postgresText: String? { String(self) } }
extension Bool: PostgresBindable { public var postgresText: String? { self ? "t" : "f" } }
extension UUID: PostgresBindable { public var postgresText: String? { uuidString.lowercased() } }
extension Date: PostgresBindable {
    /// Sent as an ISO 8601 instant with microseconds, in UTC.
    public var postgresText: String? {
        let micros = Int64((timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        // Digits by hand: String(format:) was a sixth of the thread that applies a rebuild's batches.
        var out: [UInt8] = []
        out.reserveCapacity(27)
        func digits(_ value: Int, _ width: Int, then separator: UInt8) {
            let text = String(value).utf8
            if text.count < width { out.append(contentsOf: repeatElement(0x30, count: width - text.count)) }
            out.append(contentsOf: text)
            out.append(separator)
        }
        digits(Int(parts.tm_year) + 1900, 4, then: 0x2D)
        digits(Int(parts.tm_mon) + 1, 2, then: 0x2D)
        digits(Int(parts.tm_mday), 2, then: 0x54)
        digits(Int(parts.tm_hour), 2, then: 0x3A)
        digits(Int(parts.tm_min), 2, then: 0x3A)
        digits(Int(parts.tm_sec), 2, then: 0x2E)
        digits(Int(fraction), 6, then: 0x5A)
        return String(decoding: out, as: UTF8.self)
    }
}
extension Array: PostgresBindable where Element == String {
    /// Sent as a PostgreSQL array literal (`{"a","b"}`), for `= ANY($1::text[])`.
    public var postgresText: String? { PostgresArray.literal(map { Optional($0) }) }
}

/// PostgreSQL's text form of arrays.
public enum PostgresArray {
    /// An array literal: every element quoted with `"` and `\` escaped, NULL for nil. Built as bytes: the
    /// two escaped characters are ASCII, so they never occur inside another character's UTF-8.
    public static func literal(_ values: [String?]) -> String {
        var out: [UInt8] = [0x7B]
        out.reserveCapacity(values.count * 16)
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(0x2C) }
            guard let value else {
                out.append(contentsOf: [0x4E, 0x55, 0x4C, 0x4C])
                continue
            }
            out.append(0x22)
            for c in value.utf8 {
                if c == 0x22 || c == 0x5C { out.append(0x5C) }
                out.append(c)
            }
            out.append(0x22)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresText: String? { self?.postgresText }
}

/// SQL text with its parameters. String interpolation binds each value as `$n`, so a value can never
/// become SQL: `"SELECT * FROM t WHERE id = \(id)"` sends `$1` and the id apart from the text.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    public var sql: String
    public var parameters: [String?]

    public init(sql: String, parameters: [String?] = []) {
        self.sql = sql
        self.parameters = parameters
    }

    public init(stringLiteral value: String) {
        self.init(sql: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(sql: stringInterpolation.sql, parameters: stringInterpolation.parameters)
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var parameters: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            parameters.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        /// Binds a value as the next `$n` parameter.
        public mutating func appendInterpolation(_ value: some PostgresBindable) {
            parameters.append(value.postgresText)
            sql += "$\(parameters.count)"
        }

        /// Binds an optional value as the next `$n` parameter: nil is SQL NULL.
        public mutating func appendInterpolation<T: PostgresBindable>(_ value: T?) {
            parameters.append(value?.postgresText ?? nil)
            sql += "$\(parameters.count)"
        }

        /// Inserts SQL text as it is. Only for identifiers and fragments the program itself wrote.
        public mutating func appendInterpolation(unescaped text: String) { sql += text }
    }
}
