import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// How output is printed: a table for people, JSON or CSV for machines.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
    case csv
}

/// Options every organiser's command takes.
struct CommandOptions: ParsableArguments {
    @Option(
        name: .customLong("idempotency-key"),
        help: "A key for this command: running it again with the same key appends nothing and prints the first result.")
    var idempotencyKey: String?

    @Option(help: "Output format: table (for people) or json (the events appended, with their positions).")
    var format: OutputFormat = .table

    @Option(help: "Who is acting, recorded with the events (default: $VIGIL_ACTOR, else the login name).")
    var actor: String?

    func validate() throws {
        if let key = idempotencyKey {
            guard (1...200).contains(key.count), key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f }) else {
                throw ValidationError("--idempotency-key must be 1 to 200 visible characters without spaces")
            }
        }
        if format == .csv { throw ValidationError("--format csv is for reports; commands print table or json") }
    }

    /// The command id: the user's key, or a new UUID.
    var commandId: String { idempotencyKey ?? UUID().uuidString.lowercased() }

    var context: CommandContext {
        let env = ProcessInfo.processInfo.environment
        let who = actor ?? env["VIGIL_ACTOR"] ?? env["USER"].map { "cli:\($0)" } ?? "cli"
        return CommandContext(now: Date(), actor: who)
    }

    /// Runs `command` as the writer and prints what it appended.
    func execute(_ command: VigilCommand, summary: String) throws {
        try CLI.run {
            let session = try VigilSession(role: .writer)
            let outcome = try session.handle(command, commandId: commandId, context: context)
            Output.printOutcome(outcome, summary: summary, format: format)
        }
    }
}

/// A subcommand that is one organiser's command: it turns its arguments into a `VigilCommand`.
/// The seed loader runs seed files through the same subcommands.
protocol OrganiserCommand: ParsableCommand {
    var options: CommandOptions { get }
    /// The command, and the line printed when it succeeds.
    func command() throws -> (VigilCommand, String)
}

extension OrganiserCommand {
    func run() throws {
        try CLI.run {
            let (command, summary) = try command()
            try options.execute(command, summary: summary)
        }
    }
}

/// Parses a `--fold` value.
extension Fold: ExpressibleByArgument {}

/// Where and by whom a gathering takes place: shared by `gathering schedule` and `weekly schedule`.
struct PlaceOptions: ParsableArguments {
    @Option(help: "The mission's id.")
    var mission: String
    @Option(help: "The campaign it is part of.")
    var campaign: String?
    @Option(help: "protest, vigil, rally, press-conference, prayer-meeting or picket.")
    var kind: String
    @Option(help: "Where exactly, when not at the mission's door.")
    var venue: String?
    @Option(help: "The organisation that leads it.")
    var organiser: String?
}

/// What a gathering that took place reported: shared by `gathering held` and `weekly held`.
struct HeldOptions: ParsableArguments {
    @Option(help: "How many people came, as reported.")
    var attendance: Int?
    @Option(help: "What happened.")
    var notes: String?
}
