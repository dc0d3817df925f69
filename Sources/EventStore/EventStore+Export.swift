import Foundation
import PostgresClient
import VigilAudit

/// What an export wrote.
public struct ExportSummary: Sendable, Equatable {
    /// Events written, one per line.
    public var events: Int
    /// The last position written (0 when the log is empty).
    public var lastPosition: Int64
    /// Bytes written.
    public var bytes: Int
}

extension EventStore {
    /// Writes the log, up to its settled end (`settledPosition`), to the file at `path` in
    /// `ExportFormat` (NDJSON, one event per line in position order, with its canonical text and hash):
    /// everything `LogAudit.verify(export:anchor:trustedKey:)` needs, with no database.
    ///
    /// It writes to `path` + `.partial` and renames that to `path` once complete and flushed, so a file
    /// at `path` is never half an export; an existing file at `path` is replaced. The log is read in
    /// pages of `pageSize` events and written page by page: memory does not grow with the log.
    @discardableResult
    public func export(to path: URL, pageSize: Int = 5_000) throws -> ExportSummary {
        let partial = path.path + ".partial"
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw AuditError.fileNotWritten(path: partial, what: "export", reason: String(cString: strerror(errno)))
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            let summary = try export(to: handle, pageSize: pageSize)
            try handle.synchronize()
            try handle.close()
            guard rename(partial, path.path) == 0 else {
                throw AuditError.fileNotWritten(path: path.path, what: "export", reason: String(cString: strerror(errno)))
            }
            return summary
        } catch {
            try? handle.close()
            unlink(partial)
            throw error
        }
    }

    /// Writes the log up to its settled end to `handle` (a file or standard output) in `ExportFormat`,
    /// page by page.
    @discardableResult
    public func export(to handle: FileHandle, pageSize: Int = 5_000) throws -> ExportSummary {
        let through = try settledPosition()
        var summary = ExportSummary(events: 0, lastPosition: 0, bytes: 0)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        func flush() throws {
            guard !buffer.isEmpty else { return }
            try handle.write(contentsOf: buffer)
            summary.bytes += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }
        try forEachCanonicalEvent(through: through, pageSize: pageSize) { event in
            ExportFormat.appendLine(event, to: &buffer)
            summary.events += 1
            summary.lastPosition = event.position
            if buffer.count >= 1 << 20 { try flush() }
            return true
        }
        try flush()
        return summary
    }
}
