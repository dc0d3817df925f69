import Foundation
import PostgresClient
import VigilDomain

/// The figures that belong to missions, summed over activity cells: the same sums for a mission, a
/// campaign or a country, so they always add up. Attendance counts people, so the reporter's view may hide
/// it (`SmallCounts`); the other figures count gatherings, deliveries, readings and outlets.
public struct Figures: Codable, Equatable, Sendable {
    public var gatheringsScheduled: Int64 = 0
    public var gatheringsHeld: Int64 = 0
    public var gatheringsCancelled: Int64 = 0
    public var gatheringsNotHeld: Int64 = 0
    public var weeklyHeld: Int64 = 0
    public var attendanceExpected: DisclosedCount = 0
    public var attendanceReported: DisclosedCount = 0
    public var deliveriesAccepted: Int64 = 0
    public var deliveriesRefused: Int64 = 0
    public var deliveriesBlocked: Int64 = 0
    public var deliveriesNobodyCameOut: Int64 = 0
    public var readings: Int64 = 0
    public var namesRead: Int64 = 0
    public var coverage: Int64 = 0
    public var noShows: Int64 = 0

    public init() {}

    /// `sum(…)` of every figure over vigil_read.activity rows aliased `a`.
    static let sums = """
        coalesce(sum(a.gatherings_scheduled), 0) AS gatherings_scheduled, coalesce(sum(a.gatherings_held), 0) AS gatherings_held,
        coalesce(sum(a.gatherings_cancelled), 0) AS gatherings_cancelled, coalesce(sum(a.gatherings_not_held), 0) AS gatherings_not_held,
        coalesce(sum(a.weekly_held), 0) AS weekly_held, coalesce(sum(a.attendance_expected), 0) AS attendance_expected,
        coalesce(sum(a.attendance_reported), 0) AS attendance_reported, coalesce(sum(a.deliveries_accepted), 0) AS deliveries_accepted,
        coalesce(sum(a.deliveries_refused), 0) AS deliveries_refused, coalesce(sum(a.deliveries_blocked), 0) AS deliveries_blocked,
        coalesce(sum(a.deliveries_nobody), 0) AS deliveries_nobody, coalesce(sum(a.readings), 0) AS readings,
        coalesce(sum(a.names_read), 0) AS names_read, coalesce(sum(a.coverage), 0) AS coverage, coalesce(sum(a.no_shows), 0) AS no_shows
        """

    init(row: Row) throws {
        gatheringsScheduled = try row.int64("gatherings_scheduled")
        gatheringsHeld = try row.int64("gatherings_held")
        gatheringsCancelled = try row.int64("gatherings_cancelled")
        gatheringsNotHeld = try row.int64("gatherings_not_held")
        weeklyHeld = try row.int64("weekly_held")
        attendanceExpected = .exact(try row.int64("attendance_expected"))
        attendanceReported = .exact(try row.int64("attendance_reported"))
        deliveriesAccepted = try row.int64("deliveries_accepted")
        deliveriesRefused = try row.int64("deliveries_refused")
        deliveriesBlocked = try row.int64("deliveries_blocked")
        deliveriesNobodyCameOut = try row.int64("deliveries_nobody")
        readings = try row.int64("readings")
        namesRead = try row.int64("names_read")
        coverage = try row.int64("coverage")
        noShows = try row.int64("no_shows")
    }

    /// Adds another set of figures to these (a hidden count makes its sum withheld).
    public static func + (a: Figures, b: Figures) -> Figures {
        var sum = Figures()
        sum.gatheringsScheduled = a.gatheringsScheduled + b.gatheringsScheduled
        sum.gatheringsHeld = a.gatheringsHeld + b.gatheringsHeld
        sum.gatheringsCancelled = a.gatheringsCancelled + b.gatheringsCancelled
        sum.gatheringsNotHeld = a.gatheringsNotHeld + b.gatheringsNotHeld
        sum.weeklyHeld = a.weeklyHeld + b.weeklyHeld
        sum.attendanceExpected = a.attendanceExpected + b.attendanceExpected
        sum.attendanceReported = a.attendanceReported + b.attendanceReported
        sum.deliveriesAccepted = a.deliveriesAccepted + b.deliveriesAccepted
        sum.deliveriesRefused = a.deliveriesRefused + b.deliveriesRefused
        sum.deliveriesBlocked = a.deliveriesBlocked + b.deliveriesBlocked
        sum.deliveriesNobodyCameOut = a.deliveriesNobodyCameOut + b.deliveriesNobodyCameOut
        sum.readings = a.readings + b.readings
        sum.namesRead = a.namesRead + b.namesRead
        sum.coverage = a.coverage + b.coverage
        sum.noShows = a.noShows + b.noShows
        return sum
    }
}

/// Gatherings of one kind, by status.
public struct KindFigures: Codable, Equatable, Sendable {
    public var kind: String
    public var scheduled: Int64
    public var held: Int64
    public var cancelled: Int64
    public var notHeld: Int64
}

/// A mission in a report: what it is, and its figures.
public struct MissionReportRow: Codable, Equatable, Sendable {
    public var mission: MissionRow
    public var figures: Figures
    public var byKind: [KindFigures]
    public var campaigns: [String]
    /// The first and last gathering held there, on the mission's wall clock.
    public var firstHeldLocal: String?
    public var lastHeldLocal: String?
}

/// A campaign in a report.
public struct CampaignReportRow: Codable, Equatable, Sendable {
    /// The campaign's signatures: the total, online and on paper, and by country (ISO 3166; ZZ unknown).
    public struct Signatures: Codable, Equatable, Sendable {
        public var total: DisclosedCount
        public var online: DisclosedCount
        public var paper: DisclosedCount
        public var byCountry: [String: DisclosedCount]
    }

    public var campaign: CampaignRow
    public var figures: Figures
    public var missionsReached: Int
    public var citiesReached: Int
    public var countriesReached: Int
    public var countries: [String]
    public var endorsementsCurrent: Int
    public var signatures: Signatures
}

/// One city of a day of action: its local date and time, and the UTC instant.
public struct DayRow: Codable, Equatable, Sendable {
    public var gatheringId: String
    public var missionId: String
    public var city: String
    public var country: String
    public var kind: String
    public var status: String
    public var timeZone: String
    public var localStart: String
    public var startsAtUTC: Date
    public var venue: String?
    public var attendanceExpected: DisclosedCount
    /// Nil until the gathering is recorded as held with a count.
    public var attendanceReported: DisclosedCount?
    /// The outcome of the last delivery attempt recorded at the gathering, if any (`accepted`, `refused`,
    /// `blocked`, `nobody-came-out`).
    public var delivery: String?
}

/// How far a projection is behind the log, and how many events it set aside.
public struct ProjectionLag: Codable, Equatable, Sendable {
    /// The projection's name.
    public var projection: String
    /// Events committed after its checkpoint.
    public var eventsBehind: Int64
    /// The age of the oldest of them.
    public var secondsBehind: Double
    /// Its checkpoint, as `transaction/position`.
    public var checkpoint: String
    /// Events it could not read and set aside in the quarantine (`Reports.quarantine` lists them).
    public var quarantined: Int64
}

extension ProjectionLag {
    /// Decodes a lag, reading `quarantined` as 0 when it is absent (JSON written before it existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        projection = try container.decode(String.self, forKey: .projection)
        eventsBehind = try container.decode(Int64.self, forKey: .eventsBehind)
        secondsBehind = try container.decode(Double.self, forKey: .secondsBehind)
        checkpoint = try container.decode(String.self, forKey: .checkpoint)
        quarantined = try container.decodeIfPresent(Int64.self, forKey: .quarantined) ?? 0
    }
}

/// Queries of the read models for reports. They read projection tables only: no replay at query time.
public enum Reports {
    /// Every mission with its figures, by country, city and id; optionally one country's, or one campaign's.
    public static func missions(country: String? = nil, campaign: String? = nil, connection: Connection) throws -> [MissionReportRow] {
        let rows = try connection.query(
            """
            SELECT \(unescaped: MissionRow.columns.map { "m." + $0.name }.joined(separator: ", ")), \(unescaped: Figures.sums),
                   coalesce(array_to_string(array_agg(DISTINCT a.campaign_id) FILTER (WHERE a.campaign_id <> ''), ','), '') AS campaigns,
                   (SELECT min(g.local_start) FROM vigil_read.activity_gatherings g
                     WHERE g.mission_id = m.mission_id AND g.status = 'held'
                       AND (\(campaign)::text IS NULL OR g.campaign_id = \(campaign)::text)) AS first_held,
                   (SELECT max(g.local_start) FROM vigil_read.activity_gatherings g
                     WHERE g.mission_id = m.mission_id AND g.status = 'held'
                       AND (\(campaign)::text IS NULL OR g.campaign_id = \(campaign)::text)) AS last_held
              FROM vigil_read.missions m
              LEFT JOIN vigil_read.activity a ON a.mission_id = m.mission_id
                   AND (\(campaign)::text IS NULL OR a.campaign_id = \(campaign)::text)
             WHERE (\(country)::text IS NULL OR m.country = \(country)::text)
               AND (\(campaign)::text IS NULL OR a.campaign_id IS NOT NULL)
             GROUP BY m.mission_id
             ORDER BY m.country, m.city, m.mission_id
            """)
        let kinds = try kindFigures(campaign: campaign, connection: connection)
        return try rows.map { row in
            let mission = try MissionRow(row: row)
            return MissionReportRow(
                mission: mission, figures: try Figures(row: row), byKind: kinds[mission.missionId] ?? [],
                campaigns: try row.string("campaigns").split(separator: ",").map(String.init),
                firstHeldLocal: try row.text("first_held").map(readable), lastHeldLocal: try row.text("last_held").map(readable))
        }
    }

    /// One mission, or nil when it is not registered.
    public static func mission(_ id: String, connection: Connection) throws -> MissionReportRow? {
        try missions(connection: connection).first { $0.mission.missionId == id }
    }

    static func kindFigures(campaign: String?, connection: Connection) throws -> [String: [KindFigures]] {
        var out: [String: [KindFigures]] = [:]
        for row in try connection.query(
            """
            SELECT mission_id, kind, sum(scheduled) AS scheduled, sum(held) AS held, sum(cancelled) AS cancelled,
                   sum(not_held) AS not_held
              FROM vigil_read.activity_kinds WHERE \(campaign)::text IS NULL OR campaign_id = \(campaign)::text
             GROUP BY mission_id, kind ORDER BY mission_id, kind
            """)
        {
            out[try row.string("mission_id"), default: []].append(
                KindFigures(
                    kind: try row.string("kind"), scheduled: try row.int64("scheduled"), held: try row.int64("held"),
                    cancelled: try row.int64("cancelled"), notHeld: try row.int64("not_held")))
        }
        return out
    }

    /// Every campaign (or one) with its figures, reach and signatures.
    public static func campaigns(_ id: String? = nil, connection: Connection) throws -> [CampaignReportRow] {
        let rows = try connection.query(
            """
            SELECT \(unescaped: CampaignRow.columns.map { "c." + $0.name }.joined(separator: ", ")), \(unescaped: Figures.sums),
                   count(DISTINCT a.mission_id) AS missions_reached,
                   -- Without a mission the LEFT JOINs leave one row of NULLs, and a row value of NULLs is
                   -- still counted: only registered missions' cities count.
                   count(DISTINCT (m.city, m.country)) FILTER (WHERE m.mission_id IS NOT NULL) AS cities_reached,
                   count(DISTINCT m.country) AS countries_reached,
                   coalesce(array_to_string(array_agg(DISTINCT m.country ORDER BY m.country), ','), '') AS countries
              FROM vigil_read.campaigns c
              LEFT JOIN vigil_read.activity a ON a.campaign_id = c.campaign_id
              LEFT JOIN vigil_read.missions m ON m.mission_id = a.mission_id
             WHERE \(id)::text IS NULL OR c.campaign_id = \(id)::text
             GROUP BY c.campaign_id
             ORDER BY c.launched_at, c.campaign_id
            """)
        var signatures: [String: CampaignReportRow.Signatures] = [:]
        for row in try connection.query(
            "SELECT campaign_id, country, online, paper FROM vigil_read.campaign_signatures WHERE \(id)::text IS NULL OR campaign_id = \(id)::text")
        {
            let campaign = try row.string("campaign_id")
            var s = signatures[campaign] ?? .init(total: 0, online: 0, paper: 0, byCountry: [:])
            let online = DisclosedCount.exact(try row.int64("online"))
            let paper = DisclosedCount.exact(try row.int64("paper"))
            s.online = s.online + online
            s.paper = s.paper + paper
            s.total = s.total + online + paper
            let country = try row.string("country")
            s.byCountry[country] = (s.byCountry[country] ?? 0) + online + paper
            signatures[campaign] = s
        }
        return try rows.map { row in
            let campaign = try CampaignRow(row: row)
            return CampaignReportRow(
                campaign: campaign, figures: try Figures(row: row), missionsReached: try row.int("missions_reached"),
                citiesReached: try row.int("cities_reached"), countriesReached: try row.int("countries_reached"),
                countries: try row.string("countries").split(separator: ",").map(String.init),
                endorsementsCurrent: campaign.endorsements - campaign.endorsementsWithdrawn,
                signatures: signatures[campaign.campaignId] ?? .init(total: 0, online: 0, paper: 0, byCountry: [:]))
        }
    }

    /// A day of action: one row per gathering of the campaign, in the order they start (UTC).
    public static func day(_ campaign: String, connection: Connection) throws -> [DayRow] {
        try connection.query(
            """
            SELECT g.gathering_id, g.mission_id, coalesce(m.city, '') AS city, coalesce(m.country, '') AS country, g.kind,
                   g.status, g.time_zone, g.local_start, g.starts_at, g.venue, g.attendance_expected, g.attendance_reported,
                   g.delivery
              FROM vigil_read.activity_gatherings g
              LEFT JOIN vigil_read.missions m ON m.mission_id = g.mission_id
             WHERE g.campaign_id = \(campaign)
             ORDER BY g.starts_at, g.gathering_id
            """
        ).map { row in
            DayRow(
                gatheringId: try row.string("gathering_id"), missionId: try row.string("mission_id"),
                city: try row.string("city"), country: try row.string("country"), kind: try row.string("kind"),
                status: try row.string("status"), timeZone: try row.string("time_zone"),
                localStart: readable(try row.string("local_start")), startsAtUTC: try row.date("starts_at"),
                venue: try row.text("venue"), attendanceExpected: .exact(try row.int64("attendance_expected")),
                attendanceReported: try row.optionalInt64("attendance_reported").map(DisclosedCount.exact),
                delivery: try row.text("delivery"))
        }
    }

    /// How far each projection is behind the log (through a function the reporter role may call), and how
    /// many events each set aside in the quarantine.
    public static func lag(connection: Connection) throws -> [ProjectionLag] {
        try connection.query(
            """
            SELECT l.projection, l.events_behind, l.seconds_behind, l.checkpoint,
                   (SELECT count(*) FROM vigil_read.quarantine q WHERE q.projection = l.projection) AS quarantined
              FROM vigil_read.lag() l
             ORDER BY l.projection
            """
        ).map { row in
            ProjectionLag(
                projection: try row.string("projection"), eventsBehind: try row.int64("events_behind"),
                secondsBehind: Double(try row.string("seconds_behind")) ?? 0, checkpoint: try row.string("checkpoint"),
                quarantined: try row.int64("quarantined"))
        }
    }

    /// `2004-12-22T12:00` → `2004-12-22 12:00`.
    static func readable(_ local: String) -> String { local.replacingOccurrences(of: "T", with: " ") }
}
