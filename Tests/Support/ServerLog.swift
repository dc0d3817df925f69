import Foundation
import PostgresClient

/// The server's log as the private cluster writes it (scripts/lib/common.sh: `server.log` beside the data
/// directory), read from where it ended when this was made. Nil on another server (scripts/test with
/// PGHOST), whose log a test cannot know where to find; on the private cluster a missing log is an error.
public struct ServerLog {
    let file: URL
    let start: UInt64

    public init?(_ owner: Connection) throws {
        let data = try owner.query("SHOW data_directory")[0].string("data_directory")
        file = URL(fileURLWithPath: data).deletingLastPathComponent().appendingPathComponent("server.log")
        guard FileManager.default.fileExists(atPath: file.path) else {
            if data.contains("/.vigil/") { throw TestFailure("the private cluster's log is not at \(file.path)") }
            return nil
        }
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        start = try handle.seekToEnd()
    }

    /// What the server wrote to its log since then.
    public func textSince() throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        try handle.seek(toOffset: start)
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }

    /// Which of `hexValues` (bytea values in hex, such as blind indexes) the log holds anywhere since
    /// then, whole or cut short (the server shortens long values in some messages): any line, not only a
    /// unique refusal's key.
    public func holds(anyOf hexValues: some Sequence<String>) throws -> [String] {
        let text = try textSince().lowercased()
        return hexValues.filter { text.contains(String($0.lowercased().prefix(40))) }
    }
}
