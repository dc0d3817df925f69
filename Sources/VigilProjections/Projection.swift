import EventStore
import Foundation
import PostgresClient
import VigilDomain

/// A projection: a pure fold of events into read-model rows, and the SQL that loads and stores those rows.
public protocol Projection {
    /// The projection's name, which keys its checkpoint and its advisory lock.
    var name: String { get }
    /// Folds a batch of events into the read model. Called inside the runner's transaction, which also
    /// moves the checkpoint, so a batch is applied completely or not at all.
    func apply(_ batch: [DecodedEvent], connection: Connection) throws
}

/// An event read from the log together with its domain meaning.
public struct DecodedEvent: Sendable {
    public var recorded: RecordedEvent
    public var event: VigilEvent

    /// Decodes a stored event; an event that does not decode is an error naming its position.
    public init(_ recorded: RecordedEvent) throws {
        self.recorded = recorded
        do {
            self.event = try VigilEvent.decode(type: recorded.type, data: Data(recorded.data.utf8))
        } catch {
            throw EventStoreError.corruptEvent(position: recorded.position, reason: "\(error)")
        }
    }
}

/// Every projection Vigil keeps, in the order they are brought up to date.
public enum Projections {
    public static func all() -> [any Projection] { [MissionProjection()] }

    /// The projection called `name`, or nil.
    public static func named(_ name: String) -> (any Projection)? { all().first { $0.name == name } }
}
