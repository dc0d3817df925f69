import ArgumentParser
import EventStore
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

/// Reads seed files and runs their commands through the same subcommands an organiser types.
enum SeedLoader {
    struct Summary {
        var commands = 0
        var appended = 0
        var alreadyThere = 0
    }

    /// One command of a seed file, with where it stands.
    struct Line {
        var file: String
        var number: Int
        var tokens: [String]
    }

    static func load(directory: String?) throws -> Summary {
        let folder = try directory.map { URL(fileURLWithPath: $0) }
            ?? ProjectFolder.locate(environment: "VIGIL_SEEDS_DIR", folder: "seeds")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".vigil") }.sorted()
        guard !files.isEmpty else {
            throw CLI.Failure(message: "no .vigil files in \(folder.path)", code: .invalidInput)
        }
        let session = try VigilSession(role: .writer)
        var summary = Summary()
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let lines = try parse(text, file: file)
            for line in lines {
                let (command, _) = try organiserCommand(line)
                let key = "seed:\(file):\(String(StableHash.fnv1a64(line.tokens.joined(separator: "\u{1f}")), radix: 16))"
                let context = CommandContext(now: Date(), actor: "seed:\(file)")
                let outcome: CommandOutcome
                do {
                    outcome = try session.handle(command, commandId: key, context: context)
                } catch {
                    let (message, code) = CLI.describe(error)
                    throw CLI.Failure(message: "\(file):\(line.number): \(message)", code: code)
                }
                summary.commands += 1
                if outcome.duplicate { summary.alreadyThere += 1 } else { summary.appended += outcome.events.count }
            }
            FileHandle.standardError.write(Data("seed: \(file): \(lines.count) commands\n".utf8))
        }
        FileHandle.standardError.write(Data(
            "seed: \(summary.commands) commands from \(files.count) files: \(summary.appended) events appended, \(summary.alreadyThere) commands already loaded\n".utf8))
        return summary
    }

    /// Parses one line's words with the CLI's own parser.
    static func organiserCommand(_ line: Line) throws -> (VigilCommand, String) {
        let parsed: ParsableCommand
        do {
            parsed = try Vigil.parseAsRoot(line.tokens)
        } catch {
            let message = Vigil.message(for: error).split(separator: "\n").first.map(String.init) ?? "cannot parse"
            throw CLI.Failure(message: "\(line.file):\(line.number): \(message)", code: .invalidInput)
        }
        guard let organiser = parsed as? any OrganiserCommand else {
            throw CLI.Failure(
                message: "\(line.file):\(line.number): only organisers' commands (mission, gathering, …) belong in a seed file",
                code: .invalidInput)
        }
        return try organiser.command()
    }

    /// Splits a seed file into commands: `#` comments, blank lines, backslash continuations, and words
    /// quoted with "…" or '…' as in a shell.
    static func parse(_ text: String, file: String) throws -> [Line] {
        var lines: [Line] = []
        var pending = ""
        var start = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if pending.isEmpty { start = index + 1 }
            var line = String(raw)
            if line.hasSuffix("\\") {
                line.removeLast()
                pending += line + " "
                continue
            }
            pending += line
            let words = try tokens(pending, file: file, line: start)
            pending = ""
            if !words.isEmpty { lines.append(Line(file: file, number: start, tokens: words)) }
        }
        return lines
    }

    static func tokens(_ text: String, file: String, line: Int) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var iterator = text.makeIterator()
        while let c = iterator.next() {
            if let q = quote {
                if c == q {
                    quote = nil
                } else if c == "\\" && q == "\"", let next = iterator.next() {
                    current.append(next)
                } else {
                    current.append(c)
                }
            } else if c == "#" && !inWord {
                break
            } else if c == "\"" || c == "'" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(c)
                inWord = true
            }
        }
        if quote != nil {
            throw CLI.Failure(message: "\(file):\(line): a quote is not closed", code: .invalidInput)
        }
        if inWord { words.append(current) }
        return words
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
            try VigilSession(role: .writer).catchUpProjections()
        }
        var report = try ReportCommand.Missions.parse([])
        report.format = format
        try report.run()
    }
}
