import EventStore
import Foundation
import PostgresClient
import VigilDomain
import VigilSignerFile
import VigilVault

/// What an import did.
public struct ImportSummary: Sendable, Codable, Equatable {
    public var rows = 0
    public var imported = 0
    public var duplicatesSkipped = 0
    public var batchesAppended = 0
    /// Batches a previous run of the same import (under the same `--key`) had appended already.
    public var batchesAlreadyDone = 0
    /// What went wrong after the batches were committed (the read models not brought up to date): the
    /// import succeeded, and a retry would append nothing. Printed on stderr, not part of the JSON.
    public var warnings: [String] = []

    enum CodingKeys: String, CodingKey { case rows, imported, duplicatesSkipped, batchesAppended, batchesAlreadyDone }
}

/// An import of signers from a file into a petition.
public struct ImportRequest: Sendable, Equatable {
    public var petitionId: String
    public var channel: SignatureChannel
    /// The CSV file of signers.
    public var file: String
    /// Signers per batch, each batch one command and one transaction.
    public var batchSize: Int
    public var command: CommandRequest

    public init(petitionId: String, channel: SignatureChannel, file: String, batchSize: Int = 10_000, command: CommandRequest) {
        self.petitionId = petitionId
        self.channel = channel
        self.file = file
        self.batchSize = batchSize
        self.command = command
    }

    /// The largest batch: a batch is one transaction in the vault.
    public static let maximumBatch = 100_000
}

/// One signer of a file, checked: what the blind index is made of, what the vault seals, and whether they
/// agreed to hear back.
struct CheckedSigner: Sendable {
    var normalised: String
    var record: SignerRecord
    var consent: Bool
    var country: String?
}

/// The rows each thread sealed, gathered under a lock.
final class SealedParts: @unchecked Sendable {
    private var parts: [[[String?]]]
    private let lock = NSLock()

    init(count: Int) { parts = Array(repeating: [], count: count) }

    func set(_ index: Int, _ rows: [[String?]]) { lock.withLock { parts[index] = rows } }

    var joined: [[String?]] { lock.withLock { parts.flatMap { $0 } } }
}

extension VigilService {
    /// The master key: the one given to the service, else the environment's (`VIGIL_MASTER_KEY`,
    /// `VIGIL_MASTER_KEY_FILE`); its absence is an error naming what needs it and what to set.
    func requireMasterKey(doing: String) throws -> MasterKey {
        if let masterKey { return masterKey }
        guard let key = try MasterKey.fromEnvironment(environment) else { throw VaultError.masterKeyMissing(doing: doing) }
        masterKey = key
        return key
    }

    /// What the vault seals of a signer: the identity as given (trimmed), so that an organiser can write
    /// back to someone who agreed to hear back.
    static func record(_ identity: SignerIdentity, country: String?) -> SignerRecord {
        switch identity {
        case .email(let email): return SignerRecord(email: email.trimmingCharacters(in: .whitespacesAndNewlines), country: country)
        case .name(let name, let country): return SignerRecord(name: name.trimmingCharacters(in: .whitespacesAndNewlines), country: country)
        }
    }

    /// Records one signature: the signer sealed in the vault as a new subject (its blind index unique
    /// in the petition, so the database refuses a second signature of one person), and an event that
    /// holds the subject id, in one transaction. The identity goes no further than this function, and
    /// the command's fingerprint is taken without it.
    func sign(_ command: RecordSignature, _ commandId: String, _ context: CommandContext, _ client: String, _ session: Session) throws
        -> CommandOutcome
    {
        let id = try Check.id(command.petitionId, field: "petition id")
        guard let identity = command.identity else {
            throw DomainError.invalid(field: "signer", reason: "give the signer's e-mail, or name and country")
        }
        let normalised = try identity.normalised()
        let country = try command.country.map { try Check.country($0, field: "country") }
        let master = try requireMasterKey(doing: "signing a petition")
        var content = command
        content.identity = nil
        // The fingerprint holds no identity and no consent: the vault keeps whether someone agreed to hear
        // back, and an unkeyed hash of a yes or no is no secret.
        var fingerprinted = content
        fingerprinted.consent = false
        return try pipeline(
            commandId: commandId, fingerprint: VigilService.fingerprint(PetitionCommand.sign(fingerprinted)), actor: context.actor, client: client,
            session, transactional: true
        ) { _ in
            let vault = Vault(connection: session.connection, master: master)
            try vault.requireCurrentKey()
            let (state, version) = try load(PetitionState.self, id, session)
            guard state.drafted != nil else { throw DomainError.notFound(kind: "petition", id: id) }
            try PetitionState.requireOpen(state, id: id)
            let index = try vault.indexer(for: id).makeHasher().index(normalised)
            guard
                let subject = try vault.addSigner(
                    petitionId: id, blindIndex: index, record: VigilService.record(identity, country: country), consent: command.consent)
            else {
                throw DomainError.refused("this person has already signed petition \(id); a signature counts once")
            }
            var decided = content
            decided.subjectId = subject.uuidString.lowercased()
            let events = try PetitionState.decide(.sign(decided), PetitionContext(petition: state), context)
            return Decision(stream: PetitionState.stream(id), version: version, events: events)
        }.outcome
    }

    /// Imports the signers of a CSV file. The file is read and every row checked first, so a bad row
    /// anywhere appends nothing; then the signers go in batches, each one transaction: the batch sealed
    /// into the vault (one subject per signer; a blind index already in the petition, or twice in the
    /// file, is skipped) and one event counting the new signers by country. Importing the same file
    /// again appends nothing: everyone in it has signed. A `--key` names the batches' commands
    /// (`KEY:n`), so a retry under it skips the batches done without opening the file's rows again.
    /// `progress` hears the summary so far and how many rows the file holds.
    public func importSignatures(_ request: ImportRequest, progress: ((_ done: ImportSummary, _ rows: Int) -> Void)? = nil) throws -> ImportSummary {
        try guarded {
            let id = try Check.id(request.petitionId, field: "petition id")
            guard (1...ImportRequest.maximumBatch).contains(request.batchSize) else {
                throw DomainError.invalid(field: "batch", reason: "must be from 1 to \(ImportRequest.maximumBatch)")
            }
            let actor = try VigilService.actor(request.command.actor)
            let master = try requireMasterKey(doing: "importing signers")
            // First pass: every row checked, nothing kept. Second: a batch at a time.
            let total = try checkSigners(request.file)
            var reader = try SignerFile(path: request.file).makeReader()
            let session = try session(.writer)
            let importKey = request.command.key ?? "import:\(id):\(UUID().uuidString.lowercased())"

            var summary = ImportSummary()
            var lastCheckpoint: Checkpoint?
            let context = CommandContext(now: Date(), actor: actor)
            var indexer: BlindIndexer?
            var number = 0
            while summary.rows < total {
                var batch: [CheckedSigner] = []
                batch.reserveCapacity(min(request.batchSize, total - summary.rows))
                while batch.count < request.batchSize, let row = try reader.next() { batch.append(try VigilService.checked(row, path: request.file)) }
                guard !batch.isEmpty else { break }
                defer { number += 1 }
                let commandId = "\(importKey):\(number)"
                // No identity goes into the fingerprint: the petition, the batch's place and size.
                let fingerprint = VigilService.fingerprint("import \(id) \(request.channel) batch \(number) of \(batch.count)")
                if try session.store.wasHandled(commandId, fingerprint: fingerprint) {
                    summary.batchesAlreadyDone += 1
                    summary.rows += batch.count
                    progress?(summary, total)
                    continue
                }
                do {
                    let (outcome, events) = try pipeline(
                        commandId: commandId, fingerprint: fingerprint, actor: actor, client: "vigil-import", session, transactional: true
                    ) { _ in
                        let vault = Vault(connection: session.connection, master: master)
                        try vault.requireCurrentKey()
                        let (state, version) = try load(PetitionState.self, id, session)
                        guard state.drafted != nil else { throw DomainError.notFound(kind: "petition", id: id) }
                        try PetitionState.requireOpen(state, id: id)
                        if indexer == nil { indexer = try vault.indexer(for: id) }
                        let added = try vault.addSealed(
                            petitionId: id, VigilService.sealed(batch, petitionId: id, indexer: indexer!, sealer: vault.sealer))
                        let command = ImportSignatures(
                            petitionId: id, channel: request.channel, byCountry: added, duplicatesSkipped: batch.count - added.values.reduce(0, +))
                        let events = try PetitionState.decide(.importBatch(command), PetitionContext(petition: state), context)
                        return Decision(stream: PetitionState.stream(id), version: version, events: events)
                    }
                    if outcome.duplicate {
                        summary.batchesAlreadyDone += 1
                    } else {
                        lastCheckpoint = outcome.checkpoint ?? lastCheckpoint
                        summary.batchesAppended += 1
                        for case .imported(let e) in events {
                            summary.imported += e.count
                            summary.duplicatesSkipped += e.duplicatesSkipped
                        }
                    }
                } catch DomainError.refused(let reason) where reason.hasPrefix("every signer of this batch") {
                    // Everyone in the batch had signed already, before this import: nothing to record.
                    summary.duplicatesSkipped += batch.count
                }
                summary.rows += batch.count
                progress?(summary, total)
            }
            // The batches are committed: from here a failure is a warning on a success, as for a command.
            do {
                _ = try catchUpProjections(through: lastCheckpoint, session)
            } catch {
                sessions.removeAll()
                summary.warnings.append(VigilService.readModelsWarning(error))
            }
            return summary
        }
    }

    /// A batch's rows for the vault, in COPY text: each signer's blind index and sealed record, made on
    /// every core (a signer costs an HMAC and two AES-GCM seals).
    static func sealed(_ signers: [CheckedSigner], petitionId: String, indexer: BlindIndexer, sealer: SubjectSealer) -> [[String?]] {
        let chunks = min(ProcessInfo.processInfo.activeProcessorCount, max(1, signers.count / 512))
        let size = (signers.count + chunks - 1) / chunks
        let parts = SealedParts(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let hasher = indexer.makeHasher()
            let range = (chunk * size)..<min(signers.count, (chunk + 1) * size)
            var rows: [[String?]] = []
            rows.reserveCapacity(range.count)
            for signer in signers[range] {
                rows.append(sealer.sealedRow(petitionId: petitionId, blindIndex: hasher.index(signer.normalised), record: signer.record, consent: signer.consent, country: signer.country))
            }
            parts.set(chunk, rows)
        }
        return parts.joined
    }

    /// Checks every row of a signer file without keeping any; returns how many signers it holds, or
    /// throws naming the first bad row (never quoting a signer).
    func checkSigners(_ path: String) throws -> Int {
        var count = 0
        do {
            try SignerFile(path: path).forEach { row in
                _ = try VigilService.checked(row, path: path)
                count += 1
            }
        } catch let error as SignerFileError {
            throw VigilError(.invalidInput, "\(path): \(error)")
        }
        guard count > 0 else { throw VigilError(.invalidInput, "\(path) holds no signers") }
        return count
    }

    /// One row of a signer file, checked. Errors name the row and the column, never a cell's value: a
    /// misplaced column may hold a signer's name or phone number.
    static func checked(_ row: SignerRow, path: String) throws -> CheckedSigner {
        func fail(_ words: String) -> VigilError { VigilError(.invalidInput, "\(path), row \(row.row): \(words)") }
        let country: String?
        do { country = try row.country.map { try Check.country($0, field: "country") } } catch {
            throw fail("country: is not an ISO 3166 country code; use two letters such as KR, US or CN")
        }
        let consent: Bool
        do { consent = try Check.consent(row.consent, field: "consent") } catch {
            throw fail("consent: is neither yes nor no; write yes or no (or leave it empty for no)")
        }
        do {
            return CheckedSigner(
                normalised: try row.identity.normalised(), record: VigilService.record(row.identity, country: country), consent: consent,
                country: country)
        } catch let error as DomainError {
            throw fail("\(error)")
        }
    }

    /// The signers of `petitionId` who agreed to hear back, opened from the vault: for an organiser
    /// (the writer role) holding the master key, and nobody else.
    public func consentingSigners(_ petitionId: String) throws -> [SignerRecord] {
        try guarded {
            let id = try Check.id(petitionId, field: "petition id")
            let master = try requireMasterKey(doing: "exporting signers")
            let session = try session(.writer)
            let (state, _) = try load(PetitionState.self, id, session)
            guard state.drafted != nil else { throw DomainError.notFound(kind: "petition", id: id) }
            return try Vault(connection: session.connection, master: master).consentingSigners(petitionId: id)
        }
    }
}
