import Foundation
import VigilDomain
import VigilEncoding

/// An event as it is stored: its type name, the version of its payload's shape, and the payload as JSON.
public struct EncodedEvent: Sendable, Equatable {
    /// The stored type name, such as `MissionRegistered`.
    public var type: String
    /// The version of the payload's shape under that name.
    public var schemaVersion: Int
    /// The payload as JSON text: sorted keys, instants as ISO 8601 in UTC.
    public var data: String

    /// An encoded event from its parts.
    public init(type: String, schemaVersion: Int, data: String) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
    }
}

/// Events to and from their stored payloads, and Vigil's other JSON: the one place that knows how an
/// event is written down.
public enum EventCodec {
    /// Encodes an event's payload: sorted keys, no escaped slashes, instants as ISO 8601 in UTC.
    public static func encode<E: DomainEvent>(_ event: E) throws -> EncodedEvent {
        let payload = event.payload
        let data = try compact.encode(payload)
        return EncodedEvent(type: event.eventType, schemaVersion: type(of: payload).schemaVersion, data: String(decoding: data, as: UTF8.self))
    }

    /// Decodes a stored event of one aggregate, written in version `schemaVersion` of its type's shape:
    /// an older shape is upcast to the current one first (`Upcasters`).
    ///
    /// - Returns: nil when `type` is not one of `E`'s stored types.
    /// - Throws: `DomainError.invalid` naming the type when the payload does not decode, or its version
    ///   is one this Vigil cannot read.
    public static func decode<E: DomainEvent>(_ aggregate: E.Type, type: String, schemaVersion: Int, data: String) throws -> E? {
        guard let stored = E.storedTypes[type] else { return nil }
        do {
            let current = try Upcasters.upcast(type: type, from: schemaVersion, to: stored.payload.schemaVersion, data: data)
            return try stored.event(from: JSONPayload(text: current))
        } catch let error as DomainError {
            throw error
        } catch {
            throw DomainError.invalid(field: "event \(type)", reason: "its payload does not decode: \(problem(error))")
        }
    }

    /// Decodes a stored event of any aggregate, written in version `schemaVersion` of its type's shape.
    ///
    /// - Throws: `DomainError.invalid` naming the type when the type is unknown or the payload does not decode.
    public static func decode(type: String, schemaVersion: Int, data: String) throws -> VigilEvent {
        guard let event = try decode(VigilEvent.self, type: type, schemaVersion: schemaVersion, data: data) else {
            throw DomainError.invalid(field: "event \(type)", reason: "is not an event type this version of Vigil knows")
        }
        return event
    }

    /// Decodes a payload written in its type's current shape (one just encoded).
    public static func decode<E: DomainEvent>(_ aggregate: E.Type, type: String, data: String) throws -> E? {
        guard let stored = E.storedTypes[type] else { return nil }
        return try decode(aggregate, type: type, schemaVersion: stored.payload.schemaVersion, data: data)
    }

    /// Decodes a payload of any aggregate written in its type's current shape (one just encoded).
    public static func decode(type: String, data: String) throws -> VigilEvent {
        let version = VigilEvent.storedTypes[type]?.payload.schemaVersion ?? 1
        return try decode(type: type, schemaVersion: version, data: data)
    }

    /// What is wrong with a payload that did not decode, in words ("field startsAt is missing"), rather
    /// than the dump `DecodingError` prints: the field and what was wrong with it.
    public static func problem(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func field(_ path: [CodingKey]) -> String {
            guard !path.isEmpty else { return "the payload" }
            var name = ""
            for key in path {
                if let index = key.intValue { name += "[\(index)]" } else { name += (name.isEmpty ? "" : ".") + key.stringValue }
            }
            return "field \(name)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(field(context.codingPath + [key])) is missing"
        case .valueNotFound(let type, let context): return "\(field(context.codingPath)) is null, not a \(type)"
        case .typeMismatch(let type, let context): return "\(field(context.codingPath)) is not a \(type)"
        case .dataCorrupted(let context): return "\(field(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// A state, report or any other value as JSON, with sorted keys and instants as ISO 8601 in UTC: what
    /// audit replays and reports print.
    public static func json<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        try (pretty ? self.pretty : compact).encode(value)
    }

    /// A replayed state or any value for a reader, person or machine: like `json`, and dates and wall
    /// times as ISO 8601 text too (`2004-12-22`, `2004-12-22T12:00`) rather than the `{"day":…,"month":…}`
    /// objects stored payloads keep (`CodingUserInfoKey.readableTimes`).
    public static func readableJSON<T: Encodable>(_ value: T) throws -> Data {
        try readable.encode(value)
    }

    /// Payloads and compact output. `JSONEncoder` and `JSONDecoder` are safe to share once configured.
    static let compact = encoder([.sortedKeys, .withoutEscapingSlashes])
    static let pretty = encoder([.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
    static let readable = encoder([.sortedKeys, .withoutEscapingSlashes], readableTimes: true)

    static func encoder(_ formatting: JSONEncoder.OutputFormatting, readableTimes: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        if readableTimes { encoder.userInfo[.readableTimes] = true }
        encoder.outputFormatting = formatting
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    /// The decoder of stored payloads.
    static let decoder: JSONDecoder = {
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
    }()
}

/// One stored payload, read as the type the domain asks for.
struct JSONPayload: PayloadDecoding {
    let text: String

    /// The fast path where it applies, else `JSONDecoder`, whose value or error stands.
    func decode<P: Decodable>(_ type: P.Type) throws -> P {
        if let value = try? PayloadJSON.decode(P.self, from: text) { return value }
        return try EventCodec.decoder.decode(P.self, from: Data(text.utf8))
    }
}

extension EventCodec {
    /// `event` with every value of a field that `EventFields` classes as sealed (organiser or
    /// restricted) replaced by what `seal` returns for it (a reference to the vault): a string as it is,
    /// and every string inside an array or an object. Null values, numbers and public fields stay. An
    /// event with nothing to seal is returned as it is, and `seal` is not called.
    public static func sealingFields(_ event: EncodedEvent, _ seal: (String, FieldClass) throws -> String) throws -> EncodedEvent {
        let fields = EventFields.sealed(event.type)
        guard !fields.isEmpty,
            var object = try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any],
            fields.keys.contains(where: { object[$0].map { !($0 is NSNull) } ?? false })
        else { return event }
        func walk(_ value: Any, _ fieldClass: FieldClass) throws -> Any {
            switch value {
            case let text as String: return try seal(text, fieldClass)
            case let array as [Any]: return try array.map { try walk($0, fieldClass) }
            case let object as [String: Any]: return try object.mapValues { try walk($0, fieldClass) }
            default: return value
            }
        }
        for (key, fieldClass) in fields.sorted(by: { $0.key < $1.key }) {
            if let value = object[key] { object[key] = try walk(value, fieldClass) }
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return EncodedEvent(type: event.type, schemaVersion: event.schemaVersion, data: String(decoding: data, as: UTF8.self))
    }
}
