import Foundation
import VigilEncoding
import PostgresClient

/// What an append expects of its stream's version.
public enum ExpectedVersion: Sendable, Equatable, CustomStringConvertible {
    /// Append whatever the version is.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream must be at exactly this version (1 is the first event).
    case exact(Int64)

    var parameter: Int64? {
        switch self {
        case .any: return nil
        case .noStream: return 0
        case .exact(let n): return n
        }
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .noStream: return "no stream"
        case .exact(let n): return String(n)
        }
    }
}

/// A stream the decision read, and the version it read it at: an append conditioned on it is refused
/// (as `EventStoreError.wrongExpectedVersion`, naming this stream) when the stream has moved since.
public struct StreamCondition: Sendable, Equatable {
    /// The stream that was read.
    public var stream: String
    /// Its version when it was read; 0 when it did not exist (then it must still not exist).
    public var version: Int64

    /// A condition that `stream` is still at `version` (0: still does not exist).
    public init(stream: String, version: Int64) {
        self.stream = stream
        self.version = version
    }
}

/// An event to append: its stored type name, schema version and JSON payload. Its id is not the
/// caller's: the store gives it the one its command's id and its place in the command give it
/// (`CommandEventId`, migration 0037), which the log's unique index on event ids then keeps from being
/// recorded twice.
public struct NewEvent: Sendable, Equatable {
    public var type: String
    public var schemaVersion: Int
    /// The payload as a JSON object's text.
    public var data: String

    public init(type: String, schemaVersion: Int = 1, data: String) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
    }
}

/// Who appended, on behalf of which command, in answer to what.
public struct EventMetadata: Sendable, Equatable {
    /// The command's id: a UUID the CLI made, or an idempotency key the user gave. A second append
    /// with the same id appends nothing and returns the first one's result.
    public var commandId: String
    public var actor: String
    public var correlationId: UUID?
    public var causationId: UUID?
    /// Anything else worth keeping with the events, such as the CLI version.
    public var extra: [String: String]

    public init(
        commandId: String, actor: String, correlationId: UUID? = nil, causationId: UUID? = nil,
        extra: [String: String] = [:]
    ) {
        self.commandId = commandId
        self.actor = actor
        self.correlationId = correlationId
        self.causationId = causationId
        self.extra = extra
    }
}

/// Where appended events landed.
public struct AppendResult: Sendable, Equatable {
    public struct Appended: Sendable, Equatable {
        public var position: Int64
        public var version: Int64
    }

    public var streamId: String
    /// The stream's version after the append.
    public var version: Int64
    /// Each event's global position and stream version, in order.
    public var events: [Appended]
    /// The transaction that appended them (nil when the command appended nothing).
    public var transactionId: UInt64?

    /// Where the last appended event stands in commit order: a reader past it has seen them all.
    public var checkpoint: Checkpoint? {
        guard let transactionId, let last = events.last else { return nil }
        return Checkpoint(transactionId: transactionId, position: last.position)
    }
}

/// An event as the log holds it.
public struct RecordedEvent: Sendable, Equatable {
    public var position: Int64
    public var transactionId: UInt64
    public var streamId: String
    public var version: Int64
    public var id: UUID
    public var type: String
    public var schemaVersion: Int
    /// The payload as JSON text.
    public var data: String
    /// The metadata as JSON text.
    public var metadata: String
    public var commandId: String?
    public var actor: String
    public var recordedAt: Date

    /// The commit-order pair of this event, for checkpoints.
    public var checkpoint: Checkpoint { Checkpoint(transactionId: transactionId, position: position) }
}

/// An event as projections read it: its place in commit order, its type and its payload.
public struct LoggedPayload: Sendable, Equatable {
    public var checkpoint: Checkpoint
    public var type: String
    /// The version of the payload's shape it was written in.
    public var schemaVersion: Int
    /// The payload as JSON text.
    public var data: String

    public init(checkpoint: Checkpoint, type: String, schemaVersion: Int = 1, data: String) {
        self.checkpoint = checkpoint
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
    }
}

/// A place in the log in commit order: the pair (transaction id, global position).
public struct Checkpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var transactionId: UInt64
    public var position: Int64

    public init(transactionId: UInt64, position: Int64) {
        self.transactionId = transactionId
        self.position = position
    }

    /// Before the first event.
    public static let start = Checkpoint(transactionId: 0, position: 0)

    public static func < (a: Checkpoint, b: Checkpoint) -> Bool {
        (a.transactionId, a.position) < (b.transactionId, b.position)
    }

    public var description: String { "\(transactionId)/\(position)" }
}

/// The event store's own errors; anything else is a `PostgresError`.
public enum EventStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stream was not at the version the append expected; nothing was appended.
    case wrongExpectedVersion(stream: String, expected: ExpectedVersion, actual: Int64)
    /// The command was handled before; nothing was appended, and `first` is what it appended then.
    case duplicateCommand(commandId: String, first: AppendResult)
    /// The command id was handled before for a command with other content (another fingerprint);
    /// nothing was appended.
    case keyReused(commandId: String)
    /// A stored event could not be read back.
    case corruptEvent(position: Int64, reason: String)

    public var description: String {
        switch self {
        case .wrongExpectedVersion(let stream, let expected, let actual):
            return "stream \(stream) is at version \(actual), not \(expected): someone else changed it first"
        case .duplicateCommand(let id, let first):
            return "command \(id) was already handled (stream \(first.streamId), version \(first.version))"
        case .keyReused(let id):
            return "command id \(id) was already used for a different command; use a new key"
        case .corruptEvent(let position, let reason):
            return "event at position \(position) cannot be read: \(reason)"
        }
    }
}

/// JSON string literal for `text`, with the escapes RFC 8259 requires.
func jsonString(_ text: String) -> String { JSONText.string(text) }
