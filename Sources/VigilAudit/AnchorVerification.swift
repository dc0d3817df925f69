import Foundation

/// Where an event stands: its global position, stream and version, and, in an export, its line.
public struct EventPlace: Sendable, Equatable, CustomStringConvertible {
    /// The event's global position.
    public var position: Int64
    /// The event's stream.
    public var stream: String
    /// The event's version in its stream.
    public var version: Int64
    /// The export line it is on (1 is the first), or nil when it was read from the database.
    public var line: Int?

    /// A place.
    public init(position: Int64, stream: String, version: Int64, line: Int? = nil) {
        self.position = position
        self.stream = stream
        self.version = version
        self.line = line
    }

    /// "line 17: event at position 42 (stream s, version 3)".
    public var description: String {
        let event = "event at position \(position) (stream \(stream), version \(version))"
        return line.map { "line \($0): \(event)" } ?? event
    }
}

/// What a verification found wrong: the first thing, named as precisely as the evidence allows.
///
/// The anchor holds one root, not a list of streams, so a change that rewrote the hashes after it can
/// be told only as "the log as of position P is not the one signed" (`rootMismatch`) or by the counts;
/// a change that left the stored hashes alone is found at its event.
public enum AuditFailure: Sendable, Equatable, CustomStringConvertible {
    /// The anchor's signature does not verify with its own key: the anchor was altered or forged.
    case badSignature
    /// The anchor verifies, but with a key other than the trusted one (both in hex).
    case untrustedKey(anchorKey: String, trustedKey: String)
    /// An export line that is not a JSON object with the fields an event line needs.
    case malformedLine(line: Int, reason: String)
    /// An event whose position is not after the one before it.
    case outOfOrder(EventPlace, previousPosition: Int64)
    /// An export line whose stream or version is not the one in the canonical text it carries.
    case canonicalMismatch(EventPlace, reason: String)
    /// An event whose hash is not SHA-256(previous hash ‖ its canonical text): a changed event.
    case changedEvent(EventPlace)
    /// A stream's chain skips from one version to a later one: version `missing` was removed (the
    /// place is the event found where it should be).
    case removedEvent(stream: String, missing: Int64, found: EventPlace)
    /// A version that appears again, or after a later one.
    case repeatedVersion(EventPlace, head: Int64)
    /// Fewer streams hold an event at or before the anchor's position than the anchor counted: a whole
    /// stream was removed.
    case streamsMissing(lastPosition: Int64, anchored: Int, found: Int)
    /// Fewer events at or before the anchor's position than it counted: events were removed (from the
    /// end of a stream, where no gap shows).
    case eventsMissing(lastPosition: Int64, anchored: Int, found: Int)
    /// More events at or before the anchor's position than it counted: events were put into the past.
    case eventsAdded(lastPosition: Int64, anchored: Int, found: Int)
    /// The counts agree but the Merkle root does not: an event at or before the position was changed
    /// and its stream's hashes rewritten to hide it (or streams were swapped).
    case rootMismatch(lastPosition: Int64)
    /// An event whose id is not the one its command gives the event at its place in the command (0037):
    /// changed, an earlier event of the command removed, or (recorded before 0037) an id another command
    /// needs. `index` is its place in the command (0 is the first).
    case foreignEventId(EventPlace, command: String, index: Int64)
    /// A command's first event counts `declared` events (0037's `commandEvents`) and `present` are in
    /// the log (`declared` nil: its count is not a whole number).
    case commandEventsMissing(EventPlace, command: String, declared: Int64?, present: Int64)
    /// An event that names no command, after the first event with its command's id (at `idsFrom`):
    /// every append since 0037 names a command.
    case noCommand(EventPlace, idsFrom: Int64)

    /// The failure in the user's words.
    public var description: String {
        switch self {
        case .badSignature:
            return "the anchor's signature does not verify: the anchor was altered or was not signed by its key"
        case .untrustedKey(let anchorKey, let trustedKey):
            return "the anchor was signed by key \(anchorKey), not by the trusted key \(trustedKey)"
        case .malformedLine(let line, let reason):
            return "line \(line): \(reason)"
        case .outOfOrder(let place, let previous):
            return "\(place): its position is not after the previous one (\(previous))"
        case .canonicalMismatch(let place, let reason):
            return "\(place): \(reason)"
        case .changedEvent(let place):
            return "\(place): its hash does not match its contents and the previous hash: the event was changed"
        case .removedEvent(let stream, let missing, let found):
            return "\(found): stream \(stream) skips version \(missing): an event was removed"
        case .repeatedVersion(let place, let head):
            return "\(place): the stream is at version \(head) already: a version repeated or out of order"
        case .streamsMissing(let position, let anchored, let found):
            return "as of position \(position) the anchor counted \(anchored) streams and the log has \(found): "
                + "\(anchored - found) stream(s) removed"
        case .eventsMissing(let position, let anchored, let found):
            return "as of position \(position) the anchor counted \(anchored) events and the log has \(found): "
                + "\(anchored - found) event(s) removed"
        case .eventsAdded(let position, let anchored, let found):
            return "as of position \(position) the anchor counted \(anchored) events and the log has \(found): "
                + "\(found - anchored) event(s) put into the past"
        case .rootMismatch(let position):
            return "the log as of position \(position) is not the one the anchor signed (its Merkle root differs): "
                + "an event was changed and its chain rewritten"
        case .foreignEventId(let place, let command, let index):
            return "\(place): its id is not the one its command \(command) gives the event at place \(index) of the command: "
                + "it was changed, an event of the command before it was removed, or, recorded before 0037, it took an id "
                + "another command needs, or it was put in by hand"
        case .noCommand(let place, let from):
            return "\(place): it names no command, and every append since the event at position \(from) (0037) names one: "
                + "it was put in by hand"
        case .commandEventsMissing(let place, let command, let declared, let present):
            guard let declared else {
                return "\(place): its command \(command) counts its events with a number that is not whole: the count was changed"
            }
            return present < declared
                ? "\(place): its command \(command) appended \(declared) events, and only \(present) of them are in the log: the last were removed"
                : "\(place): its command \(command) appended \(declared) events, and \(present) in the log carry its id: events were added to it"
        }
    }
}

/// The outcome of verifying a log, or an export of it, against an anchor.
public struct AnchorVerification: Sendable, Equatable {
    /// The anchor verified against.
    public var anchor: LogAnchor
    /// True when a trusted key was given and it signed the anchor; false when only the anchor's own key
    /// was checked (which proves the anchor is intact, not who made it).
    public var keyTrusted: Bool
    /// Streams found holding an event at or before the anchor's position.
    public var streams: Int
    /// Events found at or before the anchor's position.
    public var events: Int
    /// Every event whose chain was recomputed, after the anchor's position too.
    public var checked: Int
    /// The last position read.
    public var lastPosition: Int64
    /// The Merkle root recomputed as of the anchor's position (empty when verification stopped earlier).
    public var merkleRoot: [UInt8]
    /// The first thing that failed, or nil when the log extends the anchor.
    public var failure: AuditFailure?

    /// A result that has found nothing yet.
    package init(anchor: LogAnchor) {
        self.anchor = anchor
        keyTrusted = false
        streams = 0
        events = 0
        checked = 0
        lastPosition = 0
        merkleRoot = []
        failure = nil
    }

    /// True when the log extends the anchor: nothing at or before its position removed or changed, and
    /// the signature verifies.
    public var holds: Bool { failure == nil }
}

extension AnchorVerification {
    /// Takes what `checker` found as of the anchor's position, and the first failure: the one met while
    /// reading, else the comparison with the anchor. The one ending of verifying a log and an export.
    package mutating func conclude(_ checker: inout ChainChecker, failure: AuditFailure?) {
        let state = checker.stateAtAnchor()
        streams = state.streams
        events = state.events
        merkleRoot = state.root
        checked = checker.checked
        lastPosition = checker.lastPosition
        self.failure = failure ?? checker.compare(with: anchor) ?? checker.finish()
    }
}
