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

    /// The request every organiser's command sends with its content.
    var request: CommandRequest { CommandRequest(key: idempotencyKey, actor: actor) }

    /// Runs `command` through the service and prints what it appended.
    func execute(_ command: VigilCommand, summary: String) throws {
        try CLI.run {
            let outcome = try VigilService().handle(command, request)
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

/// A closed set of values typed on the command line: the parser refuses anything else and the help
/// lists the values. Case and surrounding blanks do not matter.
protocol ChoiceArgument: ExpressibleByArgument, CaseIterable, RawRepresentable where RawValue == String {}

extension ChoiceArgument {
    public init?(argument: String) { self.init(rawValue: argument.trimmingCharacters(in: .whitespaces).lowercased()) }
}

extension Fold: ExpressibleByArgument {}
extension GatheringKind: ChoiceArgument {}
extension MissionKind: ChoiceArgument {}
extension PetitionKind: ChoiceArgument {}
extension SignatureChannel: ChoiceArgument {}
extension DeliveryOutcome: ChoiceArgument {}
extension CoalitionRole: ChoiceArgument {}
extension ReplayKind: ChoiceArgument {}
extension RevealLevel: ChoiceArgument {}

extension Weekday: ExpressibleByArgument {
    /// A day's name or its first three letters or more, in any case.
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.name) }
    public var defaultValueDescription: String { name }
}

/// Where and by whom a gathering takes place: shared by `gathering schedule` and `weekly schedule`.
struct PlaceOptions: ParsableArguments {
    @Option(help: "The mission's id.")
    var mission: String
    @Option(help: "The campaign it is part of.")
    var campaign: String?
    @Option(help: "What kind of gathering.")
    var kind: GatheringKind
    @Option(help: "Where exactly, when not at the mission's door.")
    var venue: String?
    @Option(help: "The organisation that leads it (- reads it from standard input, out of the shell's history).")
    var organiser: String?
}

/// What a gathering that took place reported: shared by `gathering held` and `weekly held`.
struct HeldOptions: ParsableArguments {
    @Option(help: "How many people came, as reported.")
    var attendance: Int?
    @Option(help: "What happened (- reads it from standard input, out of the shell's history).")
    var notes: String?
}
