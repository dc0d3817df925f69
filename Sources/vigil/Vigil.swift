import ArgumentParser
import Foundation

/// The `vigil` command: organisers' commands, projections, reports and audits over the event log.
@main
struct Vigil: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Record and report coordinated protests, vigils and petition deliveries at diplomatic missions.",
        discussion: """
            Connects with VIGIL_DATABASE_URL, or with libpq's PG* variables when it is unset.
            Run through scripts/vigil to get a private PostgreSQL cluster without any set-up.
            """,
        subcommands: [
            CampaignCommandGroup.self, MissionCommandGroup.self, GatheringCommandGroup.self, WeeklyCommandGroup.self,
            PetitionCommandGroup.self, ReportCommand.self, ProjectionsCommand.self, AuditCommand.self,
            KeysCommand.self, PersonCommand.self, SeedCommand.self, DemoCommand.self, DatabaseCommand.self, ServeCommand.self,
            AdminCommand.self,
        ]
    )
}

extension Vigil {
    /// Parses and runs a command. A usage error (a missing option, a value outside a closed set) is one
    /// line on stderr, `vigil: …`, like every other error, with argument-parser's exit code 64; help and
    /// everything else behave as argument-parser's own `main`.
    static func main() {
        do {
            var command = try parseAsRoot(try StandardInput.arguments(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure, !(error is ArgumentParser.ExitCode) {
                FileHandle.standardError.write(Data("vigil: \(oneLine(message(for: error))) (see \(helpCommand(fullMessage(for: error))))\n".utf8))
                Foundation.exit(ExitCode.validationFailure.rawValue)
            }
            exit(withError: error)
        }
    }

    /// A parser message on one line: a list of values after the first line joins it, separated by commas.
    static func oneLine(_ message: String) -> String {
        var text = ""
        var listed = false
        for line in message.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.isEmpty {
            let item = line.hasPrefix("- ")
            text += text.isEmpty ? "" : (item && listed ? ", " : " ")
            text += item ? String(line.dropFirst(2)) : line
            listed = item
        }
        if text.isEmpty { return "cannot parse the command" }
        return text.hasSuffix(".") ? String(text.dropLast()) : text
    }

    /// The help command argument-parser's full message points to ("See 'vigil gathering cancel --help'"),
    /// else `vigil --help`.
    static func helpCommand(_ fullMessage: String) -> String {
        guard let start = fullMessage.range(of: "See '"), let end = fullMessage[start.upperBound...].firstIndex(of: "'") else {
            return "vigil --help"
        }
        return String(fullMessage[start.upperBound..<end])
    }
}
