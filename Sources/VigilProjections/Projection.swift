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
    /// What it means in the domain.
    public var event: VigilEvent

    /// Decodes a stored event; an event that does not decode is an error naming its position.
    public init(_ payload: LoggedPayload) throws {
        switch DecodedEvent.decode(payload) {
        case .success(let decoded): self = decoded
        case .failure(let unreadable):
            throw EventStoreError.corruptEvent(position: unreadable.checkpoint.position, reason: unreadable.reason)
        }
    }

    /// An event with its place in commit order.
    public init(checkpoint: Checkpoint, event: VigilEvent) {
        self.checkpoint = checkpoint
        self.event = event
    }

    /// Decodes a stored event, or says why it cannot be read.
    static func decode(_ payload: LoggedPayload) -> Result<DecodedEvent, UnreadableEvent> {
        do {
            let event = try EventCodec.decode(type: payload.type, schemaVersion: payload.schemaVersion, data: payload.data)
            return .success(DecodedEvent(checkpoint: payload.checkpoint, event: event))
        } catch {
            return .failure(UnreadableEvent(checkpoint: payload.checkpoint, type: payload.type, reason: "\(error)"))
        }
    }
}

/// An event no projection can read (a type this version does not know, a payload that does not decode):
/// the runner sets it aside in the quarantine with the reason, and moves on.
struct UnreadableEvent: Error, Sendable {
    var checkpoint: Checkpoint
    var type: String
    var reason: String
}

/// One read of the log, decoded: the events projections fold, those they set aside, and where it ends.
struct LogBatch: Sendable {
    var events: [DecodedEvent]
    var unreadable: [UnreadableEvent]
    /// The first and last event read, readable or not.
    var first: Checkpoint
    var last: Checkpoint

    /// Decodes what was read; nil when nothing was.
    init?(_ payloads: [LoggedPayload]) {
        guard let first = payloads.first, let last = payloads.last else { return nil }
        self.first = first.checkpoint
        self.last = last.checkpoint
        events = []
        events.reserveCapacity(payloads.count)
        unreadable = []
        for payload in payloads {
            switch DecodedEvent.decode(payload) {
            case .success(let decoded): events.append(decoded)
            case .failure(let bad): unreadable.append(bad)
            }
        }
    }

    /// How many events were read.
    var count: Int { events.count + unreadable.count }

    /// The part of the batch after `checkpoint` (for a rebuild that resumed further along); nil when none is.
    func after(_ checkpoint: Checkpoint) -> LogBatch? {
        if first > checkpoint { return self }
        guard last > checkpoint else { return nil }
        var part = self
        part.events = events.filter { $0.checkpoint > checkpoint }
        part.unreadable = unreadable.filter { $0.checkpoint > checkpoint }
        part.first = min(part.events.first?.checkpoint ?? last, part.unreadable.first?.checkpoint ?? last)
        return part
    }
}

/// Every projection Vigil keeps, in the order they are brought up to date.
public enum Projections {
    public static let all: [any Projection] = [MissionsProjection(), CampaignsProjection(), ActivityProjection(), WeeklyProjection()]

    /// The projection called `name`, or nil.
    public static func named(_ name: String) -> (any Projection)? { all.first { $0.name == name } }

    public static var names: [String] { all.map(\.name) }
}
