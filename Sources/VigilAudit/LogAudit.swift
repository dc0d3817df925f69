import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The auditor's path with no database: an export (`ExportFormat`) and an anchor (`LogAnchor`) are all
/// it reads.
public enum LogAudit {
    /// Verifies an export against an anchor: the anchor's signature (and, given `trustedKey`, who signed
    /// it), then every line in order — its JSON, positions increasing, its stream and version those of
    /// the canonical text it carries, versions 1, 2, 3… per stream, its hash SHA-256(previous hash ‖
    /// canonical) — then the streams, events and Merkle root as of the anchor's position.
    ///
    /// The first failure is returned in the result, with its line number where it has one. The file is
    /// read in pieces of 1 MiB and only each stream's head is kept, so an export of any length verifies
    /// in little memory.
    ///
    /// - Throws: `AuditError` when the anchor or the export cannot be read at all.
    public static func verify(export: URL, anchor anchorPath: URL, trustedKey: AnchorPublicKey?) throws -> AnchorVerification {
        let anchor = try LogAnchor.read(from: anchorPath)
        var result = AnchorVerification(anchor: anchor)
        if let failure = anchor.checkSignature(trustedKey: trustedKey) {
            result.failure = failure
            return result
        }
        result.keyTrusted = trustedKey != nil

        var checker = ChainChecker(anchorPosition: anchor.lastPosition)
        var failure: AuditFailure?
        try LineReader.forEachLine(export.path, what: "export") { number, line in
            failure = check(line, number: number, into: &checker)
            return failure == nil
        }
        result.conclude(&checker, failure: failure)
        return result
    }

    /// Checks one export line and adds its event to the chains.
    static func check(_ bytes: UnsafeBufferPointer<UInt8>, number: Int, into checker: inout ChainChecker) -> AuditFailure? {
        let line: ExportFormat.Line
        switch ExportFormat.parseLine(bytes) {
        case .failure(let error): return .malformedLine(line: number, reason: error.description)
        case .success(let parsed): line = parsed
        }
        guard let stream = String(validating: line.stream, as: UTF8.self) else {
            return .malformedLine(line: number, reason: "\"stream\" is not valid UTF-8")
        }
        let place = EventPlace(position: line.position, stream: stream, version: line.version, line: number)
        guard let inner = ExportFormat.canonicalPlace(line.canonical) else {
            return .canonicalMismatch(
                place, reason: "its canonical text does not begin with a position or a stream id, then a version, an id and a type")
        }
        if let position = inner.position, position != line.position {
            return .canonicalMismatch(place, reason: "its canonical text is of position \(position), not \(line.position)")
        }
        guard inner.stream == line.stream else {
            return .canonicalMismatch(
                place, reason: "its canonical text is of stream \(String(decoding: inner.stream, as: UTF8.self)), not \(stream)")
        }
        guard inner.version == line.version else {
            return .canonicalMismatch(place, reason: "its canonical text is of version \(inner.version), not \(line.version)")
        }
        guard inner.type == line.type else {
            return .canonicalMismatch(
                place, reason: "its canonical text is of type \(String(decoding: inner.type, as: UTF8.self)), "
                    + "not \(String(decoding: line.type, as: UTF8.self))")
        }
        return line.canonical.withUnsafeBytes {
            checker.add(position: line.position, stream: stream, version: line.version, canonical: $0, hash: line.hash, line: number)
        }
    }
}

/// Reads a file line by line in pieces, never holding more than the longest line and one piece.
enum LineReader {
    /// Calls `body` with each line's number (1 is the first) and bytes, without the line feed or a CR
    /// before it, until `body` returns false or the file ends. A last line without a line feed counts.
    static func forEachLine(
        _ path: String, what: String, pieceSize: Int = 1 << 20,
        _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Bool
    ) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw AuditError.fileMissing(path: path, what: what) }
            throw AuditError.fileUnreadable(path: path, what: what, reason: AuditFile.reason(code))
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: pieceSize)
        var start = 0
        var end = 0
        var number = 0
        var eof = false
        while true {
            // Hand out every whole line in the buffer.
            var stop = false
            try buffer.withUnsafeBufferPointer { all in
                while !stop, start < end {
                    guard let base = all.baseAddress,
                        let hit = memchr(base + start, 0x0A, end - start)
                    else { break }
                    let newline = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                    number += 1
                    var lineEnd = newline
                    if lineEnd > start, all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    if !(try body(number, UnsafeBufferPointer(rebasing: all[start..<lineEnd]))) { stop = true }
                    start = newline + 1
                }
            }
            if stop { return }
            if eof {
                if start < end {
                    number += 1
                    var lineEnd = end
                    if buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    _ = try buffer.withUnsafeBufferPointer { try body(number, UnsafeBufferPointer(rebasing: $0[start..<lineEnd])) }
                }
                return
            }
            // Keep the partial line at the front, grow when one line fills the buffer, and read more.
            if start > 0 {
                buffer.withUnsafeMutableBufferPointer { all in
                    if let base = all.baseAddress { memmove(base, base + start, end - start) }
                }
                end -= start
                start = 0
            }
            if end == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + end }, $0.count - end) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditError.fileUnreadable(path: path, what: what, reason: AuditFile.reason(errno))
            }
            if n == 0 { eof = true } else { end += n }
        }
    }
}
