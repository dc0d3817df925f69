import Foundation

/// A campaign or day of action was launched.
public struct CampaignLaunched: EventPayload {
    public static let eventType = "CampaignLaunched"
    public var campaignId: String
    public var title: String
    public var cause: String
    /// The organising coalition.
    public var coalition: String
    /// Whom the campaign addresses, such as "the President of the People's Republic of China".
    public var addressee: String
    public var demands: [String]
    /// The name of the day when it comes back every year ("Save North Koreans Day"), if it does.
    public var annualDay: String?
    public var launchedAt: Date
}

/// How an organisation takes part in a campaign.
public enum CoalitionRole: String, Codable, Sendable, CaseIterable {
    /// A member of the coalition.
    case member
    /// The organisation leading the campaign in one city.
    case localLead = "local-lead"
}

/// An organisation joined the coalition, or took the lead in a city.
public struct CoalitionMemberAdded: EventPayload {
    public static let eventType = "CoalitionMemberAdded"
    public var campaignId: String
    public var organisation: String
    public var role: CoalitionRole
    public var city: String?
    public var country: String?
    public var addedAt: Date
}

/// A public figure endorsed the campaign.
public struct EndorsementRecorded: EventPayload {
    public static let eventType = "EndorsementRecorded"
    public var campaignId: String
    public var endorsementId: String
    /// The endorser as publicly named, such as "Sam Brownback".
    public var endorser: String
    /// Their office, such as "U.S. Senator (R-KS)".
    public var office: String
    public var recordedAt: Date
}

/// An endorsement was withdrawn.
public struct EndorsementWithdrawn: EventPayload {
    public static let eventType = "EndorsementWithdrawn"
    public var campaignId: String
    public var endorsementId: String
    public var reason: String?
    public var withdrawnAt: Date
}

/// A claim in a statement, with where it comes from.
public struct Claim: Codable, Sendable, Equatable {
    public var text: String
    public var source: String
}

/// The campaign issued a statement.
public struct StatementIssued: EventPayload {
    public static let eventType = "StatementIssued"
    public var campaignId: String
    public var statementId: String
    public var issuedOn: LocalDate
    public var title: String
    public var demands: [String]
    public var claims: [Claim]
    public var recordedAt: Date
}

/// The campaign ended.
public struct CampaignConcluded: EventPayload {
    public static let eventType = "CampaignConcluded"
    public var campaignId: String
    public var summary: String
    public var concludedAt: Date
}

/// The events of a campaign's stream.
public enum CampaignEvent: DomainEvent {
    case launched(CampaignLaunched)
    case memberAdded(CoalitionMemberAdded)
    case endorsed(EndorsementRecorded)
    case endorsementWithdrawn(EndorsementWithdrawn)
    case statementIssued(StatementIssued)
    case concluded(CampaignConcluded)

    /// The payload of this event.
    public var payload: any EventPayload {
        switch self {
        case .launched(let e): return e
        case .memberAdded(let e): return e
        case .endorsed(let e): return e
        case .endorsementWithdrawn(let e): return e
        case .statementIssued(let e): return e
        case .concluded(let e): return e
        }
    }

    /// Each stored type name of these events, and the case its payload is read as.
    public static let storedTypes = StoredType.table([
        StoredType(CampaignLaunched.self, CampaignEvent.launched),
        StoredType(CoalitionMemberAdded.self, CampaignEvent.memberAdded),
        StoredType(EndorsementRecorded.self, CampaignEvent.endorsed),
        StoredType(EndorsementWithdrawn.self, CampaignEvent.endorsementWithdrawn),
        StoredType(StatementIssued.self, CampaignEvent.statementIssued),
        StoredType(CampaignConcluded.self, CampaignEvent.concluded),
    ])
}

/// A campaign as its events leave it.
public struct CampaignState: Sendable, Equatable, Encodable {
    public var launched: CampaignLaunched?
    public var members: [CoalitionMemberAdded] = []
    /// Endorsements by id, and which of them were withdrawn.
    public var endorsements: [String: EndorsementRecorded] = [:]
    public var withdrawn: Set<String> = []
    public var statements: [String: StatementIssued] = [:]
    public var concluded: CampaignConcluded?

    public init() {}

    /// Endorsements that stand, after withdrawals.
    public var currentEndorsements: [EndorsementRecorded] {
        endorsements.values.filter { !withdrawn.contains($0.endorsementId) }.sorted { $0.endorsementId < $1.endorsementId }
    }

    /// Folds one event into the state.
    public static func evolve(_ state: CampaignState, _ event: CampaignEvent) -> CampaignState {
        var next = state
        switch event {
        case .launched(let e): next.launched = e
        case .memberAdded(let e): next.members.append(e)
        case .endorsed(let e): next.endorsements[e.endorsementId] = e
        case .endorsementWithdrawn(let e): next.withdrawn.insert(e.endorsementId)
        case .statementIssued(let e): next.statements[e.statementId] = e
        case .concluded(let e): next.concluded = e
        }
        return next
    }

    /// Throws unless the campaign was launched and has not concluded.
    static func requireActive(_ state: CampaignState, id: String, doing: String) throws {
        guard state.launched != nil else { throw DomainError.notFound(kind: "campaign", id: id) }
        if let concluded = state.concluded {
            throw DomainError.refused("campaign \(id) concluded on \(concluded.concludedAt.dayString); cannot \(doing)")
        }
    }
}
