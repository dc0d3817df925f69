import Foundation
import VigilEncoding

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
    public var postgresText: String? { Timestamp.format(self, .microseconds) }
}
/// Bytes sent as a `bytea` parameter, in its hex text form (`\x…`), the form `Row.bytes` reads back.
public struct PostgresBytes: PostgresBindable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var postgresText: String? { "\\x" + Hex.encode(bytes) }
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
