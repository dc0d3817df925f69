import ArgumentParser
import CSV
import EventStore
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
                // The first pass checks every row, so a bad file appends nothing.
                var digest: UInt64 = 0
                var rows = 0
                for row in try SignerFile(path: file).checked() {
                    do {
                        _ = try row.identity.normalised()
                    } catch let error as DomainError {
                        throw CLI.Failure(message: "\(file), row \(row.row): \(error)", code: .invalidInput)
                    }
                    if let country = row.country { _ = try Check.country(country, field: "\(file), row \(row.row): country") }
                    digest = digest &* 31 &+ StableHash.fnv1a64(try row.identity.normalised())
                    rows += 1
                }
                guard rows > 0 else { throw CLI.Failure(message: "\(file) holds no signers", code: .invalidInput) }
                let session = try VigilSession(role: .writer)
                let progress = ImportProgress(total: rows)
                let summary = try session.importSignatures(
                    petitionId: id, channel: channel, rows: try SignerFile(path: file), batchSize: batch,
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

/// The signers of a CSV file, read as a stream: a row number, an identity and a country.
struct SignerFile: Sequence {
    let path: String

    init(path: String) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CLI.Failure(message: "--file: cannot read \(path)", code: .invalidInput)
        }
        self.path = path
    }

    func makeIterator() -> Iterator { Iterator(path: path) }

    /// Yields rows; throws (through `next()` being unable to) are reported by `SignerFile.rows`.
    struct Iterator: IteratorProtocol {
        let path: String
        var reader: CSVReader?
        var row = 1
        var failed = false

        init(path: String) {
            self.path = path
            if let stream = InputStream(fileAtPath: path) {
                reader = try? CSVReader(stream: stream, hasHeaderRow: true, trimFields: true)
            }
        }

        mutating func next() -> SignerRow? {
            guard !failed, let reader else { return nil }
            guard reader.next() != nil else { return nil }
            row += 1
            let country = reader["country"].flatMap { $0.isEmpty ? nil : $0 }
            if let email = reader["email"], !email.isEmpty { return SignerRow(row: row, identity: .email(email), country: country) }
            return SignerRow(row: row, identity: .name(reader["name"] ?? "", country: country ?? ""), country: country)
        }
    }
}

extension SignerFile {
    static func isEndOfFile(_ error: Error) -> Bool {
        if case CSVError.cannotReadFile = error { return true }
        return false
    }

    /// Checks the header and the encoding before any row is used.
    func checked() throws -> SignerFile {
        guard let stream = InputStream(fileAtPath: path) else {
            throw CLI.Failure(message: "--file: cannot read \(path)", code: .invalidInput)
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(stream: stream, hasHeaderRow: true, trimFields: true)
        } catch {
            throw CLI.Failure(message: "--file: \(path) has no header row; start it with email or name,country", code: .invalidInput)
        }
        let header = reader.headerRow ?? []
        guard header.contains("email") || (header.contains("name") && header.contains("country")) else {
            throw CLI.Failure(message: "--file: the header row must name an email column, or name and country columns", code: .invalidInput)
        }
        while reader.next() != nil {}
        // On Linux, InputStream.hasBytesAvailable stays true at the end of a file, so CSV.swift's last read
        // comes back empty and it sets cannotReadFile: that is the end of the file (readable, checked above).
        if let error = reader.error, !SignerFile.isEndOfFile(error) {
            throw CLI.Failure(message: "--file: \(path) cannot be read as UTF-8 CSV (\(error)); save it as UTF-8", code: .invalidInput)
        }
        return self
    }
}
