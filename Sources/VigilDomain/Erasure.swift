import Foundation

/// What a subject of the vault was.
public enum SubjectKind: String, Codable, Sendable, CaseIterable {
    /// A signer of one petition.
    case signer
    /// An organiser's free text that an event refers to instead of holding it (`FieldClass.organiser`).
    case organiser
    /// A person's name or description that an event refers to (`FieldClass.restricted`).
    case restricted
}

/// A subject was erased from the vault: its sealed fields, its data key and (for a signer) its blind
/// index were deleted. The event says only that it happened, by subject id: the figures it counted in
/// stay as they were, and nothing left links the id to a person.
public struct SubjectErased: EventPayload {
    public static let eventType = "SubjectErased"
    public var subjectId: String
    public var kind: SubjectKind
    public var erasedAt: Date

    public init(subjectId: String, kind: SubjectKind, erasedAt: Date) {
        self.subjectId = subjectId
        self.kind = kind
        self.erasedAt = erasedAt
    }
}

/// The events of an erasure's stream (`erasure-<subject id>`): one, since a subject is erased once.
public enum ErasureEvent: DomainEvent {
    case erased(SubjectErased)

    public var payload: any EventPayload {
        switch self {
        case .erased(let e): return e
        }
    }

    public static let storedTypes = StoredType.table([StoredType(SubjectErased.self, ErasureEvent.erased)])

    /// The stream an erasure of `subjectId` is recorded in.
    public static func stream(_ subjectId: String) -> String { "erasure-\(subjectId)" }
}
