import Foundation
import Testing
import VigilTestSupport

/// Small counts through the built binary: "<5" in the reporter's view, in every format, and exact
/// figures with --exact for organisers only.
@Suite("Small counts in reports, end to end", .serialized)
struct SmallCountsCLITests {
    let database: String

    init() throws {
        database = try TestDatabase.create("smallcounts")
        let commands: [[String]] = [
            ["campaign", "launch", "dad-small", "--title", "Day of action", "--cause", "Repatriation", "--coalition", "Coalition",
             "--addressee", "Xi Jinping", "--demand", "Stop repatriation"],
            ["mission", "register", "prc-embassy-seoul", "--name", "Embassy in Seoul", "--sending-state", "CN", "--kind", "embassy",
             "--city", "Seoul", "--country", "KR", "--zone", "Asia/Seoul"],
            ["mission", "register", "prc-embassy-tokyo", "--name", "Embassy in Tokyo", "--sending-state", "CN", "--kind", "embassy",
             "--city", "Tokyo", "--country", "JP", "--zone", "Asia/Tokyo"],
            ["gathering", "schedule", "g-seoul", "--mission", "prc-embassy-seoul", "--campaign", "dad-small", "--kind", "vigil",
             "--at", "2024-12-22 12:00", "--expected", "40"],
            ["gathering", "held", "g-seoul", "--attendance", "40"],
            ["gathering", "schedule", "g-tokyo", "--mission", "prc-embassy-tokyo", "--campaign", "dad-small", "--kind", "vigil",
             "--at", "2024-12-22 12:00", "--expected", "2"],
            ["gathering", "held", "g-tokyo", "--attendance", "2"],
            ["petition", "draft", "dad-small-petition", "--campaign", "dad-small", "--title", "Stop", "--addressee", "Xi Jinping",
             "--text", "Stop."],
            ["petition", "open", "dad-small-petition"],
            ["petition", "count", "dad-small-petition", "--channel", "paper", "--count", "KR=3", "--count", "US=120", "--count", "JP=7"],
        ]
        for command in commands {
            let run = try VigilBinary.run(command, database: database)
            guard run.status == 0 else { throw TestFailure("vigil \(command.joined(separator: " ")): \(run.stderr)") }
        }
    }

    func signatures(_ arguments: [String]) throws -> [String: Any] {
        let report = try VigilBinary.json(arguments, database: database) as? [String: Any]
        let row = try #require((report?["rows"] as? [[String: Any]])?.first)
        return try #require(row["signatures"] as? [String: Any])
    }

    @Test("JSON: a hidden count is the string \"<5\" or \"withheld\"; with --exact every figure is a number, as before")
    func json() throws {
        let seen = try signatures(["report", "campaign", "dad-small"])
        let byCountry = try #require(seen["byCountry"] as? [String: Any])
        #expect(byCountry["KR"] as? String == "<5")
        #expect(byCountry["JP"] as? String == "withheld")
        #expect(byCountry["US"] as? Int == 120)
        #expect(seen["total"] as? Int == 130)

        let exact = try signatures(["report", "campaign", "dad-small", "--exact"])
        #expect(exact["byCountry"] as? [String: Int] == ["KR": 3, "US": 120, "JP": 7])
        #expect(exact["total"] as? Int == 130 && exact["paper"] as? Int == 130 && exact["online"] as? Int == 0)
        let day = try VigilBinary.json(["report", "day", "dad-small", "--exact"], database: database) as? [String: Any]
        #expect((day?["rows"] as? [[String: Any]])?.compactMap { $0["attendanceReported"] as? Int } == [40, 2])
    }

    @Test("CSV and tables: the text <5 in the reporter's view, the figure with --exact; a table says what <5 means")
    func csvAndTable() throws {
        let csv = try VigilBinary.run(["report", "missions", "--campaign", "dad-small", "--format", "csv"], database: database)
        #expect(csv.status == 0, "\(csv.stderr)")
        let tokyo = try #require(csv.stdout.split(separator: "\n").first { $0.hasPrefix("prc-embassy-tokyo,") })
        // expected and reported, after the five gathering columns
        #expect(tokyo.split(separator: ",").map(String.init)[10...11] == ["<5", "<5"], "\(tokyo)")
        let exactCSV = try VigilBinary.run(
            ["report", "missions", "--campaign", "dad-small", "--format", "csv", "--exact"], database: database)
        let exactTokyo = try #require(exactCSV.stdout.split(separator: "\n").first { $0.hasPrefix("prc-embassy-tokyo,") })
        #expect(exactTokyo.split(separator: ",").map(String.init)[10...11] == ["2", "2"], "\(exactTokyo)")

        let table = try VigilBinary.run(["report", "day", "dad-small"], database: database)
        #expect(table.stdout.contains("(<5: 1 to 4 people, hidden so that nobody is singled out"), "\(table.stdout)")
        // Nothing hidden, nothing to explain.
        let campaign = try VigilBinary.run(["report", "campaign", "dad-small"], database: database)
        #expect(!campaign.stdout.contains("<5"), "\(campaign.stdout)")
        let mission = try VigilBinary.run(["report", "mission", "prc-embassy-tokyo"], database: database)
        #expect(mission.stdout.contains("attendance: <5 expected, <5 reported"), "\(mission.stdout)")
        let exactMission = try VigilBinary.run(["report", "mission", "prc-embassy-tokyo", "--exact"], database: database)
        #expect(exactMission.stdout.contains("attendance: 2 expected, 2 reported"), "\(exactMission.stdout)")
        #expect(!exactMission.stdout.contains("<5"))
    }

    @Test("--exact needs the organiser's role: a reporter-only login gets exit 9 and the GRANT that would allow it")
    func exactNeedsTheRole() throws {
        let login = try Login(database, member: "vigil_reporter")
        defer { try? login.drop() }
        let asReporter = ["PGUSER": login.name]
        let seen = try VigilBinary.run(["report", "day", "dad-small"], database: database, environment: asReporter)
        #expect(seen.status == 0, "\(seen.stderr)")
        let refused = try VigilBinary.run(["report", "day", "dad-small", "--exact"], database: database, environment: asReporter)
        #expect(refused.status == 9)
        #expect(refused.stderr.contains("GRANT vigil_writer TO \(login.name)"), "\(refused.stderr)")
        let help = try VigilBinary.run(["report", "campaign", "--help"], database: database)
        #expect(help.stdout.contains("--exact"))
    }
}
