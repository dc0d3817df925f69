import Foundation
import PostgresClient
import VigilDomain

/// One row of `vigil_read.campaigns`.
public struct CampaignRow: TableRow, Codable {
    public var campaignId: String
    public var title: String
    public var coalition: String
    public var addressee: String
    public var annualDay: String?
    public var status: String
    public var members = 0
    public var localLeads = 0
    /// Endorsements recorded, and how many of them were withdrawn.
    public var endorsements = 0
    public var endorsementsWithdrawn = 0
    public var statements = 0
    public var petitions = 0
    public var launchedAt: Date

    public static let table = "campaigns"
    public static let keyColumns = ["campaign_id"]
    public static let columns = [
        Column("campaign_id", "text"), Column("title", "text"), Column("coalition", "text"), Column("addressee", "text"),
        Column("annual_day", "text"), Column("status", "text"), Column("members", "integer"),
        Column("local_leads", "integer"), Column("endorsements", "integer"), Column("endorsements_withdrawn", "integer"),
        Column("statements", "integer"), Column("petitions", "integer"), Column("launched_at", "timestamptz"),
    ]
    public var key: String { campaignId }
    public var values: [String?] {
        [campaignId, title, coalition, addressee, annualDay, status, String(members), String(localLeads),
         String(endorsements), String(endorsementsWithdrawn), String(statements), String(petitions), launchedAt.postgresText]
    }

    public init(row: Row) throws {
        campaignId = try row.string("campaign_id")
        title = try row.string("title")
        coalition = try row.string("coalition")
        addressee = try row.string("addressee")
        annualDay = try row.text("annual_day")
        status = try row.string("status")
        members = try row.int("members")
        localLeads = try row.int("local_leads")
        endorsements = try row.int("endorsements")
        endorsementsWithdrawn = try row.int("endorsements_withdrawn")
        statements = try row.int("statements")
        petitions = try row.int("petitions")
        launchedAt = try row.date("launched_at")
    }

    init(_ e: CampaignLaunched) {
        campaignId = e.campaignId
        title = e.title
        coalition = e.coalition
        addressee = e.addressee
        annualDay = e.annualDay
        status = "active"
        launchedAt = e.launchedAt
    }
}

/// One row of `vigil_read.campaign_signatures`: a campaign's signatures from one country.
public struct SignatureRow: TableRow, Codable {
    public var campaignId: String
    public var country: String
    public var online: Int64 = 0
    public var paper: Int64 = 0

    public static let table = "campaign_signatures"
    public static let keyColumns = ["campaign_id", "country"]
    public static let columns = [
        Column("campaign_id", "text"), Column("country", "text"), Column("online", "bigint"), Column("paper", "bigint"),
    ]
    public var key: Pair { Pair(campaignId, country) }
    public var values: [String?] { [campaignId, country, String(online), String(paper)] }

    public init(row: Row) throws {
        campaignId = try row.string("campaign_id")
        country = try row.string("country")
        online = try row.int64("online")
        paper = try row.int64("paper")
    }

    init(campaignId: String, country: String) {
        self.campaignId = campaignId
        self.country = country
    }
}

/// The "campaigns" projection's model.
public struct CampaignsModel: Equatable, Sendable {
    public var campaigns: [String: CampaignRow] = [:]
    public var signatures: [Pair: SignatureRow] = [:]
    public var petitions: [String: PetitionLinkRow<CampaignPetitions>] = [:]
}

/// The "campaigns" projection: each campaign's coalition, endorsements, statements and signatures.
public struct CampaignsProjection: Projection {
    public typealias Model = CampaignsModel
    public let name = "campaigns"
    public let tables = [CampaignRow.table, SignatureRow.table, PetitionLinkRow<CampaignPetitions>.table]

    public init() {}

    public func emptyModel() -> Model { CampaignsModel() }

    public func fold(_ model: inout Model, _ event: DecodedEvent) {
        switch event.event {
        case .campaign(let e):
            switch e {
            case .launched(let e): model.campaigns[e.campaignId] = CampaignRow(e)
            case .memberAdded(let e):
                if e.role == .localLead { model.campaigns[e.campaignId]?.localLeads += 1 } else { model.campaigns[e.campaignId]?.members += 1 }
            case .endorsed(let e): model.campaigns[e.campaignId]?.endorsements += 1
            case .endorsementWithdrawn(let e): model.campaigns[e.campaignId]?.endorsementsWithdrawn += 1
            case .statementIssued(let e): model.campaigns[e.campaignId]?.statements += 1
            case .concluded(let e): model.campaigns[e.campaignId]?.status = "concluded"
            }
        case .petition(.drafted(let e)):
            let campaign = e.campaignId ?? ""
            model.petitions[e.petitionId] = PetitionLinkRow<CampaignPetitions>(petitionId: e.petitionId, campaignId: campaign)
            model.campaigns[campaign]?.petitions += 1
        case .petition(.signed(let e)):
            let campaign = model.petitions[e.petitionId]?.campaignId ?? ""
            model.add(campaign: campaign, country: e.country ?? "ZZ", count: 1, channel: e.channel)
        case .petition(.counted(let e)):
            let campaign = model.petitions[e.petitionId]?.campaignId ?? ""
            for (country, count) in e.byCountry { model.add(campaign: campaign, country: country, count: count, channel: e.channel) }
        case .petition(.imported(let e)):
            let campaign = model.petitions[e.petitionId]?.campaignId ?? ""
            for (country, count) in e.byCountry { model.add(campaign: campaign, country: country, count: count, channel: e.channel) }
        case .petition, .mission, .gathering, .recurrence, .erasure:
            return
        }
    }

    public func load(for batch: [DecodedEvent], tables: ProjectionTables, connection: Connection) throws -> Model {
        var campaigns = Set<String>()
        var petitions = Set<String>()
        for item in batch {
            switch item.event {
            case .campaign(let e): campaigns.insert(e.campaignId)
            case .petition(.drafted(let e)): campaigns.insert(e.campaignId ?? "")
            case .petition(.signed(let e)): petitions.insert(e.petitionId)
            case .petition(.counted(let e)): petitions.insert(e.petitionId)
            case .petition(.imported(let e)): petitions.insert(e.petitionId)
            default: continue
            }
        }
        var model = CampaignsModel()
        for link in try TableIO.load(PetitionLinkRow<CampaignPetitions>.self, where: "petition_id", in: petitions, tables: tables, connection: connection) {
            model.petitions[link.key] = link
            campaigns.insert(link.campaignId)
        }
        for row in try TableIO.load(CampaignRow.self, where: "campaign_id", in: campaigns, tables: tables, connection: connection) {
            model.campaigns[row.key] = row
        }
        for row in try TableIO.load(SignatureRow.self, where: "campaign_id", in: campaigns, tables: tables, connection: connection) {
            model.signatures[row.key] = row
        }
        return model
    }

    public func loadAll(tables: ProjectionTables, connection: Connection) throws -> Model {
        var model = CampaignsModel()
        for row in try TableIO.loadAll(CampaignRow.self, tables: tables, connection: connection) { model.campaigns[row.key] = row }
        for row in try TableIO.loadAll(SignatureRow.self, tables: tables, connection: connection) { model.signatures[row.key] = row }
        for row in try TableIO.loadAll(PetitionLinkRow<CampaignPetitions>.self, tables: tables, connection: connection) { model.petitions[row.key] = row }
        return model
    }

    public func save(_ model: Model, changedFrom before: Model, tables: ProjectionTables, connection: Connection) throws {
        try TableIO.saveChanged(model.campaigns, before.campaigns, tables: tables, connection: connection)
        try TableIO.saveChanged(model.signatures, before.signatures, tables: tables, connection: connection)
        try TableIO.saveChanged(model.petitions, before.petitions, tables: tables, connection: connection)
    }
}

extension CampaignsModel {
    mutating func add(campaign: String, country: String, count: Int, channel: SignatureChannel) {
        let key = Pair(campaign, country)
        var row = signatures[key] ?? SignatureRow(campaignId: campaign, country: country)
        switch channel {
        case .online: row.online += Int64(count)
        case .paper: row.paper += Int64(count)
        }
        signatures[key] = row
    }
}

extension CampaignEvent {
    /// The campaign the event is about.
    public var campaignId: String {
        switch self {
        case .launched(let e): return e.campaignId
        case .memberAdded(let e): return e.campaignId
        case .endorsed(let e): return e.campaignId
        case .endorsementWithdrawn(let e): return e.campaignId
        case .statementIssued(let e): return e.campaignId
        case .concluded(let e): return e.campaignId
        }
    }
}
