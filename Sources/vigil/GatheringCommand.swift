import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// `vigil gathering …`: protests, vigils, rallies and press conferences at missions.
struct GatheringCommandGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gathering",
        abstract: "Schedule, reschedule, cancel and record protests, vigils and other gatherings.",
        subcommands: [
            Schedule.self, Reschedule.self, Venue.self, Cancel.self, Held.self, NotHeld.self, ReadNames.self, Coverage.self,
            NoShow.self,
        ]
    )

    struct Schedule: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schedule a gathering at a mission, at a local time in the mission's zone.",
            discussion: """
                Example:
                  vigil gathering schedule dc-vigil-2004 --mission prc-embassy-washington --kind vigil \\
                    --at "2004-12-22 12:00" --expected 100 --organiser "North Korea Freedom Coalition"
                """
        )

        @Argument(help: "An id people can type, such as dc-vigil-2004.")
        var id: String
        @OptionGroup var place: PlaceOptions
        @Option(help: "Local date and time at the mission: YYYY-MM-DD HH:MM.")
        var at: String
        @Option(help: "earlier or later: which one, when the time happens twice as clocks go back.")
        var fold: Fold?
        @Option(help: "How many people are expected.")
        var expected: Int?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = ScheduleGathering(
                gatheringId: id, missionId: place.mission, campaignId: place.campaign, kind: place.kind, localStart: at,
                fold: fold, venue: place.venue, expectedAttendance: expected, organiser: place.organiser)
            return (.gathering(.schedule(command)), "scheduled gathering \(id)")
        }
    }

    struct Reschedule: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a gathering to another local time.",
            discussion: "Example: vigil gathering reschedule dc-vigil-2004 --at \"2004-12-22 17:00\" --reason \"after work\""
        )

        @Argument(help: "The gathering's id.")
        var id: String
        @Option(help: "New local date and time at the mission: YYYY-MM-DD HH:MM.")
        var at: String
        @Option(help: "earlier or later: which one, when the time happens twice as clocks go back.")
        var fold: Fold?
        @Option(help: "Why it moved (- reads it from standard input, out of the shell's history).")
        var reason: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = RescheduleGathering(gatheringId: id, localStart: at, fold: fold, reason: reason)
            return (.gathering(.reschedule(command)), "rescheduled gathering \(id)")
        }
    }

    struct Cancel: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a gathering.",
            discussion: "Example: vigil gathering cancel osaka-2004 --reason \"permit refused\""
        )

        @Argument(help: "The gathering's id.")
        var id: String
        @Option(help: "Why it was cancelled (- reads it from standard input, out of the shell's history).")
        var reason: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            return (.gathering(.cancel(CancelGathering(gatheringId: id, reason: reason))), "cancelled gathering \(id)")
        }
    }

    struct Held: OrganiserCommand {
        static let configuration = CommandConfiguration(
            commandName: "held",
            abstract: "Record that a gathering took place, with the attendance reported.",
            discussion: "Example: vigil gathering held dc-vigil-2004 --attendance 100 --notes \"names read aloud into the night\""
        )

        @Argument(help: "The gathering's id.")
        var id: String
        @OptionGroup var report: HeldOptions
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = RecordGatheringHeld(gatheringId: id, reportedAttendance: report.attendance, notes: report.notes)
            return (.gathering(.recordHeld(command)), "recorded gathering \(id) as held")
        }
    }

    struct NotHeld: OrganiserCommand {
        static let configuration = CommandConfiguration(
            commandName: "not-held",
            abstract: "Record that a gathering did not take place.",
            discussion: "Example: vigil gathering not-held pusan-2004 --reason \"no volunteers came\""
        )

        @Argument(help: "The gathering's id.")
        var id: String
        @Option(help: "Why it did not take place (- reads it from standard input, out of the shell's history).")
        var reason: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = RecordGatheringNotHeld(gatheringId: id, reason: reason)
            return (.gathering(.recordNotHeld(command)), "recorded gathering \(id) as not held")
        }
    }

    struct Venue: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a gathering to another spot.",
            discussion: "Example: vigil gathering venue nyc-2023-11-14 --venue \"Dag Hammarskjold Plaza\""
        )

        @Argument(help: "The gathering's id.")
        var id: String
        @Option(help: "Where it now takes place.")
        var venue: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            (.gathering(.changeVenue(ChangeVenue(gatheringId: id, venue: venue))), "moved gathering \(id)")
        }
    }

    struct ReadNames: OrganiserCommand {
        static let configuration = CommandConfiguration(
            commandName: "read-names",
            abstract: "Record that a list of names was read aloud: how many names, how many readers, which list.",
            discussion: """
                The names themselves are never recorded: --list-ref refers to the list where it is kept.
                Example: vigil gathering read-names snkrd-2015-washington --names 200 --readers 12 --list-ref nkfc-repatriated-list
                """
        )

        @Argument(help: "The gathering's id.")
        var id: String
        @Option(help: "How many names were read.")
        var names: Int
        @Option(help: "How many people read them.")
        var readers: Int
        @Option(name: .customLong("list-ref"), help: "A reference to the list, such as nkfc-repatriated-list.")
        var listRef: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = RecordNamesRead(gatheringId: id, names: names, readers: readers, listRef: listRef)
            return (.gathering(.recordNamesRead(command)), "recorded a reading of names at \(id)")
        }
    }

    struct Coverage: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that an outlet covered a gathering.",
            discussion: "Example: vigil gathering coverage snkrd-2015-washington --outlet \"Voice of America Korea\" --language ko"
        )

        @Argument(help: "The gathering's id.")
        var id: String
        @Option(help: "The outlet.")
        var outlet: String
        @Option(help: "The language of the coverage (ISO 639: ko, en, zh).")
        var language: String?
        @Option(help: "A link to the coverage.")
        var link: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = RecordCoverage(gatheringId: id, outlet: outlet, language: language, link: link)
            return (.gathering(.recordCoverage(command)), "recorded coverage of \(id) by \(outlet)")
        }
    }

    struct NoShow: OrganiserCommand {
        static let configuration = CommandConfiguration(
            commandName: "no-show",
            abstract: "Record that an outlet that was invited or expected did not come.",
            discussion: "Example: vigil gathering no-show snkrd-2015-washington --outlet CCTV --notes \"no one came out\""
        )

        @Argument(help: "The gathering's id.")
        var id: String
        @Option(help: "The outlet.")
        var outlet: String
        @Option(help: "What happened (- reads it from standard input, out of the shell's history).")
        var notes: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            (.gathering(.recordNoShow(RecordNoShow(gatheringId: id, outlet: outlet, notes: notes))), "recorded that \(outlet) did not come to \(id)")
        }
    }
}
