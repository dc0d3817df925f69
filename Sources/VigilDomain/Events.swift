import Foundation

/// One event's payload: a Codable struct with the type name it is stored under.
public protocol EventPayload: Codable, Sendable, Equatable {
    /// The stored type name. It never changes once written; a new shape gets a new type or an upcaster.
    static var eventType: String { get }
    /// The version of the payload's shape under that name: 1 until a shape changes.
    static var schemaVersion: Int { get }
}

extension EventPayload {
    /// Every payload is at its first shape.
    public static var schemaVersion: Int { 1 }
}

/// Reads one stored payload as the type asked for. The codec implements it, so the domain names each
/// event's payload type without knowing how payloads are stored.
public protocol PayloadDecoding {
    /// The payload as a `P`; throws when it is not one.
    func decode<P: Decodable>(_ type: P.Type) throws -> P
}

/// One stored type name of an aggregate's events: the payload type stored under it, and the case that
/// wraps that payload.
public struct StoredType<Event>: Sendable {
    /// The stored type name, such as `MissionRegistered`.
    public let name: String
    /// The payload type stored under `name`.
    public let payload: any EventPayload.Type
    let wrap: @Sendable (any PayloadDecoding) throws -> Event

    /// `P` stored under its type name, read as the case `wrap`.
    public init<P: EventPayload>(_ payload: P.Type, _ wrap: @escaping @Sendable (P) -> Event) {
        name = P.eventType
        self.payload = payload
        self.wrap = { wrap(try $0.decode(P.self)) }
    }

    init(name: String, payload: any EventPayload.Type, wrap: @escaping @Sendable (any PayloadDecoding) throws -> Event) {
        self.name = name
        self.payload = payload
        self.wrap = wrap
    }

    /// The event a stored payload holds; throws what `payload` throws when it does not decode.
    public func event(from payload: any PayloadDecoding) throws -> Event { try wrap(payload) }

    /// The same type name and payload, wrapped once more (an aggregate's event as a `VigilEvent`).
    public func map<T>(_ transform: @escaping @Sendable (Event) -> T) -> StoredType<T> {
        let wrap = self.wrap
        return StoredType<T>(name: name, payload: payload) { transform(try wrap($0)) }
    }

    /// A table of stored types by name. Names are unique across the domain (a test checks it); were one
    /// repeated, the first would stand.
    public static func table(_ types: [StoredType<Event>]) -> [String: StoredType<Event>] {
        Dictionary(types.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// An event of any aggregate: a payload stored under a type name that never changes once written.
public protocol DomainEvent: Sendable, Equatable {
    /// The stored type name, such as `MissionRegistered`.
    var eventType: String { get }
    /// The payload of this event.
    var payload: any EventPayload { get }
    /// Every stored type of this aggregate's events, by name: what a stored event can be read as.
    static var storedTypes: [String: StoredType<Self>] { get }
}

extension DomainEvent {
    /// The payload's stored type name.
    public var eventType: String { type(of: payload).eventType }
}

/// Any event Vigil records, for readers of the whole log (projections, audits).
public enum VigilEvent: DomainEvent {
    case campaign(CampaignEvent)
    case mission(MissionEvent)
    case gathering(GatheringEvent)
    case recurrence(RecurrenceEvent)
    case petition(PetitionEvent)
    case erasure(ErasureEvent)

    /// The payload of the aggregate's event.
    public var payload: any EventPayload {
        switch self {
        case .campaign(let e): return e.payload
        case .mission(let e): return e.payload
        case .gathering(let e): return e.payload
        case .recurrence(let e): return e.payload
        case .petition(let e): return e.payload
        case .erasure(let e): return e.payload
        }
    }

    /// Every aggregate's stored types, in one table.
    public static let storedTypes = StoredType.table(
        CampaignEvent.storedTypes.values.map { $0.map(VigilEvent.campaign) }
            + MissionEvent.storedTypes.values.map { $0.map(VigilEvent.mission) }
            + GatheringEvent.storedTypes.values.map { $0.map(VigilEvent.gathering) }
            + RecurrenceEvent.storedTypes.values.map { $0.map(VigilEvent.recurrence) }
            + PetitionEvent.storedTypes.values.map { $0.map(VigilEvent.petition) }
            + ErasureEvent.storedTypes.values.map { $0.map(VigilEvent.erasure) }
    )
}

/// Who acts, when: what every command brings with it, so that the domain reads no clock.
public struct CommandContext: Sendable, Equatable {
    public var now: Date
    public var actor: String

    public init(now: Date, actor: String) {
        self.now = now
        self.actor = actor
    }
}
