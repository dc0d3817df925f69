import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// `vigil report …`: the read models, for people (tables) and machines (JSON, CSV).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report from the read models: per mission, per campaign, per day of action.",
        discussion: "Reports read the projections only, and say how far behind the log they are.",
        subcommands: [Missions.self, Mission.self, Campaign.self, Day.self]
    )

    struct Missions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per mission: gatherings by status, attendance, deliveries by outcome, readings, coverage.",
            discussion: "Example: vigil report missions --campaign dad-2004 --country US --format json"
        )

        @Option(help: "Only missions in this country (ISO 3166 code).")
        var country: String?
        @Option(help: "Only this campaign's activity, at the missions it reached.")
        var campaign: String?
        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let report = try VigilService().missionsReport(country: country, campaign: campaign)
                try Output.report(
                    report.rows, lag: report.lag, format: format,
                    headers: ["mission", "kind", "city", "country", "status", "scheduled", "held", "cancelled", "not held",
                              "weekly held", "expected", "reported", "accepted", "refused", "blocked", "nobody out",
                              "readings", "names", "coverage", "no-shows", "first held (local)", "last held (local)"]
                ) { row in
                    let f = row.figures
                    return [row.mission.missionId, row.mission.kind, row.mission.city, row.mission.country, row.mission.status]
                        + [f.gatheringsScheduled, f.gatheringsHeld, f.gatheringsCancelled, f.gatheringsNotHeld, f.weeklyHeld,
                           f.attendanceExpected, f.attendanceReported, f.deliveriesAccepted, f.deliveriesRefused,
                           f.deliveriesBlocked, f.deliveriesNobodyCameOut, f.readings, f.namesRead, f.coverage, f.noShows].map(String.init)
                        + [row.firstHeldLocal ?? "", row.lastHeldLocal ?? ""]
                }
            }
        }
    }

    struct Mission: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One mission in full: its figures, gatherings by kind, and the campaigns it took part in.",
            discussion: "Example: vigil report mission prc-embassy-washington"
        )

        @Argument(help: "The mission's id.")
        var id: String
        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let report = try VigilService().missionReport(id)
                let (row, lag) = (report.rows, report.lag)
                if format == .table {
                    let m = row.mission
                    print("\(m.name) (\(m.missionId))")
                    print("\(m.kind), \(m.city), \(m.country); zone \(m.timeZone); \(m.status)")
                    print("campaigns: \(row.campaigns.isEmpty ? "none" : row.campaigns.joined(separator: ", "))")
                    print("first held: \(row.firstHeldLocal ?? "never"); last held: \(row.lastHeldLocal ?? "never") (local time)")
                    Output.printFigures(row.figures)
                    Output.printRows(["kind", "scheduled", "held", "cancelled", "not held"], row.byKind.map {
                        [$0.kind, String($0.scheduled), String($0.held), String($0.cancelled), String($0.notHeld)]
                    }, format: .table)
                    Output.printLag(lag)
                } else {
                    try Output.report([row], lag: lag, format: format, headers: ["mission", "scheduled", "held"]) {
                        [$0.mission.missionId, String($0.figures.gatheringsScheduled), String($0.figures.gatheringsHeld)]
                    }
                }
            }
        }
    }

    struct Campaign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Campaigns: missions, cities and countries reached; gatherings; attendance; deliveries; signatures.",
            discussion: "Example: vigil report campaign snkd-2017 (without an id: every campaign)"
        )

        @Argument(help: "The campaign's id (default: every campaign).")
        var id: String?
        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let report = try VigilService().campaignsReport(id)
                try Output.report(
                    report.rows, lag: report.lag, format: format,
                    headers: ["campaign", "status", "missions", "cities", "countries", "scheduled", "held", "cancelled",
                              "not held", "expected", "reported", "accepted", "refused", "blocked", "nobody out",
                              "signatures", "online", "paper", "endorsements", "statements", "coverage", "no-shows"]
                ) { row in
                    let f = row.figures
                    return [row.campaign.campaignId, row.campaign.status, String(row.missionsReached), String(row.citiesReached),
                            String(row.countriesReached)]
                        + [f.gatheringsScheduled, f.gatheringsHeld, f.gatheringsCancelled, f.gatheringsNotHeld,
                           f.attendanceExpected, f.attendanceReported, f.deliveriesAccepted, f.deliveriesRefused,
                           f.deliveriesBlocked, f.deliveriesNobodyCameOut, row.signatures.total, row.signatures.online,
                           row.signatures.paper].map(String.init)
                        + [String(row.endorsementsCurrent), String(row.campaign.statements), String(f.coverage), String(f.noShows)]
                }
            }
        }
    }

    struct Day: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A day of action: one row per city, in the order they start, with each place's local date and time.",
            discussion: "Example: vigil report day dad-2004 (Sydney starts nineteen hours before Los Angeles)"
        )

        @Argument(help: "The campaign's id.")
        var id: String
        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let report = try VigilService().dayReport(id)
                try Output.report(
                    report.rows, lag: report.lag, format: format,
                    headers: ["starts (UTC)", "local date and time", "zone", "city", "country", "mission", "gathering", "kind",
                              "status", "expected", "reported"]
                ) { row in
                    [Output.utc(row.startsAtUTC), row.localStart, row.timeZone, row.city, row.country, row.missionId,
                     row.gatheringId, row.kind, row.status, String(row.attendanceExpected),
                     row.attendanceReported.map(String.init) ?? ""]
                }
            }
        }
    }
}
