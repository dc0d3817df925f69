import ArgumentParser
import Foundation
import VigilDomain
import VigilService

extension PetitionCommandGroup {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import signatures from a CSV file: only keyed references of the signers are recorded.",
            discussion: """
                The file has a header row with an `email` column, or `name` and `country` columns (`country` is
                optional with `email`). Every row is checked first: a bad row is named and nothing is imported.
                Then the signers go in batches, each its own command, so an import that stops can be run again:
                the batches already done append nothing. People who signed already are left out and counted.
                Example: vigil petition import stop-repatriation-2024 --file signers.csv --channel paper
                """
        )

        @Argument(help: "The petition's id.")
        var id: String
        @Option(help: "The CSV file of signers (UTF-8).")
        var file: String
        @Option(help: "How the signatures were collected.")
        var channel: SignatureChannel = .online
        @Option(help: "Signers per batch (1 to 10000).")
        var batch = 1_000
        @Option(help: "table or json.")
        var format: OutputFormat = .table

        func validate() throws {
            guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be from 1 to 10000") }
        }

        func run() throws {
            try CLI.run {
                let progress = ImportProgress()
                let summary = try VigilService().importSignatures(
                    ImportRequest(petitionId: id, channel: channel, file: file, batchSize: batch, command: CommandRequest()),
                    progress: progress.show)
                for warning in summary.warnings { FileHandle.standardError.write(Data("vigil: \(warning)\n".utf8)) }
                if format == .json {
                    Output.printJSON(try Output.jsonValue(summary))
                } else {
                    print("imported \(summary.imported) signatures into \(id) from \(summary.rows) rows: \(summary.duplicatesSkipped) had signed already; \(summary.batchesAppended) batches appended, \(summary.batchesAlreadyDone) done before")
                }
            }
        }
    }
}

/// A progress line on stderr for an import: rows done of all, and the rate.
final class ImportProgress {
    let started = Date()
    var last = Date.distantPast

    func show(_ summary: ImportSummary, of total: Int) {
        guard Date().timeIntervalSince(last) >= 1 else { return }
        last = Date()
        let rate = Double(summary.rows) / max(Date().timeIntervalSince(started), 0.001)
        FileHandle.standardError.write(Data(String(format: "import: %d/%d rows, %.0f rows/s\n", summary.rows, total, rate).utf8))
    }
}
