import Foundation
import VigilDomain

/// The old shapes of events, and how each is read as the next one. The log never changes: an event keeps
/// the shape it was written in, and a reader turns it into today's when it reads it, one version at a
/// time, so a log written by any earlier Vigil replays, rebuilds and verifies.
enum Upcasters {
    /// By type name and version n: the payload of version n as the JSON of version n + 1.
    static let steps: [String: [Int: @Sendable (String) throws -> String]] = [
        SignatureRecorded.eventType: [1: { try step($0, SignatureRecordedV1.self) { $0.upcast() } }],
        SignaturesImported.eventType: [1: { try step($0, SignaturesImportedV1.self) { $0.upcast() } }],
    ]

    /// `data`, written in version `from` of `type`, as version `to`.
    static func upcast(type: String, from: Int, to: Int, data: String) throws -> String {
        guard from != to else { return data }
        guard from >= 1, from < to else {
            throw DomainError.invalid(
                field: "event \(type)", reason: "it is version \(from) of its shape, and this Vigil reads versions 1 to \(to); upgrade Vigil")
        }
        var text = data
        for version in from..<to {
            guard let step = steps[type]?[version] else {
                throw DomainError.invalid(field: "event \(type)", reason: "version \(version) of its shape has no upcaster to version \(version + 1)")
            }
            text = try step(text)
        }
        return text
    }

    /// Decodes `text` as `Old`, maps it, and encodes the result as the codec writes payloads.
    static func step<Old: Decodable, New: Encodable>(_ text: String, _ old: Old.Type, _ map: (Old) -> New) throws -> String {
        let decoded = try JSONPayload(text: text).decode(Old.self)
        return String(decoding: try EventCodec.json(map(decoded)), as: UTF8.self)
    }
}

/// `SignatureRecorded` version 1: the signer as an HMAC-SHA-256 of the normalised identity under one
/// global key (destroyed by migration 0025). Read as version 2 without it: the reference is dropped on
/// reading and goes no further than this decoder.
struct SignatureRecordedV1: Decodable {
    var petitionId: String
    var signerRef: String
    var country: String?
    var channel: SignatureChannel
    var recordedAt: Date

    func upcast() -> SignatureRecorded {
        SignatureRecorded(petitionId: petitionId, subjectId: nil, country: country, channel: channel, recordedAt: recordedAt)
    }
}

/// `SignaturesImported` version 1: every signer's keyed reference. Read as version 2: their count.
struct SignaturesImportedV1: Decodable {
    var petitionId: String
    var channel: SignatureChannel
    var signerRefs: [String]
    var byCountry: [String: Int]
    var duplicatesSkipped: Int
    var recordedAt: Date

    func upcast() -> SignaturesImported {
        SignaturesImported(
            petitionId: petitionId, channel: channel, count: signerRefs.count, byCountry: byCountry, duplicatesSkipped: duplicatesSkipped,
            recordedAt: recordedAt)
    }
}
