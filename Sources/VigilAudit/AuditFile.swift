import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX file steps with the errors an auditor can act on: missing, unreadable, exists.
package enum AuditFile {
    /// The whole file and its permission bits, or `AuditError.fileMissing` / `.fileUnreadable`.
    package static func load(_ path: String, what: String, limit: Int = 1 << 20) throws -> (bytes: [UInt8], mode: mode_t) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw AuditError.fileMissing(path: path, what: what) }
            throw AuditError.fileUnreadable(path: path, what: what, reason: reason(code))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw AuditError.fileUnreadable(path: path, what: what, reason: reason(errno))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw AuditError.fileUnreadable(path: path, what: what, reason: "it is not a regular file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditError.fileUnreadable(path: path, what: what, reason: reason(errno))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            guard bytes.count <= limit else {
                throw AuditError.fileMalformed(path: path, what: what, reason: "it is larger than \(limit) bytes")
            }
        }
        return (bytes, info.st_mode & 0o7777)
    }

    /// Creates `path` with `mode`, refusing an existing file (`O_EXCL`, so no race either), and writes
    /// `bytes` to it, flushed to disk. A file left half-written by a failure is removed.
    package static func createExclusive(_ path: String, bytes: [UInt8], mode: mode_t, what: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw AuditError.fileExists(path: path, what: what) }
            throw AuditError.fileNotWritten(path: path, what: what, reason: reason(code))
        }
        var failure: AuditError?
        // The umask may have taken bits away; it never adds any, but set the mode exactly all the same.
        if fchmod(fd, mode) != 0 { failure = .fileNotWritten(path: path, what: what, reason: reason(errno)) }
        var offset = 0
        while failure == nil, offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = .fileNotWritten(path: path, what: what, reason: reason(errno))
            } else {
                offset += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = .fileNotWritten(path: path, what: what, reason: reason(errno)) }
        if close(fd) != 0, failure == nil { failure = .fileNotWritten(path: path, what: what, reason: reason(errno)) }
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// Whether anything exists at `path` (a dangling symbolic link counts).
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The system's words for an errno value.
    package static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
