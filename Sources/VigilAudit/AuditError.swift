import Foundation

/// Why an audit step could not run at all: a key, anchor or export file that is missing, unreadable or
/// malformed, a file that would be overwritten, or a log that cannot be anchored.
///
/// What a verification *finds* (a changed event, a bad signature) is not an error but an
/// `AuditFailure` in its result. No message ever holds key material: a malformed key file is named by
/// its path and what was wrong with its shape, never by its contents.
public enum AuditError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not exist. `what` names it in the user's words ("private key", "anchor").
    case fileMissing(path: String, what: String)
    /// The file exists but cannot be read (permissions, a directory, an I/O error).
    case fileUnreadable(path: String, what: String, reason: String)
    /// The file was read but is not what it should be.
    case fileMalformed(path: String, what: String, reason: String)
    /// The file exists already, and this step never overwrites one (a key, an anchor).
    case fileExists(path: String, what: String)
    /// The file could not be written.
    case fileNotWritten(path: String, what: String, reason: String)
    /// A private key file that others than its owner may read or write (mode `mode`, octal).
    case keyFileTooOpen(path: String, mode: String)
    /// The log's own chains do not hold, so it is not anchored: an anchor must vouch for a sound log.
    case brokenLog(AuditFailure)
    /// Writing transactions stayed open longer than the wait allows, so the last position whose every
    /// predecessor has committed could not be fixed.
    case transactionsStillOpen(seconds: Int)
    /// The caller's own transaction has written, so waiting for every open writer would wait for itself.
    case insideWritingTransaction
    /// The caller's own transaction reads one snapshot (REPEATABLE READ or SERIALIZABLE), which would not
    /// see what the transactions it waits for commit.
    case insideSnapshotTransaction
    /// Signing failed inside the crypto library.
    case signingFailed(reason: String)

    /// The error in the user's words; never a key.
    public var description: String {
        switch self {
        case .fileMissing(let path, let what):
            return "the \(what) file \(path) does not exist"
        case .fileUnreadable(let path, let what, let reason):
            return "the \(what) file \(path) cannot be read: \(reason)"
        case .fileMalformed(let path, let what, let reason):
            return "the \(what) file \(path) is not valid: \(reason)"
        case .fileExists(let path, let what):
            return "the \(what) file \(path) exists already; it is never overwritten: choose another path or move it away"
        case .fileNotWritten(let path, let what, let reason):
            return "the \(what) file \(path) could not be written: \(reason)"
        case .keyFileTooOpen(let path, let mode):
            return "the private key file \(path) has mode \(mode): others may read it; make it private (chmod 600 \(path))"
        case .brokenLog(let failure):
            return "the log does not verify, so it is not anchored: \(failure)"
        case .transactionsStillOpen(let seconds):
            return "transactions that write the log stayed open for more than \(seconds) s; try again when they end"
        case .insideWritingTransaction:
            return "this session's own transaction has written; anchor or export outside of it"
        case .insideSnapshotTransaction:
            return "this session's own transaction reads one snapshot (REPEATABLE READ or SERIALIZABLE), which would not see "
                + "what the transactions it waits for commit; anchor or export outside of it"
        case .signingFailed(let reason):
            return "the anchor could not be signed: \(reason)"
        }
    }
}

