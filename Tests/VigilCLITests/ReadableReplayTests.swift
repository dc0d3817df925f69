import Foundation
import Testing
import VigilTestSupport

/// `audit replay` prints a state a person can read, and JSON a machine can: real replays of the sample
/// data's gatherings and weekly gatherings.
@Suite("Readable replays")
struct ReadableReplayTests {
    let database: String

    init() throws { database = try SampleData.database() }

    func replay(_ arguments: [String]) throws -> String {
        let run = try VigilBinary.run(["audit", "replay"] + arguments, database: database)
        #expect(run.status == 0, "\(arguments): \(run.stderr)")
        return run.stdout
    }

    @Test("a gathering: local times with their zone, instants in UTC, no objects of dates, no braces")
    func gatheringText() throws {
        let text = try replay(["gathering", "dad-2004-washington"])
        #expect(text.contains("local start: 2004-12-22 12:00 America/New_York"), "\(text)")
        #expect(text.contains("starts at: 2004-12-22 17:00:00 UTC"), "\(text)")
        #expect(text.contains("status: held"))
        #expect(text.contains("local times are in America/New_York"))
        for raw in ["{", "}", "\"day\"", "\"month\"", "\"year\""] { #expect(!text.contains(raw), "\(raw) in\n\(text)") }
    }

    @Test("a weekly gathering: the dates held as a list of records and the skipped dates as dates")
    func weeklyText() throws {
        let text = try replay(["weekly", "dprk-mission-tuesdays"])
        #expect(text.contains("  - date: 2023-11-14"), "\(text)")
        #expect(text.contains("starts at: 2023-11-14 17:00:00 UTC"), "\(text)")
        #expect(text.contains("from: 2023-11-14"))
        #expect(text.contains("skipped: none"))
        for raw in ["{", "[", "\"day\""] { #expect(!text.contains(raw), "\(raw) in\n\(text)") }
    }

    @Test("--format json: ISO 8601 dates, wall times and instants, and no dictionary flattened into an array")
    func json() throws {
        let gathering = try #require(try JSONSerialization.jsonObject(with: Data(try replay(["gathering", "dad-2004-washington", "--format", "json"]).utf8)) as? [String: Any])
        let state = try #require(gathering["state"] as? [String: Any])
        #expect(state["localStart"] as? String == "2004-12-22T12:00")
        #expect(state["startsAt"] as? String == "2004-12-22T17:00:00Z")
        #expect((state["scheduled"] as? [String: Any])?["localStart"] as? String == "2004-12-22T12:00")
        #expect(gathering["timeZone"] as? String == "America/New_York")
        #expect(gathering["stream"] as? String == "gathering-dad-2004-washington")

        let weekly = try #require(try JSONSerialization.jsonObject(with: Data(try replay(["weekly", "dprk-mission-tuesdays", "--format", "json"]).utf8)) as? [String: Any])
        let rule = try #require((weekly["state"] as? [String: Any])?["rule"] as? [String: Any])
        #expect(rule["from"] as? String == "2023-11-14")
        let held = try #require((weekly["state"] as? [String: Any])?["held"] as? [[String: Any]])
        #expect(held.map { $0["date"] as? String } == ["2023-11-14"])
        #expect(held.first?["startsAt"] as? String == "2023-11-14T17:00:00Z")
        #expect((weekly["state"] as? [String: Any])?["skipped"] as? [String] == [])
    }

    @Test("--format csv is refused with a clear message")
    func csvRefused() throws {
        let run = try VigilBinary.run(["audit", "replay", "gathering", "dad-2004-washington", "--format", "csv"], database: database)
        #expect(run.status == 64)
        #expect(run.stderr.contains("a replay prints table or json"), "\(run.stderr)")
    }
}
