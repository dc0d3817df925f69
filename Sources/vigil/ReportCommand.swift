import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// `vigil report …`: the read models, for people (tables) and machines (JSON, CSV).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report from the read models: per mission, per campaign, per day of action.",
        discussion: """
            Reports read the projections only, and say how far behind the log they are. They show the reporter's \
            view: a count of 1 to 4 people (attendance, signatures) is shown as <5, and a count beside it may be \
            withheld so that it cannot be worked out from a total. --exact shows the organiser's view, every \
            figure exact; it needs the vigil_writer role.
            """,
        subcommands: [Missions.self, Mission.self, Campaign.self, Day.self, Upcoming.self, Site.self]
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
        @OptionGroup var options: ReportOptions

        func run() throws {
            try CLI.run {
                let report = try VigilService().missionsReport(country: country, campaign: campaign, view: options.view)
                try Output.report(
                    report.rows, lag: report.lag, standby: report.standby, format: options.format,
                    headers: ["mission", "kind", "city", "country", "status", "scheduled", "held", "cancelled", "not held",
                              "weekly held", "expected", "reported", "accepted", "refused", "blocked", "nobody out",
                              "readings", "names", "coverage", "no-shows", "first held (local)", "last held (local)"],
                    narrow: ["mission", "city", "country", "held", "weekly held", "reported", "accepted", "refused"],
                    wide: options.wide
                ) { row in
                    let f = row.figures
                    let gatherings = [f.gatheringsScheduled, f.gatheringsHeld, f.gatheringsCancelled, f.gatheringsNotHeld, f.weeklyHeld]
                    let rest = [f.deliveriesAccepted, f.deliveriesRefused, f.deliveriesBlocked, f.deliveriesNobodyCameOut, f.readings,
                                f.namesRead, f.coverage, f.noShows]
                    return [row.mission.missionId, row.mission.kind, row.mission.city, row.mission.country, row.mission.status]
                        + gatherings.map(String.init) + [f.attendanceExpected.description, f.attendanceReported.description]
                        + rest.map(String.init) + [row.firstHeldLocal ?? "", row.lastHeldLocal ?? ""]
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
        @OptionGroup var options: ReportOptions

        func run() throws {
            try CLI.run {
                let report = try VigilService().missionReport(id, view: options.view)
                let (row, lag) = (report.rows, report.lag)
                if options.format == .table {
                    let m = row.mission
                    print("\(m.name) (\(m.missionId))")
                    print("\(m.kind), \(m.city), \(m.country); zone \(m.timeZone); \(m.status)")
                    print("campaigns: \(row.campaigns.isEmpty ? "none" : row.campaigns.joined(separator: ", "))")
                    print("first held: \(row.firstHeldLocal ?? "never"); last held: \(row.lastHeldLocal ?? "never") (local time)")
                    Output.printFigures(row.figures)
                    Output.printRows(["kind", "scheduled", "held", "cancelled", "not held"], row.byKind.map {
                        [$0.kind, String($0.scheduled), String($0.held), String($0.cancelled), String($0.notHeld)]
                    }, format: .table)
                    Output.printLag(lag, standby: report.standby)
                    Output.printHiddenLegend([row.figures.attendanceExpected, row.figures.attendanceReported].map(\.description))
                } else {
                    try Output.report([row], lag: lag, standby: report.standby, format: options.format, headers: ["mission", "scheduled", "held"]) {
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
        @OptionGroup var options: ReportOptions

        func run() throws {
            try CLI.run {
                let report = try VigilService().campaignsReport(id, view: options.view)
                try Output.report(
                    report.rows, lag: report.lag, standby: report.standby, format: options.format,
                    headers: ["campaign", "status", "missions", "cities", "countries", "scheduled", "held", "cancelled",
                              "not held", "expected", "reported", "accepted", "refused", "blocked", "nobody out",
                              "signatures", "online", "paper", "endorsements", "statements", "coverage", "no-shows"],
                    narrow: ["campaign", "status", "cities", "countries", "held", "reported", "accepted", "refused", "signatures"],
                    wide: options.wide
                ) { row in
                    let f = row.figures
                    let gatherings = [f.gatheringsScheduled, f.gatheringsHeld, f.gatheringsCancelled, f.gatheringsNotHeld]
                    let deliveries = [f.deliveriesAccepted, f.deliveriesRefused, f.deliveriesBlocked, f.deliveriesNobodyCameOut]
                    let people = [f.attendanceExpected, f.attendanceReported]
                    let signatures = [row.signatures.total, row.signatures.online, row.signatures.paper]
                    return [row.campaign.campaignId, row.campaign.status, String(row.missionsReached), String(row.citiesReached),
                            String(row.countriesReached)]
                        + gatherings.map(String.init) + people.map(\.description) + deliveries.map(String.init)
                        + signatures.map(\.description)
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
        @OptionGroup var options: ReportOptions

        func run() throws {
            try CLI.run {
                let report = try VigilService().dayReport(id, view: options.view)
                try Output.report(
                    report.rows, lag: report.lag, standby: report.standby, format: options.format,
                    headers: ["starts (UTC)", "local date and time", "zone", "city", "country", "mission", "gathering", "kind",
                              "status", "petition", "expected", "reported"],
                    narrow: ["starts (UTC)", "local date and time", "city", "status", "petition", "reported"],
                    wide: options.wide
                ) { row in
                    [Output.utc(row.startsAtUTC), row.localStart, row.timeZone, row.city, row.country, row.missionId,
                     row.gatheringId, row.kind, row.status, row.delivery ?? "", row.attendanceExpected.description,
                     row.attendanceReported?.description ?? ""]
                }
            }
        }
    }

    struct Upcoming: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What is next across missions: gatherings and weekly dates to come, in the order they start.",
            discussion: """
                Gatherings still scheduled and dates of weekly gatherings not skipped, from now for --days days, each at \
                its place's local date and time and in UTC. Example: vigil report upcoming --days 7
                """
        )

        @Option(help: "How many days ahead, 1 to 366.")
        var days = 14
        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let report = try VigilService().upcoming(days: days)
                try Output.report(
                    report.rows, lag: report.lag, standby: report.standby, format: format,
                    headers: ["starts (UTC)", "local date and time", "zone", "city", "country", "kind", "gathering", "weekly"]
                ) { row in
                    [Output.utc(row.startsAtUTC), row.localStart, row.timeZone, row.city, row.country, row.kind, row.id,
                     row.weekly ? "yes" : ""]
                }
                if format == .table && report.rows.isEmpty { print("nothing scheduled in the next \(days) days") }
            }
        }
    }

}

/// Options every report takes: the output format, and whose view of the figures.
struct ReportOptions: ParsableArguments {
    @Option(help: "table, json or csv.")
    var format: OutputFormat = .table

    @Flag(help: "The organiser's view: every figure exact, counts of 1 to 4 included; needs the vigil_writer role.")
    var exact = false

    @Flag(help: "Every column in the table (the default shows the columns people read first, to fit a terminal); JSON and CSV always carry every column.")
    var wide = false

    /// The view the service is asked for.
    var view: ReportView { exact ? .organiser : .reporter }
}
