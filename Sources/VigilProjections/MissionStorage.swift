import Foundation
import PostgresClient
import VigilDomain

/// The SQL of the per-mission read model.
enum MissionStorage {
    static let missionColumns = """
        mission_id, name, kind, sending_state, city, country, time_zone, status, gatherings_scheduled,
        gatherings_held, gatherings_cancelled, gatherings_not_held, attendance_expected, attendance_reported,
        first_activity, last_activity
        """

    static func loadMissions(_ ids: [String], connection: Connection, table: String = "vigil_read.missions") throws
        -> [MissionRow]
    {
        guard !ids.isEmpty else { return [] }
        return try connection.query(
            "SELECT \(unescaped: missionColumns) FROM \(unescaped: table) WHERE mission_id = ANY(\(ids)::text[])",
            prepared: true
        ).map(missionRow)
    }

    static func loadGatherings(_ ids: [String], connection: Connection) throws -> [GatheringLink] {
        guard !ids.isEmpty else { return [] }
        return try connection.query(
            """
            SELECT gathering_id, mission_id, status, attendance_expected, attendance_reported, starts_at
              FROM vigil_read.mission_gatherings WHERE gathering_id = ANY(\(ids)::text[])
            """, prepared: true
        ).map { row in
            guard let status = GatheringStatus(rawValue: try row.string("status")) else {
                throw PostgresError(kind: .client, message: "mission_gatherings holds an unknown status")
            }
            return GatheringLink(
                gatheringId: try row.string("gathering_id"), missionId: try row.string("mission_id"), status: status,
                attendanceExpected: try row.int("attendance_expected"),
                attendanceReported: try row.optionalInt64("attendance_reported").map(Int.init),
                startsAt: try row.date("starts_at"))
        }
    }

    /// Writes the rows the fold changed, in one pipeline.
    static func save(_ model: MissionReadModel, changedFrom before: MissionReadModel, connection: Connection) throws {
        var statements: [PostgresQuery] = []
        for (id, row) in model.missions where before.missions[id] != row {
            statements.append(
                """
                INSERT INTO vigil_read.missions (\(unescaped: missionColumns))
                VALUES (\(row.missionId), \(row.name), \(row.kind), \(row.sendingState), \(row.city), \(row.country),
                        \(row.timeZone), \(row.status), \(row.gatheringsScheduled), \(row.gatheringsHeld),
                        \(row.gatheringsCancelled), \(row.gatheringsNotHeld), \(row.attendanceExpected),
                        \(row.attendanceReported), \(row.firstActivity), \(row.lastActivity))
                ON CONFLICT (mission_id) DO UPDATE SET
                    name = EXCLUDED.name, kind = EXCLUDED.kind, sending_state = EXCLUDED.sending_state,
                    city = EXCLUDED.city, country = EXCLUDED.country, time_zone = EXCLUDED.time_zone,
                    status = EXCLUDED.status, gatherings_scheduled = EXCLUDED.gatherings_scheduled,
                    gatherings_held = EXCLUDED.gatherings_held, gatherings_cancelled = EXCLUDED.gatherings_cancelled,
                    gatherings_not_held = EXCLUDED.gatherings_not_held,
                    attendance_expected = EXCLUDED.attendance_expected,
                    attendance_reported = EXCLUDED.attendance_reported,
                    first_activity = EXCLUDED.first_activity, last_activity = EXCLUDED.last_activity
                """)
        }
        for (id, link) in model.gatherings where before.gatherings[id] != link {
            statements.append(
                """
                INSERT INTO vigil_read.mission_gatherings
                    (gathering_id, mission_id, status, attendance_expected, attendance_reported, starts_at)
                VALUES (\(link.gatheringId), \(link.missionId), \(link.status.rawValue), \(link.attendanceExpected),
                        \(link.attendanceReported), \(link.startsAt))
                ON CONFLICT (gathering_id) DO UPDATE SET
                    mission_id = EXCLUDED.mission_id, status = EXCLUDED.status,
                    attendance_expected = EXCLUDED.attendance_expected,
                    attendance_reported = EXCLUDED.attendance_reported, starts_at = EXCLUDED.starts_at
                """)
        }
        if !statements.isEmpty { _ = try connection.pipeline(statements) }
    }

    static func missionRow(_ row: Row) throws -> MissionRow {
        MissionRow(
            missionId: try row.string("mission_id"), name: try row.string("name"), kind: try row.string("kind"),
            sendingState: try row.string("sending_state"), city: try row.string("city"),
            country: try row.string("country"), timeZone: try row.string("time_zone"),
            status: try row.string("status"), gatheringsScheduled: try row.int("gatherings_scheduled"),
            gatheringsHeld: try row.int("gatherings_held"), gatheringsCancelled: try row.int("gatherings_cancelled"),
            gatheringsNotHeld: try row.int("gatherings_not_held"),
            attendanceExpected: try row.int64("attendance_expected"),
            attendanceReported: try row.int64("attendance_reported"),
            firstActivity: try row.text("first_activity").flatMap(PostgresTimestamp.parse),
            lastActivity: try row.text("last_activity").flatMap(PostgresTimestamp.parse))
    }
}

/// Queries of the per-mission read model for reports.
public enum MissionReport {
    /// Every mission, by country, city and id; optionally only those in one country.
    public static func missions(country: String? = nil, connection: Connection) throws -> [MissionRow] {
        try connection.query(
            """
            SELECT \(unescaped: MissionStorage.missionColumns) FROM vigil_read.missions
             WHERE \(country)::text IS NULL OR country = \(country)::text
             ORDER BY country, city, mission_id
            """
        ).map(MissionStorage.missionRow)
    }

    /// How far the projection is behind the log: events not yet applied.
    public static func lag(projection: String, connection: Connection) throws -> Int64 {
        try connection.query(
            """
            SELECT count(*) AS behind FROM vigil.events e, vigil_read.checkpoints c
             WHERE c.projection = \(projection)
               AND (e.transaction_id, e.global_position) > (c.transaction_id, c.global_position)
            """
        ).first?.int64("behind") ?? 0
    }
}
