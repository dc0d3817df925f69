import ArgumentParser
import EventStore
import Foundation
import VigilDomain
import VigilService
import VigilSignerFile

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
        @Option(help: "online or paper.")
        var channel = "online"
        @Option(help: "Signers per batch (1 to 10000).")
        var batch = 1_000
        @Option(help: "table or json.")
        var format: OutputFormat = .table

        func validate() throws {
            guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be from 1 to 10000") }
        }

        func run() throws {
            try CLI.run {
                // The file is read once: every row is checked and kept, so a bad file appends nothing.
                let signers: [SignerRow]
                var digest: UInt64 = 0
                do {
                    var rows: [SignerRow] = []
                    try SignerFile(path: file).forEach { row in
                        let normalised: String
                        do {
                            normalised = try row.identity.normalised()
                        } catch let error as DomainError {
                            throw CLI.Failure(message: "\(file), row \(row.row): \(error)", code: .invalidInput)
                        }
                        if let country = row.country { _ = try Check.country(country, field: "\(file), row \(row.row): country") }
                        digest = digest &* 31 &+ StableHash.fnv1a64(normalised)
                        rows.append(row)
                    }
                    signers = rows
                } catch let error as SignerFileError {
                    throw CLI.Failure(message: "--file \(file): \(error)", code: .invalidInput)
                }
                guard !signers.isEmpty else { throw CLI.Failure(message: "\(file) holds no signers", code: .invalidInput) }
                let session = try VigilSession(role: .writer)
                let progress = ImportProgress(total: signers.count)
                let summary = try session.importSignatures(
                    petitionId: id, channel: channel, rows: signers, batchSize: batch,
                    importKey: "import:\(id):\(String(digest, radix: 16)):\(batch)",
                    context: CommandContext(now: Date(), actor: ProcessInfo.processInfo.environment["VIGIL_ACTOR"] ?? "cli"),
                    progress: progress.show)
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
    let total: Int
    let started = Date()
    var last = Date.distantPast

    init(total: Int) { self.total = total }

    func show(_ summary: ImportSummary) {
        guard Date().timeIntervalSince(last) >= 1 else { return }
        last = Date()
        let rate = Double(summary.rows) / max(Date().timeIntervalSince(started), 0.001)
        FileHandle.standardError.write(Data(String(format: "import: %d/%d rows, %.0f rows/s\n", summary.rows, total, rate).utf8))
    }
}
