import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// `vigil weekly …`: gatherings that come back every week.
struct WeeklyCommandGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weekly",
        abstract: "Weekly gatherings: set up, skip a date, record a date as held, end; list their dates; a calendar.",
        subcommands: [Schedule.self, Skip.self, Held.self, End.self, Dates.self, Calendar.self]
    )

    struct Schedule: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set up a gathering every week at the same local time in the mission's zone.",
            discussion: """
                The time stays the same on the wall clock across daylight-saving changes. On the night the clocks
                skip that hour it moves to just after the jump; when the hour happens twice, it is the earlier one.
                Example:
                  vigil weekly schedule dprk-mission-tuesdays --mission dprk-un-mission-new-york --kind picket \\
                    --every tuesday --time 12:00 --from 2023-11-07
                """
        )

        @Argument(help: "An id people can type.")
        var id: String
        @OptionGroup var place: PlaceOptions
        @Option(help: "The day of the week (its name, or its first three letters).")
        var every: Weekday
        @Option(help: "Local time at the mission: HH:MM.")
        var time: String
        @Option(help: "The first date it may fall on: YYYY-MM-DD.")
        var from: String
        @Option(help: "The last date it may fall on: YYYY-MM-DD.")
        var until: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = ScheduleRecurrence(
                recurrenceId: id, missionId: place.mission, campaignId: place.campaign, kind: place.kind, weekday: every,
                time: time, from: from, until: until, venue: place.venue, organiser: place.organiser)
            return (.recurrence(.schedule(command)), "set up weekly gathering \(id)")
        }
    }

    struct Skip: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Skip one date of a weekly gathering.",
            discussion: "Example: vigil weekly skip dprk-mission-tuesdays --date 2023-12-26 --reason \"Christmas week\""
        )

        @Argument(help: "The weekly gathering's id.")
        var id: String
        @Option(help: "The date to skip: YYYY-MM-DD.")
        var date: String
        @Option(help: "Why (- reads it from standard input, out of the shell's history).")
        var reason: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            (.recurrence(.skip(recurrenceId: id, date: date, reason: reason)), "skipped \(date) of weekly gathering \(id)")
        }
    }

    struct Held: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that one date of a weekly gathering took place.",
            discussion: "Example: vigil weekly held dprk-mission-tuesdays --date 2023-11-14 --attendance 1"
        )

        @Argument(help: "The weekly gathering's id.")
        var id: String
        @Option(help: "The date: YYYY-MM-DD.")
        var date: String
        @OptionGroup var report: HeldOptions
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            (.recurrence(.recordHeld(recurrenceId: id, date: date, attendance: report.attendance, notes: report.notes)),
             "recorded \(date) of weekly gathering \(id) as held")
        }
    }

    struct End: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a weekly gathering after a date.",
            discussion: "Example: vigil weekly end dprk-mission-tuesdays --last 2024-06-25"
        )

        @Argument(help: "The weekly gathering's id.")
        var id: String
        @Option(help: "The last date it takes place: YYYY-MM-DD.")
        var last: String
        @Option(help: "Why (- reads it from standard input, out of the shell's history).")
        var reason: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            (.recurrence(.end(recurrenceId: id, lastDate: last, reason: reason)), "ended weekly gathering \(id)")
        }
    }

    struct Dates: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A weekly gathering's dates: local and UTC times, and whether each was held, skipped or is to come.",
            discussion: """
                Each date at the place's wall time (with its zone) and in UTC, and where it stands: held, skipped, \
                upcoming, or unrecorded (past, and recorded neither as held nor as skipped).
                Example: vigil weekly dates dprk-mission-tuesdays --from 2023-11-14 --count 8
                """
        )

        @Argument(help: "The weekly gathering's id.")
        var id: String
        @Option(help: "The first date to list, YYYY-MM-DD, at the place (default: four weeks before today there).")
        var from: String?
        @Option(help: "How many dates to list at most.")
        var count = 10
        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let report = try VigilService().weeklyDates(id, from: from, count: count)
                let series = report.rows
                let headers = ["date", "local time", "zone", "UTC", "status"]
                let rows = series.occurrences.map { [$0.date, $0.localStart, $0.timeZone, Output.utc($0.startsAtUTC), $0.status.rawValue] }
                switch format {
                case .json:
                    Output.printJSON(["series": try Output.jsonValue(series), "behindLog": try Output.jsonValue(report.lag)])
                case .csv:
                    Output.printRows(headers, rows, format: .csv)
                case .table:
                    print("\(series.recurrenceId): \(series.kind) at \(series.missionName), \(series.city)")
                    print("every \(series.weekday) at \(series.localTime) \(series.timeZone), from \(series.from)"
                        + (series.lastDate.map { " to \($0)" } ?? ", no end set"))
                    if let venue = series.venue { print("where: \(venue)") }
                    if rows.isEmpty { print("no dates from there") } else { Output.printRows(headers, rows, format: .table) }
                    Output.printLag(report.lag, standby: report.standby)
                }
            }
        }
    }
}
