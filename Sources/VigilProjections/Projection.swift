import EventStore
import Foundation
import PostgresClient
import VigilCodec
import VigilDomain

/// A projection: a pure fold of events into a read model, and the SQL that loads and stores its rows.
///
/// A batch is applied by loading only the rows it touches, folding it in memory, and writing back the
/// rows that changed, in the runner's transaction together with the checkpoint.
public protocol Projection: Sendable {
    associatedtype Model: Equatable & Sendable
    /// The name that keys the checkpoint and the advisory lock.
    var name: String { get }
    /// The logical names of the tables it owns (under `vigil_read`).
    var tables: [String] { get }
    /// The model before any event.
    func emptyModel() -> Model
    /// Folds one event into the model. Pure: no I/O.
    func fold(_ model: inout Model, _ event: DecodedEvent)
    /// The stored rows the batch's events touch.
    func load(for batch: [DecodedEvent], tables: ProjectionTables, connection: Connection) throws -> Model
    /// Every stored row.
    func loadAll(tables: ProjectionTables, connection: Connection) throws -> Model
    /// Writes the rows that differ between `model` and `before`.
    func save(_ model: Model, changedFrom before: Model, tables: ProjectionTables, connection: Connection) throws
}

extension Projection {
    /// Applies a batch to the stored rows: load what it touches, fold, write what changed.
    func apply(_ batch: [DecodedEvent], tables: ProjectionTables, connection: Connection) throws {
        var model = try load(for: batch, tables: tables, connection: connection)
        let before = model
        for event in batch { fold(&model, event) }
        try save(model, changedFrom: before, tables: tables, connection: connection)
    }

    /// The model a replay of `events` gives, in memory.
    public func replay(_ events: [DecodedEvent]) -> Model {
        var model = emptyModel()
        for event in events { fold(&model, event) }
        return model
    }
}

/// An event read from the log together with its domain meaning.
public struct DecodedEvent: Sendable {
    /// Where it is in commit order.
    public var checkpoint: Checkpoint
    public var event: VigilEvent

    /// Decodes a stored event; an event that does not decode is an error naming its position.
    public init(_ payload: LoggedPayload) throws {
        checkpoint = payload.checkpoint
        do {
            event = try EventCodec.decode(type: payload.type, data: payload.data)
        } catch {
            throw EventStoreError.corruptEvent(position: payload.checkpoint.position, reason: "\(payload.type): \(error)")
        }
    }

    public init(checkpoint: Checkpoint, event: VigilEvent) {
        self.checkpoint = checkpoint
        self.event = event
    }
}

/// Every projection Vigil keeps, in the order they are brought up to date.
public enum Projections {
    public static let all: [any Projection] = [MissionsProjection(), CampaignsProjection(), ActivityProjection()]

    /// The projection called `name`, or nil.
    public static func named(_ name: String) -> (any Projection)? { all.first { $0.name == name } }

    public static var names: [String] { all.map(\.name) }
}
