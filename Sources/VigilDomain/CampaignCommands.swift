import Foundation

/// Launch a campaign or day of action.
public struct LaunchCampaign: Sendable, Equatable {
    public var campaignId: String
    public var title: String
    public var cause: String
    public var coalition: String
    public var addressee: String
    public var demands: [String]
    public var annualDay: String?

    public init(
        campaignId: String, title: String, cause: String, coalition: String, addressee: String, demands: [String],
        annualDay: String? = nil
    ) {
        self.campaignId = campaignId
        self.title = title
        self.cause = cause
        self.coalition = coalition
        self.addressee = addressee
        self.demands = demands
        self.annualDay = annualDay
    }
}

/// Add an organisation to the coalition, or name the lead organisation in a city.
public struct AddCoalitionMember: Sendable, Equatable {
    public var campaignId: String
    public var organisation: String
    public var role: CoalitionRole
    public var city: String?
    public var country: String?

    public init(campaignId: String, organisation: String, role: CoalitionRole = .member, city: String? = nil, country: String? = nil) {
        self.campaignId = campaignId
        self.organisation = organisation
        self.role = role
        self.city = city
        self.country = country
    }
}

/// Record a public endorsement.
public struct RecordEndorsement: Sendable, Equatable {
    public var campaignId: String
    public var endorsementId: String
    public var endorser: String
    public var office: String

    public init(campaignId: String, endorsementId: String, endorser: String, office: String) {
        self.campaignId = campaignId
        self.endorsementId = endorsementId
        self.endorser = endorser
        self.office = office
    }
}

/// Withdraw an endorsement.
public struct WithdrawEndorsement: Sendable, Equatable {
    public var campaignId: String
    public var endorsementId: String
    public var reason: String?

    public init(campaignId: String, endorsementId: String, reason: String? = nil) {
        self.campaignId = campaignId
        self.endorsementId = endorsementId
        self.reason = reason
    }
}

/// Issue a statement: a date, demands, and claims each with its source.
public struct IssueStatement: Sendable, Equatable {
    public var campaignId: String
    public var statementId: String
    public var issuedOn: String
    public var title: String
    public var demands: [String]
    /// Claims as "text | source".
    public var claims: [String]

    public init(campaignId: String, statementId: String, issuedOn: String, title: String, demands: [String], claims: [String]) {
        self.campaignId = campaignId
        self.statementId = statementId
        self.issuedOn = issuedOn
        self.title = title
        self.demands = demands
        self.claims = claims
    }
}

/// Conclude a campaign.
public struct ConcludeCampaign: Sendable, Equatable {
    public var campaignId: String
    public var summary: String

    public init(campaignId: String, summary: String) {
        self.campaignId = campaignId
        self.summary = summary
    }
}

/// The commands of a campaign's stream.
public enum CampaignCommand: Sendable, Equatable {
    case launch(LaunchCampaign)
    case addMember(AddCoalitionMember)
    case endorse(RecordEndorsement)
    case withdrawEndorsement(WithdrawEndorsement)
    case issueStatement(IssueStatement)
    case conclude(ConcludeCampaign)

    /// The campaign the command is about, as typed.
    public var campaignId: String {
        switch self {
        case .launch(let c): return c.campaignId
        case .addMember(let c): return c.campaignId
        case .endorse(let c): return c.campaignId
        case .withdrawEndorsement(let c): return c.campaignId
        case .issueStatement(let c): return c.campaignId
        case .conclude(let c): return c.campaignId
        }
    }
}

extension CampaignState {
    /// Decides what a command records, given the campaign as it stands.
    public static func decide(_ command: CampaignCommand, _ state: CampaignState, _ context: CommandContext) throws
        -> [CampaignEvent]
    {
        let id = try Check.id(command.campaignId, field: "campaign id")
        if case .launch(let c) = command {
            guard state.launched == nil else { throw DomainError.alreadyExists(kind: "campaign", id: id) }
            let demands = try Check.demands(c.demands, field: "demand")
            guard !demands.isEmpty else {
                throw DomainError.invalid(field: "demand", reason: "a campaign needs at least one demand")
            }
            return [
                .launched(
                    CampaignLaunched(
                        campaignId: id, title: try Check.text(c.title, field: "title", max: 200),
                        cause: try Check.text(c.cause, field: "cause", max: 1000, multiline: true),
                        coalition: try Check.text(c.coalition, field: "coalition", max: 200),
                        addressee: try Check.text(c.addressee, field: "addressee", max: 200), demands: demands,
                        annualDay: try Check.optionalText(c.annualDay, field: "annual day", max: 200),
                        launchedAt: context.now))
            ]
        }
        try requireActive(state, id: id, doing: "change it any more")
        switch command {
        case .launch:
            return []  // handled above
        case .addMember(let c):
            let role = c.role
            let organisation = try Check.text(c.organisation, field: "organisation", max: 200)
            let city = try Check.optionalText(c.city, field: "city", max: 100)
            let country = try c.country.map { try Check.country($0, field: "country") }
            if role == .localLead && city == nil {
                throw DomainError.invalid(field: "city", reason: "a local lead leads in a city: give the city")
            }
            if state.members.contains(where: { $0.organisation == organisation && $0.role == role && $0.city == city }) {
                throw DomainError.refused("\(organisation) is already \(role == .member ? "a member" : "the local lead in \(city ?? "")") of campaign \(id)")
            }
            return [.memberAdded(CoalitionMemberAdded(campaignId: id, organisation: organisation, role: role, city: city, country: country, addedAt: context.now))]
        case .endorse(let c):
            let endorsementId = try Check.id(c.endorsementId, field: "endorsement id")
            guard state.endorsements[endorsementId] == nil else { throw DomainError.alreadyExists(kind: "endorsement", id: endorsementId) }
            return [
                .endorsed(
                    EndorsementRecorded(
                        campaignId: id, endorsementId: endorsementId,
                        endorser: try Check.text(c.endorser, field: "endorser", max: 200),
                        office: try Check.text(c.office, field: "office", max: 200), recordedAt: context.now))
            ]
        case .withdrawEndorsement(let c):
            let endorsementId = try Check.id(c.endorsementId, field: "endorsement id")
            guard state.endorsements[endorsementId] != nil else { throw DomainError.notFound(kind: "endorsement", id: endorsementId) }
            guard !state.withdrawn.contains(endorsementId) else {
                throw DomainError.refused("endorsement \(endorsementId) was already withdrawn")
            }
            return [
                .endorsementWithdrawn(
                    EndorsementWithdrawn(
                        campaignId: id, endorsementId: endorsementId,
                        reason: try Check.optionalText(c.reason, field: "reason", max: 500), withdrawnAt: context.now))
            ]
        case .issueStatement(let c):
            let statementId = try Check.id(c.statementId, field: "statement id")
            guard state.statements[statementId] == nil else { throw DomainError.alreadyExists(kind: "statement", id: statementId) }
            let claims = try c.claims.map { raw -> Claim in
                let parts = raw.split(separator: "|", maxSplits: 1).map { String($0) }
                guard parts.count == 2 else {
                    throw DomainError.invalid(field: "claim", reason: "write each claim as \"what is claimed | its source\"")
                }
                return Claim(text: try Check.text(parts[0], field: "claim", max: 1000), source: try Check.text(parts[1], field: "claim source", max: 300))
            }
            guard claims.count <= 50 else { throw DomainError.invalid(field: "claim", reason: "at most 50 claims") }
            return [
                .statementIssued(
                    StatementIssued(
                        campaignId: id, statementId: statementId, issuedOn: try LocalDate.parse(c.issuedOn, field: "date"),
                        title: try Check.text(c.title, field: "title", max: 200),
                        demands: try Check.demands(c.demands, field: "demand"), claims: claims, recordedAt: context.now))
            ]
        case .conclude(let c):
            return [.concluded(CampaignConcluded(campaignId: id, summary: try Check.text(c.summary, field: "summary", max: 2000, multiline: true), concludedAt: context.now))]
        }
    }
}
