import Foundation
import Testing
import VigilTestSupport

/// Reports fit a terminal: a narrow table by default, every column with --wide, and JSON and CSV
/// always whole. Run against the sample data, whose widest rows these are.
@Suite("Report tables fit the terminal")
struct TerminalTableTests {
    let database: String

    init() throws { database = try SampleData.database() }

    func run(_ arguments: [String]) throws -> String {
        let run = try VigilBinary.run(arguments, database: database)
        #expect(run.status == 0, "\(arguments): \(run.stderr)")
        return run.stdout
    }

    @Test(
        "each report's default table fits 100 columns and keeps the columns read first; --wide has them all",
        arguments: [
            (["report", "missions"], ["mission", "city", "country", "held", "reported", "accepted", "refused"], ["nobody out", "first held (local)"]),
            (["report", "campaign"], ["campaign", "status", "cities", "countries", "held", "reported", "accepted", "signatures"], ["endorsements", "no-shows"]),
            (["report", "day", "dad-2004"], ["starts (UTC)", "local date and time", "city", "status", "petition"], ["gathering", "expected"]),
        ])
    func narrowAndWide(_ arguments: [String], _ kept: [String], _ dropped: [String]) throws {
        let narrow = try run(arguments)
        #expect(widest(narrow) <= 100, "\(arguments) is \(widest(narrow)) columns wide:\n\(narrow)")
        let header = String(narrow.split(separator: "\n").first ?? "")
        for column in kept { #expect(header.contains(column), "\(arguments): no \(column) in \(header)") }
        for column in dropped { #expect(!header.contains(column), "\(arguments): \(column) in the narrow table") }
        #expect(narrow.contains("read models up to date with the log"))

        let wide = try run(arguments + ["--wide"])
        let wideHeader = String(wide.split(separator: "\n").first ?? "")
        for column in kept + dropped { #expect(wideHeader.contains(column), "\(arguments) --wide: no \(column)") }
        #expect(widest(wide) > 100)

        // Machines get every column whatever the table shows.
        let csv = try run(arguments + ["--format", "csv"])
        let csvHeader = String(csv.split(separator: "\n").first ?? "")
        for column in kept + dropped { #expect(csvHeader.contains(column), "\(arguments) csv: no \(column)") }
        #expect(try run(arguments + ["--format", "csv", "--wide"]) == csv)
    }

    @Test("the narrow missions table still shows the sample day's figures")
    func narrowFigures() throws {
        let table = try run(["report", "missions"])
        let washington = try #require(table.split(separator: "\n").first { $0.hasPrefix("prc-embassy-washington ") })
        // mission, city, country, held, weekly held, reported, accepted, refused
        #expect(washington.split(separator: " ", omittingEmptySubsequences: true).map(String.init) == [
            "prc-embassy-washington", "Washington", "US", "4", "0", "0", "2", "0",
        ])
    }

    @Test("a campaign that reached no mission reaches no city, in the table too")
    func campaignWithoutMissions() throws {
        let database = try TestDatabase.create("nomission")
        let launch = try VigilBinary.run(
            ["campaign", "launch", "no-missions-yet", "--title", "Not yet anywhere", "--cause", "c", "--coalition", "c",
             "--addressee", "a", "--demand", "d"], database: database)
        #expect(launch.status == 0, "\(launch.stderr)")
        let table = try VigilBinary.run(["report", "campaign", "no-missions-yet"], database: database)
        let row = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("no-missions-yet ") })
        // campaign, status, cities, countries, held, …
        #expect(row.split(separator: " ", omittingEmptySubsequences: true).prefix(4).map(String.init) == ["no-missions-yet", "active", "0", "0"])
    }
}
