import ArgumentParser
import Foundation
import VigilDomain
import VigilService

extension PetitionCommandGroup {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import signatures from a CSV file into the vault; the log records only counts by country.",
            discussion: """
                Needs the master key (VIGIL_MASTER_KEY_FILE). The file has a header row with an `email` column, or
                `name` and `country` columns (`country` is optional with `email`), and optionally a `consent`
                column (yes/no: the signer agreed to hear back). Every row is checked first: a bad row is named and
                nothing is imported. Then the signers go in batches, each one transaction: sealed into the vault,
                one subject each, and one event counting them. People who signed already are left out and
                counted, so running the same import again appends nothing.
                Example: vigil petition import stop-repatriation-2024 --file signers.csv --channel paper
                """
        )

        @Argument(help: "The petition's id.")
        var id: String
        @Option(help: "The CSV file of signers (UTF-8).")
        var file: String
        @Option(help: "How the signatures were collected.")
        var channel: SignatureChannel = .online
        @Option(help: "Signers per batch (1 to 100000), each one transaction and one event.")
        var batch = ImportRequest.defaultBatch
        @Option(
            name: .customLong("idempotency-key"),
            help: "A key for this import: running it again with the same key skips the batches done without reading them again.")
        var idempotencyKey: String?
        @Option(help: "table or json.")
        var format: OutputFormat = .table

        func validate() throws {
            guard (1...ImportRequest.maximumBatch).contains(batch) else { throw ValidationError("--batch must be from 1 to \(ImportRequest.maximumBatch)") }
        }

        func run() throws {
            try CLI.run {
                let progress = ImportProgress()
                let summary = try VigilService().importSignatures(
                    ImportRequest(petitionId: id, channel: channel, file: file, batchSize: batch, command: CommandRequest(key: idempotencyKey)),
                    progress: progress.show)
                for warning in summary.warnings { FileHandle.standardError.write(Data("vigil: \(warning)\n".utf8)) }
                // For scripts/bench: where the time went, on stderr, only when asked.
                if let asked = ProcessInfo.processInfo.environment["VIGIL_IMPORT_TIMINGS"], !asked.isEmpty {
                    let steps = summary.timings.steps.map { "\($0.name) \(String(format: "%.2f", $0.seconds)) s" }
                    FileHandle.standardError.write(Data("import timings: \(steps.joined(separator: ", "))\n".utf8))
                    FileHandle.standardError.write(
                        Data("import batches: \(summary.timings.batchesCopied) copied, \(summary.timings.batchesStaged) staged\n".utf8))
                }
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
