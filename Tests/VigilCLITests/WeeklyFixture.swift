import Foundation
import Testing
import VigilTestSupport

/// Weekly gatherings and gatherings to come, in a database of their own, for the weekly-dates and the
/// calendar suites: London (which changes its clocks) and Seoul (which does not). Nothing reads it but
/// those suites, and they change nothing in it.
enum WeeklyFixture {
    /// The organiser's name, notes and reasons given below: sealed in the vault, never in a calendar.
    static let secrets = ["Secret Organiser Name", "Secret note", "Secret skip reason", "Secret cancel reason", "Secret End"]

    static let database: Result<String, any Error> = Result {
        let name = try TestDatabase.create("weekly")
        let seoulZone = TimeZone(identifier: "Asia/Seoul") ?? .current
        func seoulDate(inDays days: Double) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = seoulZone
            formatter.dateFormat = "yyyy-MM-dd"
            return formatter.string(from: Date().addingTimeInterval(days * 86_400))
        }
        let commands: [[String]] = [
            ["mission", "register", "prc-embassy-london", "--name", "Embassy of the People's Republic of China", "--sending-state", "CN",
             "--kind", "embassy", "--city", "London", "--country", "GB", "--zone", "Europe/London", "--address", "49 Portland Place"],
            ["mission", "register", "prc-embassy-seoul", "--name", "Embassy of the People's Republic of China", "--sending-state", "CN",
             "--kind", "embassy", "--city", "Seoul", "--country", "KR", "--zone", "Asia/Seoul"],
            ["campaign", "launch", "cal-2026", "--title", "Vigils; London, Seoul", "--cause", "c", "--coalition", "c", "--addressee", "a",
             "--demand", "d"],
            ["gathering", "schedule", "cal-summer", "--mission", "prc-embassy-london", "--campaign", "cal-2026", "--kind", "vigil",
             "--at", "2026-07-01 18:30", "--venue", "Opposite the embassy, Portland Place", "--organiser", "Secret Organiser Name"],
            ["gathering", "schedule", "cal-winter", "--mission", "prc-embassy-london", "--campaign", "cal-2026", "--kind", "rally",
             "--at", "2026-01-15 18:30"],
            ["gathering", "cancel", "cal-winter", "--reason", "Secret cancel reason"],
            ["gathering", "schedule", "cal-next", "--mission", "prc-embassy-seoul", "--campaign", "cal-2026", "--kind", "vigil",
             "--at", seoulDate(inDays: 2) + " 12:00"],
            ["gathering", "schedule", "cal-next-cancelled", "--mission", "prc-embassy-seoul", "--kind", "vigil",
             "--at", seoulDate(inDays: 3) + " 12:00"],
            ["gathering", "cancel", "cal-next-cancelled", "--reason", "Secret cancel reason"],
            ["weekly", "schedule", "london-weds", "--mission", "prc-embassy-london", "--campaign", "cal-2026", "--kind", "vigil",
             "--every", "wednesday", "--time", "12:00", "--from", "2026-03-04", "--organiser", "Secret Organiser Name"],
            ["weekly", "held", "london-weds", "--date", "2026-03-04", "--notes", "Secret note"],
            ["weekly", "skip", "london-weds", "--date", "2026-03-25", "--reason", "Secret skip reason"],
            ["weekly", "schedule", "seoul-mondays", "--mission", "prc-embassy-seoul", "--campaign", "cal-2026", "--kind", "picket",
             "--every", "monday", "--time", "09:30", "--from", "2026-01-05"],
            ["weekly", "end", "seoul-mondays", "--last", "2026-02-23", "--reason", "Secret End"],
        ]
        for command in commands {
            let run = try VigilBinary.run(command, database: name)
            guard run.status == 0 else { throw TestFailure("\(command): \(run.stderr)") }
        }
        return name
    }

}

/// A suite that runs the built binary against the weekly fixture's database.
protocol OnWeeklyFixture {
    var database: String { get }
}

extension OnWeeklyFixture {
    /// `vigil ARGS…`, expected to succeed; what it printed.
    func vigil(_ arguments: [String]) throws -> String {
        let run = try VigilBinary.run(arguments, database: database)
        #expect(run.status == 0, "\(arguments): \(run.stderr)")
        return run.stdout
    }

    /// `vigil ARGS… --format json`, parsed.
    func json(_ arguments: [String]) throws -> [String: Any] {
        try #require(try VigilBinary.json(arguments, database: database) as? [String: Any])
    }
}
