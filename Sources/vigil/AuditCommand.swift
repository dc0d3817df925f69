import ArgumentParser
import EventStore
import Foundation
import VigilService

/// `vigil audit …`: proof that the log was not altered.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the event log.",
        subcommands: [Verify.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every stream's hash chain and name the first event that does not match.",
            discussion: "Example: vigil audit verify. Exits 0 only when every chain holds."
        )

        @Option(help: "table or json.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let session = try VigilSession(role: .auditor)
                let report = try session.store.verifyChains()
                if format == .json {
                    var object: [String: Any] = ["streams": report.streams, "events": report.events, "holds": report.holds]
                    if let broken = report.firstBreak {
                        object["firstBreak"] = [
                            "position": broken.position, "stream": broken.streamId, "version": broken.version,
                            "reason": broken.reason,
                        ]
                    }
                    Output.printJSON(object)
                } else if let broken = report.firstBreak {
                    print("the log was altered: \(broken)")
                } else {
                    print("every hash chain holds: \(report.events) events in \(report.streams) streams")
                }
                if !report.holds { throw CLI.Failure(message: nil, code: .tampered) }
            }
        }
    }
}
