import Foundation
import PostgresClient

/// The private cluster's server log (scripts/lib/common.sh writes it beside the data directory), read
/// from where it ended when this was made.
public struct ServerLog {
    let file: URL
    let start: UInt64

    public init(_ owner: Connection) throws {
        let data = try owner.query("SHOW data_directory")[0].string("data_directory")
        file = URL(fileURLWithPath: data).deletingLastPathComponent().appendingPathComponent("server.log")
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        start = try handle.seekToEnd()
    }

    /// The hex digits of every `bytea` key value that a unique index's refusal wrote to the log since then
    /// (`DETAIL:  Key (…)=(…, \x…) already exists.`).
    public func keysSince() throws -> [String] {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        try handle.seek(toOffset: start)
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var keys: [String] = []
        for line in text.split(separator: "\n") where line.contains("DETAIL:  Key (") {
            var rest = line[...]
            while let mark = rest.range(of: "\\x") {
                let digits = rest[mark.upperBound...].prefix { $0.isHexDigit }
                keys.append(String(digits))
                rest = rest[mark.upperBound...].dropFirst(digits.count)
            }
        }
        return keys
    }
}
