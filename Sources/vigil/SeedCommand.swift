import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// `vigil seed load`: the sample data set, loaded through the organisers' own commands.
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Load the sample data set in seeds/.",
        subcommands: [Load.self]
    )

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every command in seeds/*.vigil; loading twice appends nothing new.",
            discussion: """
                A seed file holds one organiser's command per line, as typed after `vigil`; `#` starts a comment
                and a trailing backslash continues a line. Each command gets an idempotency key made from its
                file and text, so a second load appends nothing. Example: vigil seed load --dir seeds
                """
        )

        @Option(help: "The folder of .vigil files (default: $VIGIL_SEEDS_DIR, else the project's seeds/).")
        var dir: String?

        func run() throws {
            try CLI.run { _ = try SeedLoader.load(directory: dir) }
        }
    }
}

/// Loads seed files through the service, parsing each line with the same subcommands an organiser types.
enum SeedLoader {
    static func load(directory: String?) throws -> SeedSummary {
        let summary = try VigilService().loadSeeds(directory: directory, parse: organiserCommand) { line in
            FileHandle.standardError.write(Data("seed: \(line)\n".utf8))
        }
        FileHandle.standardError.write(Data(
            "seed: \(summary.commands) commands from \(summary.files) files: \(summary.appended) events appended, \(summary.alreadyThere) commands already loaded\n".utf8))
        return summary
    }

    /// Parses one line's words with the CLI's own parser.
    static func organiserCommand(_ line: SeedLine) throws -> VigilCommand {
        let parsed: ParsableCommand
        do {
            parsed = try Vigil.parseAsRoot(line.words)
        } catch {
            let message = Vigil.message(for: error).split(separator: "\n").first.map(String.init) ?? "cannot parse"
            throw CLI.Failure(message: message, code: .invalidInput)
        }
        guard let organiser = parsed as? any OrganiserCommand else {
            throw CLI.Failure(message: "only organisers' commands (mission, gathering, …) belong in a seed file", code: .invalidInput)
        }
        return try organiser.command().0
    }
}

/// `vigil demo`: the sample data set, the projections brought up to date, and the per-mission report.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Load the sample data set, bring the projections up to date and print the per-mission report.",
        discussion: "Example: scripts/vigil demo. Running it again loads nothing new."
    )

    @Option(help: "table, json or csv.")
    var format: OutputFormat = .table

    func run() throws {
        try CLI.run {
            _ = try SeedLoader.load(directory: nil)
            try VigilService().catchUpProjections()
        }
        var report = try ReportCommand.Missions.parse([])
        report.options.format = format
        try report.run()
    }
}
