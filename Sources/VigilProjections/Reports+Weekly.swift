import Foundation
import PostgresClient
import VigilDomain

extension Reports {
    /// One weekly gathering's row, or nil when none has that id.
    public static func weekly(_ id: String, connection: Connection) throws -> WeeklyRow? {
        try TableIO.load(WeeklyRow.self, where: "recurrence_id", in: [id], tables: .live, connection: connection).first
    }

    /// Every weekly gathering, or only `campaign`'s, by id.
    public static func weeklies(campaign: String? = nil, connection: Connection) throws -> [WeeklyRow] {
        let columns = WeeklyRow.columns.map(\.name).joined(separator: ", ")
        return try connection.query(
            """
            SELECT \(unescaped: columns) FROM vigil_read.weekly
             WHERE \(campaign)::text IS NULL OR campaign_id = \(campaign)::text
             ORDER BY recurrence_id
            """
        ).map(WeeklyRow.init(row:))
    }

    /// Gatherings still scheduled (not cancelled, not yet recorded) that start at or after `from` and
    /// before `to`, in the order they start.
    public static func scheduledGatherings(from: Date, to: Date, connection: Connection) throws -> [GatheringRow] {
        let columns = GatheringRow.columns.map(\.name).joined(separator: ", ")
        return try connection.query(
            """
            SELECT \(unescaped: columns) FROM vigil_read.activity_gatherings
             WHERE status = 'scheduled' AND starts_at >= \(from)::timestamptz AND starts_at < \(to)::timestamptz
             ORDER BY starts_at, gathering_id
            """
        ).map(GatheringRow.init(row:))
    }

    /// Every registered mission, by id.
    public static func missionRows(connection: Connection) throws -> [String: MissionRow] {
        Dictionary(
            uniqueKeysWithValues: try TableIO.loadAll(MissionRow.self, tables: .live, connection: connection).map { ($0.missionId, $0) })
    }

    /// One campaign's row, or nil.
    public static func campaignRow(_ id: String, connection: Connection) throws -> CampaignRow? {
        try TableIO.load(CampaignRow.self, where: "campaign_id", in: [id], tables: .live, connection: connection).first
    }
}
