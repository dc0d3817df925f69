import Foundation
import VigilEncoding

/// An event of any aggregate, as stored: a type name that never changes once written, and a JSON payload.
public protocol DomainEvent: Sendable, Equatable {
    /// The stored type name, such as `MissionRegistered`.
    var eventType: String { get }
    /// The payload, encoded as JSON with sorted keys.
    func encodedData() throws -> Data
    /// Decodes a stored event; nil when `type` is not one of this aggregate's events.
    static func decode(type: String, data: Data) throws -> Self?
}

/// One event's payload: a Codable struct with the type name it is stored under.
public protocol EventPayload: Codable, Sendable, Equatable {
    /// The stored type name. It never changes once written; a new shape gets a new type or an upcaster.
    static var eventType: String { get }
}

/// An aggregate's event enum, whose cases each wrap one payload.
public protocol PayloadEvent: DomainEvent {
    /// The payload of this event.
    var payload: any EventPayload { get }
    /// How to decode each stored type name of this aggregate.
    static var decoders: [String: @Sendable (Data) throws -> Self] { get }
}

extension PayloadEvent {
    public var eventType: String { type(of: payload).eventType }

    public func encodedData() throws -> Data { try EventJSON.encoder().encode(payload) }

    public static func decode(type: String, data: Data) throws -> Self? {
        guard let decoder = decoders[type] else { return nil }
        return try decoder(data)
    }

    /// A decoder entry for `decoders`: `P`'s type name, decoding to the case `wrap`.
    public static func entry<P: EventPayload>(_ payload: P.Type, _ wrap: @escaping @Sendable (P) -> Self)
        -> (String, @Sendable (Data) throws -> Self)
    {
        (P.eventType, { wrap(try EventJSON.decodePayload(P.self, from: $0)) })
    }
}

/// The JSON coding every event payload uses: sorted keys, ISO 8601 instants in UTC.
public enum EventJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    /// One decoder for every stored event rather than one made per event (`JSONDecoder` is safe to share
    /// once configured).
    static let sharedDecoder = decoder()

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "\"\(text.prefix(40))\" is not an ISO 8601 instant such as 2004-12-22T17:00:00Z")
            }
            return date
        }
        return decoder
    }

    /// A stored payload: the fast path where it applies, else `JSONDecoder`, whose value or error stands.
    static func decodePayload<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        if let value = try? PayloadJSON.decode(type, from: data) { return value }
        return try sharedDecoder.decode(type, from: data)
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data { try encoder().encode(value) }
    static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T { try decoder().decode(type, from: data) }
}

/// Any event Vigil records, for readers of the whole log (projections, audits).
public enum VigilEvent: Sendable, Equatable {
    case campaign(CampaignEvent)
    case mission(MissionEvent)
    case gathering(GatheringEvent)
    case recurrence(RecurrenceEvent)
    case petition(PetitionEvent)

    /// Decodes a stored event of any aggregate.
    ///
    /// - Throws: `DomainError.invalid` naming the type when the type is unknown or the payload does not decode.
    public static func decode(type: String, data: Data) throws -> VigilEvent {
        do {
            if let event = try CampaignEvent.decode(type: type, data: data) { return .campaign(event) }
            if let event = try MissionEvent.decode(type: type, data: data) { return .mission(event) }
            if let event = try GatheringEvent.decode(type: type, data: data) { return .gathering(event) }
            if let event = try RecurrenceEvent.decode(type: type, data: data) { return .recurrence(event) }
            if let event = try PetitionEvent.decode(type: type, data: data) { return .petition(event) }
        } catch {
            throw DomainError.invalid(field: "event \(type)", reason: "its payload does not decode: \(error)")
        }
        throw DomainError.invalid(field: "event \(type)", reason: "is not an event type this version of Vigil knows")
    }
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
