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

/// One person signed. The signer is a random subject id whose personal fields live in the vault, sealed
/// and erasable: never a name, an e-mail or a hash of either.
public struct SignatureRecorded: EventPayload {
    public static let eventType = "SignatureRecorded"
    /// 2: `subjectId` took the place of version 1's `signerRef`, a keyed hash of the identity.
    public static let schemaVersion = 2
    public var petitionId: String
    /// The signer's subject in the vault (a random UUID). Nil for a signature recorded before the vault
    /// (version 1), whose reference is not read.
    public var subjectId: String?
    public var country: String?
    public var channel: SignatureChannel
    public var recordedAt: Date

    public init(petitionId: String, subjectId: String?, country: String?, channel: SignatureChannel, recordedAt: Date) {
        self.petitionId = petitionId
        self.subjectId = subjectId
        self.country = country
        self.channel = channel
        self.recordedAt = recordedAt
    }
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

/// A batch of an import: how many people signed, from which countries. Who they are is in the vault, one
/// subject each; the event holds no identity, no reference and no subject id.
public struct SignaturesImported: EventPayload {
    public static let eventType = "SignaturesImported"
    /// 2: `count` took the place of version 1's `signerRefs`, keyed hashes of the identities.
    public static let schemaVersion = 2
    public var petitionId: String
    public var channel: SignatureChannel
    /// How many signed in this batch.
    public var count: Int
    /// Counts by ISO 3166 code ("ZZ" where unknown); they add up to `count`.
    public var byCountry: [String: Int]
    /// Rows of the batch left out because the person had signed already.
    public var duplicatesSkipped: Int
    public var recordedAt: Date

    public init(petitionId: String, channel: SignatureChannel, count: Int, byCountry: [String: Int], duplicatesSkipped: Int, recordedAt: Date) {
        self.petitionId = petitionId
        self.channel = channel
        self.count = count
        self.byCountry = byCountry
        self.duplicatesSkipped = duplicatesSkipped
        self.recordedAt = recordedAt
    }
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

/// A petition as its events leave it.
public struct PetitionState: Sendable, Equatable, Encodable {
    public var drafted: PetitionDrafted?
    public var status: PetitionStatus = .draft
    /// Every version's text, 1 first.
    public var versions: [PetitionText] = []
    /// Versions that were taken to a mission: frozen.
    public var deliveredVersions: Set<Int> = []
    public var deliveries: [String: DeliveryAttempted] = [:]
    /// How many signed. Who signed is the vault's to know: the state no longer grows with its signers,
    /// and the database, not the state, keeps a person from signing twice.
    public var signatures = 0

    public init() {}

    public var currentVersion: Int { versions.count }

    private enum CodingKeys: String, CodingKey { case drafted, status, versions, deliveredVersions, deliveries, signatures }

    /// As synthesised, but the set of delivered versions in order, so that a replay prints the same twice.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(drafted, forKey: .drafted)
        try container.encode(status, forKey: .status)
        try container.encode(versions, forKey: .versions)
        try container.encode(deliveredVersions.sorted(), forKey: .deliveredVersions)
        try container.encode(deliveries, forKey: .deliveries)
        try container.encode(signatures, forKey: .signatures)
    }

    /// Folds one event into the state.
    public static func evolve(_ state: PetitionState, _ event: PetitionEvent) -> PetitionState {
        var next = state
        apply(&next, event)
        return next
    }

    /// Folds one event into the state in place.
    public static func apply(_ next: inout PetitionState, _ event: PetitionEvent) {
        switch event {
        case .drafted(let e):
            next.drafted = e
            next.versions = [e.content]
        case .revised(let e):
            if e.version <= next.versions.count { next.versions[e.version - 1] = e.content } else { next.versions.append(e.content) }
        case .opened: next.status = .open
        case .signed: next.signatures += 1
        case .counted(let e): next.signatures += e.total
        case .imported(let e): next.signatures += e.count
        case .closed: next.status = .closed
        case .deliveryAttempted(let e):
            next.deliveries[e.deliveryId] = e
            next.deliveredVersions.insert(e.version)
        }
    }
}
