import ArgumentParser
import Foundation
import VigilService

/// `vigil campaign calendar` and `vigil weekly calendar`: iCalendar files a phone or a calendar program
/// opens, each gathering at its place's local time.
enum CalendarOutput {
    /// Writes `text` to `path`, or to stdout as it is (CRLF line ends and all) without one.
    static func write(_ text: String, to path: String?, what: String) throws {
        guard let path else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLI.Failure(message: "cannot write \(path): \((error as NSError).localizedDescription)", code: .invalidInput)
        }
        let events = text.components(separatedBy: "\r\n").filter { $0 == "BEGIN:VEVENT" }.count
        print("wrote \(what) (\(events) events) to \(path)")
    }
}

extension CampaignCommandGroup {
    struct Calendar: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A campaign's gatherings as an iCalendar (.ics) file, each at its place's local time.",
            discussion: """
                Every gathering of the campaign, cancelled ones marked as such, and its weekly gatherings as repeating \
                events; times carry the place's time zone, so a phone shows them right wherever it is. Only public \
                fields: no organiser's name, note or reason. An hour is assumed for each, since the log records no end.
                Example: vigil campaign calendar dad-2004 --out dad-2004.ics
                """
        )

        @Argument(help: "The campaign's id.")
        var id: String
        @Option(help: "Write the calendar to this file (default: print it).")
        var out: String?

        func run() throws {
            try CLI.run {
                try CalendarOutput.write(try VigilService().campaignCalendar(id), to: out, what: "the calendar of \(id)")
            }
        }
    }
}

extension WeeklyCommandGroup {
    struct Calendar: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A weekly gathering as an iCalendar (.ics) file: one repeating event at the place's local time.",
            discussion: """
                The weekly rule in the place's time zone (the same wall time across daylight-saving changes), its end \
                if it has one, and its skipped dates left out. Example: vigil weekly calendar dprk-mission-tuesdays --out tuesdays.ics
                """
        )

        @Argument(help: "The weekly gathering's id.")
        var id: String
        @Option(help: "Write the calendar to this file (default: print it).")
        var out: String?

        func run() throws {
            try CLI.run {
                try CalendarOutput.write(try VigilService().weeklyCalendar(id), to: out, what: "the calendar of \(id)")
            }
        }
    }
}
