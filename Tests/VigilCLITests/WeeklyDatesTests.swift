import Foundation
import Testing
import VigilTestSupport

/// A weekly gathering's dates and what is next across missions, through the built binary.
@Suite("Weekly dates and what is next")
struct WeeklyDatesTests: OnWeeklyFixture {
    let database: String

    init() throws { database = try WeeklyFixture.database.get() }

    // MARK: weekly dates

    @Test("a weekly gathering's dates: held, skipped and unrecorded, at noon in London across the change to summer time")
    func weeklyDates() throws {
        let series = try #require(try json(["weekly", "dates", "london-weds", "--from", "2026-03-01", "--count", "5"])["series"] as? [String: Any])
        let dates = try #require(series["occurrences"] as? [[String: Any]])
        #expect(dates.compactMap { $0["date"] as? String } == ["2026-03-04", "2026-03-11", "2026-03-18", "2026-03-25", "2026-04-01"])
        #expect(dates.compactMap { $0["status"] as? String } == ["held", "unrecorded", "unrecorded", "skipped", "unrecorded"])
        #expect(dates.compactMap { $0["localStart"] as? String }.allSatisfy { $0.hasSuffix(" 12:00") })
        // 12:00 GMT, then 12:00 BST (UTC+1) after the clocks went forward on 29 March.
        #expect(dates.compactMap { $0["startsAtUTC"] as? String } == [
            "2026-03-04T12:00:00Z", "2026-03-11T12:00:00Z", "2026-03-18T12:00:00Z", "2026-03-25T12:00:00Z", "2026-04-01T11:00:00Z",
        ])
        #expect(series["timeZone"] as? String == "Europe/London")
        #expect(series["weekday"] as? String == "wednesday")

        let table = try vigil(["weekly", "dates", "london-weds", "--from", "2026-03-01", "--count", "5"])
        #expect(table.contains("2026-04-01  2026-04-01 12:00  Europe/London  2026-04-01 11:00  unrecorded"), "\(table)")
        #expect(table.contains("every wednesday at 12:00 Europe/London"), "\(table)")
        #expect(widest(table) <= 100)
        for secret in WeeklyFixture.secrets { #expect(!table.contains(secret)) }
    }

    @Test("dates to come are upcoming; an ended weekly gathering stops at its last date")
    func upcomingAndEnded() throws {
        let future = try #require(try json(["weekly", "dates", "london-weds", "--from", "2099-01-01", "--count", "3"])["series"] as? [String: Any])
        #expect((future["occurrences"] as? [[String: Any]])?.compactMap { $0["status"] as? String } == ["upcoming", "upcoming", "upcoming"])
        let ended = try #require(try json(["weekly", "dates", "seoul-mondays", "--from", "2026-02-01", "--count", "10"])["series"] as? [String: Any])
        let dates = try #require(ended["occurrences"] as? [[String: Any]])
        #expect(dates.compactMap { $0["date"] as? String } == ["2026-02-02", "2026-02-09", "2026-02-16", "2026-02-23"])
        #expect(dates.first?["startsAtUTC"] as? String == "2026-02-02T00:30:00Z")
        #expect(ended["lastDate"] as? String == "2026-02-23")
    }

    @Test("bad input to weekly dates: a clear message and a non-zero exit")
    func weeklyDatesBadInput() throws {
        for (arguments, status, message) in [
            (["weekly", "dates", "no-such-weekly"], Int32(4), "no weekly gathering \"no-such-weekly\""),
            (["weekly", "dates", "london-weds", "--count", "0"], 3, "--count: is 0"),
            (["weekly", "dates", "london-weds", "--from", "2026-02-30"], 3, "--from: 2026-02 has no day 30"),
            (["report", "upcoming", "--days", "400"], 3, "--days: is 400"),
        ] {
            let run = try VigilBinary.run(arguments, database: database)
            #expect(run.status == status, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(arguments): \(run.stdout)")
        }
    }

    // MARK: upcoming

    @Test("upcoming: one-off gatherings and weekly dates to come, in the order they start, cancelled ones left out")
    func upcoming() throws {
        let rows = try #require(try json(["report", "upcoming", "--days", "14"])["rows"] as? [[String: Any]])
        let ids = rows.compactMap { $0["id"] as? String }
        #expect(ids.contains("cal-next"))
        #expect(!ids.contains("cal-next-cancelled"))
        #expect(!ids.contains("seoul-mondays"))  // ended in February
        #expect(ids.filter { $0 == "london-weds" }.count == 2, "\(ids)")
        let starts = rows.compactMap { $0["startsAtUTC"] as? String }
        #expect(starts == starts.sorted() && starts.count == rows.count)
        let next = try #require(rows.first { $0["id"] as? String == "cal-next" })
        #expect(next["timeZone"] as? String == "Asia/Seoul")
        #expect((next["localStart"] as? String)?.hasSuffix(" 12:00") == true)
        #expect((next["startsAtUTC"] as? String)?.hasSuffix("T03:00:00Z") == true)
        #expect(next["weekly"] as? Bool == false)
        #expect(rows.first { $0["id"] as? String == "london-weds" }?["weekly"] as? Bool == true)

        let table = try vigil(["report", "upcoming", "--days", "14"])
        #expect(table.contains("Asia/Seoul") && table.contains("Europe/London") && table.contains("cal-next"), "\(table)")
        #expect(widest(table) <= 100)
    }

    @Test("a login holding only the reporter role lists a weekly gathering's dates and what is next: read models, not the log")
    func asReporter() throws {
        let login = try Login(database, member: "vigil_reporter")
        defer { try? login.drop() }
        for arguments in [["weekly", "dates", "london-weds", "--from", "2026-03-01", "--count", "2"], ["report", "upcoming"]] {
            let run = try VigilBinary.run(arguments, database: database, environment: ["PGUSER": login.name])
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            #expect(!run.stdout.isEmpty)
        }
    }
}
