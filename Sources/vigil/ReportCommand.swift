import ArgumentParser
import Foundation
import VigilDomain
import VigilProjections
import VigilService

/// `vigil report …`: read models for people and machines.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report from the read models.",
        subcommands: [Missions.self]
    )

    struct Missions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per mission: gatherings by status and attendance.",
            discussion: "Example: vigil report missions --country US --format json"
        )

        @Option(help: "Only missions in this country (ISO 3166 code).")
        var country: String?
        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let country = try self.country.map { try Check.country($0, field: "--country") }
                let session = try VigilSession(role: .reporter)
                let rows = try MissionReport.missions(country: country, connection: session.connection)
                let headers = [
                    "mission", "kind", "city", "country", "status", "scheduled", "held", "cancelled", "not held",
                    "expected", "reported", "first held (local)", "last held (local)",
                ]
                let table = rows.map { row in
                    [
                        row.missionId, row.kind, row.city, row.country, row.status, String(row.gatheringsScheduled),
                        String(row.gatheringsHeld), String(row.gatheringsCancelled), String(row.gatheringsNotHeld),
                        String(row.attendanceExpected), String(row.attendanceReported),
                        local(row.firstActivity, row.timeZone), local(row.lastActivity, row.timeZone),
                    ]
                }
                let json: [[String: Any]] = rows.map { row in
                    [
                        "missionId": row.missionId, "name": row.name, "kind": row.kind, "sendingState": row.sendingState,
                        "city": row.city, "country": row.country, "timeZone": row.timeZone, "status": row.status,
                        "gatherings": [
                            "scheduled": row.gatheringsScheduled, "held": row.gatheringsHeld,
                            "cancelled": row.gatheringsCancelled, "notHeld": row.gatheringsNotHeld,
                        ],
                        "attendance": ["expected": row.attendanceExpected, "reported": row.attendanceReported],
                        "firstHeldLocal": local(row.firstActivity, row.timeZone),
                        "lastHeldLocal": local(row.lastActivity, row.timeZone),
                    ]
                }
                Output.printRows(headers, table, keys: [], json: json, format: format)
            }
        }

        func local(_ date: Date?, _ zone: String) -> String {
            guard let date, let tz = TimeZone(identifier: zone) else { return "" }
            let wall = WallTime(date, in: tz)
            return "\(wall.dateString) \(String(format: "%02d:%02d", wall.hour, wall.minute))"
        }
    }
}
