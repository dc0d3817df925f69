import Foundation
import VigilEncoding

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
        guard value.hasPrefix("\\x"), let bytes = Hex.decode(value.dropFirst(2)) else {
            throw malformed(column, "(binary)", "bytea in hex format")
        }
        return bytes
    }

    /// A `timestamptz` column, which the client asks the server to send in UTC ISO form.
    public func date(_ column: String) throws -> Date {
        let value = try string(column)
        guard let date = Timestamp.parse(value) else { throw malformed(column, value, "a timestamp") }
        return date
    }

    func nullError(_ column: String) -> PostgresError {
        PostgresError(kind: .client, message: "column \"\(column)\" is NULL where a value was expected")
    }

    func malformed(_ column: String, _ value: String, _ expected: String) -> PostgresError {
        PostgresError(kind: .client, message: "column \"\(column)\" holds \(value.prefix(40)), not \(expected)")
    }
}

/// Parses the UUIDs PostgreSQL prints (`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`). Foundation's parser goes
/// through `sscanf`, which was a twentieth of a rebuild's time.
public enum PostgresUUID {
    /// The UUID `text` spells; nil unless it is 36 characters in the canonical form.
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
                    guard let high = Hex.digit(u[i]), let low = Hex.digit(u[i + 1]) else { ok = false; return }
                    out[n] = high << 4 | low
                    i += 2
                }
            }
            return ok ? UUID(uuid: bytes) : nil
        }
    }
}
