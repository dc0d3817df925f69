import Foundation

/// An event of any aggregate, as stored: a type name that never changes once written, and a JSON payload.
public protocol DomainEvent: Sendable, Equatable {
    /// The stored type name, such as `MissionRegistered`.
    var eventType: String { get }
    /// The payload, encoded as JSON with sorted keys.
    func encodedData() throws -> Data
    /// Decodes a stored event; nil when `type` is not one of this aggregate's events.
    static func decode(type: String, data: Data) throws -> Self?
}

/// The JSON coding every event payload uses: sorted keys, ISO 8601 instants in UTC.
public enum EventJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data { try encoder().encode(value) }
    static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T { try decoder().decode(type, from: data) }
}

/// Any event Vigil records, for readers of the whole log (projections, audits).
public enum VigilEvent: Sendable, Equatable {
    case mission(MissionEvent)
    case gathering(GatheringEvent)

    /// Decodes a stored event of any aggregate.
    ///
    /// - Throws: `DomainError.invalid` naming the type when the type is unknown or the payload does not decode.
    public static func decode(type: String, data: Data) throws -> VigilEvent {
        do {
            if let event = try MissionEvent.decode(type: type, data: data) { return .mission(event) }
            if let event = try GatheringEvent.decode(type: type, data: data) { return .gathering(event) }
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
