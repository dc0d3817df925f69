import Foundation
import VigilEncoding

/// A petition collects signatures; a letter is delivered as it is.
public enum PetitionKind: String, Codable, Sendable, CaseIterable {
    case petition
    case letter
}

/// The text of one version of a petition or letter.
public struct PetitionText: Codable, Sendable, Equatable {
    public var title: String
    public var addressee: String
    public var text: String
    public var demands: [String]
}

/// A petition or letter was drafted (its version 1).
public struct PetitionDrafted: EventPayload {
    public static let eventType = "PetitionDrafted"
    public var petitionId: String
    public var campaignId: String?
    public var kind: PetitionKind
    public var content: PetitionText
    public var draftedAt: Date
}

/// A version was amended in place (not yet delivered) or a new version was made (the last was delivered).
public struct PetitionRevised: EventPayload {
    public static let eventType = "PetitionRevised"
    public var petitionId: String
    public var version: Int
    public var content: PetitionText
    public var revisedAt: Date
}

/// The petition opened for signatures.
public struct PetitionOpened: EventPayload {
    public static let eventType = "PetitionOpened"
    public var petitionId: String
    public var openedAt: Date
}

/// How a signature was given.
public enum SignatureChannel: String, Codable, Sendable, CaseIterable {
    case online
    case paper
}

/// One person signed. The signer is a keyed hash of their normalised identity: never a name or e-mail.
public struct SignatureRecorded: EventPayload {
    public static let eventType = "SignatureRecorded"
    public var petitionId: String
    /// HMAC-SHA-256 of the normalised identity, hex: the same person gives the same reference.
    public var signerRef: String
    public var country: String?
    public var channel: SignatureChannel
    public var recordedAt: Date
}

/// A batch of signatures counted by country (paper forms, an online export), without identities.
public struct SignaturesCounted: EventPayload {
    public static let eventType = "SignaturesCounted"
    public var petitionId: String
    public var channel: SignatureChannel
    /// Counts by ISO 3166 country code; "ZZ" where the country is unknown.
    public var byCountry: [String: Int]
    public var total: Int
    /// Where the batch is kept, as a reference (never a name).
    public var batchRef: String?
    public var recordedAt: Date
}

/// A batch of an import: keyed references of people who signed (never names or e-mails), and how many
/// came from each country.
public struct SignaturesImported: EventPayload {
    public static let eventType = "SignaturesImported"
    public var petitionId: String
    public var channel: SignatureChannel
    public var signerRefs: [String]
    /// Counts by ISO 3166 code ("ZZ" where unknown); they add up to `signerRefs.count`.
    public var byCountry: [String: Int]
    /// Rows of the batch left out because the person had signed already.
    public var duplicatesSkipped: Int
    public var recordedAt: Date
}

/// The petition stopped taking signatures.
public struct PetitionClosed: EventPayload {
    public static let eventType = "PetitionClosed"
    public var petitionId: String
    public var closedAt: Date
}

/// What came of an attempt to hand a petition or letter over.
public enum DeliveryOutcome: String, Codable, Sendable, CaseIterable {
    case accepted
    case refused
    /// Police or guards kept the delegation from the door.
    case blocked
    case nobodyCameOut = "nobody-came-out"
}

/// Someone tried to hand a version of the petition over at a mission.
public struct DeliveryAttempted: EventPayload {
    public static let eventType = "DeliveryAttempted"
    public var petitionId: String
    public var deliveryId: String
    public var missionId: String
    public var gatheringId: String?
    public var version: Int
    public var outcome: DeliveryOutcome
    /// Who took it, as they are described ("the duty officer"), when it was accepted.
    public var receivedBy: String?
    /// When it happened, as a UTC instant, and the wall time at the mission.
    public var attemptedAt: Date
    public var timeZone: String
    public var localTime: WallTime
    public var notes: String?
    public var recordedAt: Date
}

/// The events of a petition's stream.
public enum PetitionEvent: DomainEvent {
    case drafted(PetitionDrafted)
    case revised(PetitionRevised)
    case opened(PetitionOpened)
    case signed(SignatureRecorded)
    case counted(SignaturesCounted)
    case imported(SignaturesImported)
    case closed(PetitionClosed)
    case deliveryAttempted(DeliveryAttempted)

    /// The payload of this event.
    public var payload: any EventPayload {
        switch self {
        case .drafted(let e): return e
        case .revised(let e): return e
        case .opened(let e): return e
        case .signed(let e): return e
        case .counted(let e): return e
        case .imported(let e): return e
        case .closed(let e): return e
        case .deliveryAttempted(let e): return e
        }
    }

    /// Each stored type name of these events, and the case its payload is read as.
    public static let storedTypes = StoredType.table([
        StoredType(PetitionDrafted.self, PetitionEvent.drafted),
        StoredType(PetitionRevised.self, PetitionEvent.revised),
        StoredType(PetitionOpened.self, PetitionEvent.opened),
        StoredType(SignatureRecorded.self, PetitionEvent.signed),
        StoredType(SignaturesCounted.self, PetitionEvent.counted),
        StoredType(SignaturesImported.self, PetitionEvent.imported),
        StoredType(PetitionClosed.self, PetitionEvent.closed),
        StoredType(DeliveryAttempted.self, PetitionEvent.deliveryAttempted),
    ])
}

/// Where a petition stands.
public enum PetitionStatus: String, Codable, Sendable {
    case draft
    case open
    case closed
}

/// A signer's keyed reference (HMAC-SHA-256, written as 64 hex digits in events) as its 32 bytes.
public struct SignerKey: Hashable, Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    /// Nil unless `hex` is 64 hex digits (either case).
    public init?(hex: String) {
        // Digit by digit into the words, without an array per key: a petition's state reads a million.
        var text = hex
        let parsed = text.withUTF8 { digits -> (UInt64, UInt64, UInt64, UInt64)? in
            guard digits.count == 64 else { return nil }
            func word(_ from: Int) -> UInt64? {
                var value: UInt64 = 0
                for c in digits[from..<(from + 16)] {
                    guard let digit = Hex.digit(c) else { return nil }
                    value = value << 4 | UInt64(digit)
                }
                return value
            }
            guard let a = word(0), let b = word(16), let c = word(32), let d = word(48) else { return nil }
            return (a, b, c, d)
        }
        guard let parsed else { return nil }
        words = parsed
    }

    public static func == (a: SignerKey, b: SignerKey) -> Bool { a.words == b.words }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

/// A petition as its events leave it.
public struct PetitionState: Sendable, Equatable, Encodable {
    public var drafted: PetitionDrafted?
    public var status: PetitionStatus = .draft
    /// Every version's text, 1 first.
    public var versions: [PetitionText] = []
    /// Versions that were taken to a mission: frozen.
    public var deliveredVersions: Set<Int> = []
    public var deliveries: [String: DeliveryAttempted] = [:]
    /// Who signed: each keyed reference as 32 bytes rather than as its 64-character text, so a petition
    /// with a million signers holds them in about 40 MB, and hashing one is four words.
    public var signerRefs: Set<SignerKey> = []
    public var signatures = 0

    public init() {}

    public var currentVersion: Int { versions.count }

    /// What an audit prints: everything but the signer references themselves (their count is `signatures`).
    enum CodingKeys: String, CodingKey {
        case drafted, status, versions, deliveredVersions, deliveries, signatures
    }

    /// Folds one event into the state.
    public static func evolve(_ state: PetitionState, _ event: PetitionEvent) -> PetitionState {
        var next = state
        apply(&next, event)
        return next
    }

    /// Folds one event into the state in place: a petition with a million signers is not copied per event.
    public static func apply(_ next: inout PetitionState, _ event: PetitionEvent) {
        switch event {
        case .drafted(let e):
            next.drafted = e
            next.versions = [e.content]
        case .revised(let e):
            if e.version <= next.versions.count { next.versions[e.version - 1] = e.content } else { next.versions.append(e.content) }
        case .opened: next.status = .open
        case .signed(let e):
            if let key = SignerKey(hex: e.signerRef) { next.signerRefs.insert(key) }
            next.signatures += 1
        case .counted(let e): next.signatures += e.total
        case .imported(let e):
            next.signerRefs.formUnion(e.signerRefs.lazy.compactMap(SignerKey.init(hex:)))
            next.signatures += e.signerRefs.count
        case .closed: next.status = .closed
        case .deliveryAttempted(let e):
            next.deliveries[e.deliveryId] = e
            next.deliveredVersions.insert(e.version)
        }
    }
}
