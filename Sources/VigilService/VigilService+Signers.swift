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
    /// Where the time went, for a benchmark (`VIGIL_IMPORT_TIMINGS`). Not part of the JSON.
    public var timings = ImportTimings()

    enum CodingKeys: String, CodingKey { case rows, imported, duplicatesSkipped, batchesAppended, batchesAlreadyDone }
}

/// Where an import's time went, in seconds of wall time, step by step.
public struct ImportTimings: Sendable, Equatable {
    /// The first pass: every row of the file read and checked.
    public var checking = 0.0
    /// The second pass: the rows read and checked again, a batch at a time.
    public var reading = 0.0
    /// Blind indexes, sealing, and the rows in COPY's format.
    public var sealing = 0.0
    /// The database's side waiting for the next batch to be sealed. Reading and sealing run on a
    /// thread of their own beside the database's steps (copying, inserting, appending), so the steps
    /// add up to more than the total when they overlap.
    public var waiting = 0.0
    /// The batches that went by COPY straight into the vault's signatures and subjects (none of their
    /// signers on record): the look for a few of their blind indexes, and the two COPYs.
    public var copying = 0.0
    /// The batches that did not (some signer on record, or found so by the COPY): staged in temporary
    /// tables, and only the new signers inserted.
    public var inserting = 0.0
    /// The rest of each batch's transaction: the master key's check, loading the petition, deciding,
    /// appending the event, and the commit.
    public var appending = 0.0
    /// Bringing the read models up to date at the end.
    public var catchingUp = 0.0
    /// The whole import.
    public var total = 0.0
    /// How many batches went by COPY (`copying`), and how many through the temporary tables (`inserting`).
    public var batchesCopied = 0
    public var batchesStaged = 0

    public init() {}

    /// The steps by name, in order.
    public var steps: [(name: String, seconds: Double)] {
        [("checking", checking), ("reading", reading), ("sealing", sealing), ("waiting", waiting), ("copying", copying), ("inserting", inserting),
         ("appending", appending), ("catching up", catchingUp), ("total", total)]
    }
}

/// Seconds since `start`, on the monotonic clock.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
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

    public init(
        petitionId: String, channel: SignatureChannel, file: String, batchSize: Int = ImportRequest.defaultBatch, command: CommandRequest
    ) {
        self.petitionId = petitionId
        self.channel = channel
        self.file = file
        self.batchSize = batchSize
        self.command = command
    }

    /// The largest batch: a batch is one transaction in the vault.
    public static let maximumBatch = 100_000
    /// Signers per batch unless told: each batch is an event in the petition's stream, which every later
    /// command on the petition reads, so a million signers make 20 events, not the 100 of batches of
    /// 10,000; a batch holds its new blind indexes (and so a signer of the same person) for a few seconds.
    public static let defaultBatch = 50_000
}

/// One signer of a file, checked: what the blind index is made of, what the vault seals, and whether they
/// agreed to hear back.
struct CheckedSigner: Sendable {
    var normalised: String
    var record: SignerRecord
    var consent: Bool
    var country: String?
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
        case .email(let email): return SignerRecord(email: trimmed(email), country: country)
        case .name(let name, _): return SignerRecord(name: trimmed(name), country: country)
        }
    }

    /// `text` without whitespace and newlines at either end. Most values have none: a first and a last
    /// byte that are printable ASCII other than a space say so without Foundation's trimming, which took a
    /// sixth of an import's time.
    static func trimmed(_ text: String) -> String {
        if let first = text.utf8.first, let last = text.utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) {
            return text
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
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
        let outcome = try pipeline(
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
        if outcome.duplicate { try requireSameSigner(outcome, petitionId: id, normalised: normalised, master: master, session) }
        return outcome
    }

    /// A signature's key used before: the fingerprint leaves the identity out (it is stored in the log),
    /// so the same key given for another person would read as the same command, and that person be told
    /// they had signed. The first signature's subject must have this identity's blind index; when it does
    /// not, or when that subject was erased since (nothing left to compare), the key is refused as used
    /// for another command (exit 5), and nothing is recorded.
    func requireSameSigner(_ outcome: CommandOutcome, petitionId: String, normalised: String, master: MasterKey, _ session: Session) throws {
        guard let data = outcome.events.first(where: { $0.type == "SignatureRecorded" })?.data,
            let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
            let subject = (object["subjectId"] as? String).flatMap(UUID.init(uuidString:))
        else { return }  // a signature of the shape before the vault (0025): nothing to compare
        let vault = Vault(connection: session.connection, master: master)
        let index = try vault.indexer(for: petitionId).makeHasher().index(normalised)
        guard try vault.blindIndex(ofSubject: subject, petitionId: petitionId) == index else {
            throw EventStoreError.keyReused(commandId: outcome.commandId)
        }
    }

    /// Imports the signers of a CSV file. The file is read and every row checked first, so a bad row
    /// anywhere appends nothing; then the signers go in batches, each one transaction: the batch sealed
    /// into the vault (one subject per signer; a blind index already in the petition, or twice in the
    /// file, is skipped) and one event counting the new signers by country. Importing the same file
    /// again appends nothing: everyone in it has signed. A `--key` names the batches' commands
    /// (`KEY:n`), so a retry under it skips the batches done without sealing their rows again.
    /// `progress` hears the summary so far and how many rows the file holds.
    ///
    /// The next batch is read and sealed on a thread of its own while the database takes the last one
    /// (`ImportBatches`).
    public func importSignatures(_ request: ImportRequest, progress: ((_ done: ImportSummary, _ rows: Int) -> Void)? = nil) throws -> ImportSummary {
        try counted("petition.import", { $0.batchesAppended > 0 ? "appended" : "repeated" }) { try importAll(request, progress: progress) }
    }

    func importAll(_ request: ImportRequest, progress: ((_ done: ImportSummary, _ rows: Int) -> Void)?) throws -> ImportSummary {
        try guarded {
            let id = try Check.id(request.petitionId, field: "petition id")
            guard (1...ImportRequest.maximumBatch).contains(request.batchSize) else {
                throw DomainError.invalid(field: "batch", reason: "must be from 1 to \(ImportRequest.maximumBatch)")
            }
            let actor = try VigilService.actor(request.command.actor)
            let master = try requireMasterKey(doing: "importing signers")
            let started = ContinuousClock.now
            var timings = ImportTimings()
            // First pass: every row checked, nothing kept. Second: a batch at a time.
            let total = try checkSigners(request.file)
            timings.checking = seconds(since: started)
            let session = try session(.writer)
            let importKey = request.command.key ?? "import:\(id):\(UUID().uuidString.lowercased())"
            // No identity goes into a batch's fingerprint: the petition, the batch's place and size.
            let batchCount = (total + request.batchSize - 1) / request.batchSize
            func fingerprint(_ number: Int) -> [UInt8] {
                VigilService.fingerprint(
                    "import \(id) \(request.channel) batch \(number) of \(min(request.batchSize, total - number * request.batchSize))")
            }
            // The batches an earlier run under this key recorded are not sealed again (each is still
            // asked about on its turn: another run may record one meanwhile).
            var done = Set<Int>()
            if request.command.key != nil {
                for number in 0..<batchCount where try session.store.wasHandled("\(importKey):\(number)", fingerprint: fingerprint(number)) {
                    done.insert(number)
                }
            }
            // The petition's blind-index key, made on its first signature, before the first batch is
            // sealed with it; the petition must be open for that. Not needed when every batch is done.
            var indexer: BlindIndexer?
            if done.count < batchCount {
                indexer = try session.connection.withTransaction {
                    let vault = Vault(connection: session.connection, master: master)
                    try vault.requireCurrentKey()
                    let (state, _) = try load(PetitionState.self, id, session)
                    guard state.drafted != nil else { throw DomainError.notFound(kind: "petition", id: id) }
                    try PetitionState.requireOpen(state, id: id)
                    return try vault.indexer(for: id)
                }
            }
            let batches = try ImportBatches(
                file: SignerFile(path: request.file), petitionId: id, batchSize: request.batchSize, indexer: indexer, sealer: SubjectSealer(master: master),
                skipping: done, workers: max(1, ProcessInfo.processInfo.activeProcessorCount - 1))
            defer { batches.stop() }

            var summary = ImportSummary()
            var lastCheckpoint: Checkpoint?
            let context = CommandContext(now: Date(), actor: actor)
            while let batch = try batches.next() {
                let commandId = "\(importKey):\(batch.number)"
                let fingerprint = fingerprint(batch.number)
                if try session.store.wasHandled(commandId, fingerprint: fingerprint) {
                    summary.batchesAlreadyDone += 1
                    summary.rows += batch.count
                    progress?(summary, total)
                    continue
                }
                guard let rows = batch.rows else {
                    throw VigilError(.conflict, "batch \(batch.number) of this import was on record when it started and is not now; run the import again")
                }
                let transaction = ContinuousClock.now
                var vaultSeconds = 0.0
                defer { timings.appending += seconds(since: transaction) - vaultSeconds }
                do {
                    let (outcome, events) = try pipeline(
                        commandId: commandId, fingerprint: fingerprint, actor: actor, client: "vigil-import", session, transactional: true
                    ) { _ in
                        let vault = Vault(connection: session.connection, master: master)
                        try vault.requireCurrentKey()
                        // The vault first, the petition last: the petition is read a moment before the
                        // append, so that a signature recorded meanwhile rarely makes the batch lose the
                        // race and run again. If the petition was closed meanwhile, the batch rolls back.
                        let step = ContinuousClock.now
                        let (added, copied) = try vault.addSealed(petitionId: id, rows)
                        let elapsed = seconds(since: step)
                        if copied {
                            (timings.copying, timings.batchesCopied) = (timings.copying + elapsed, timings.batchesCopied + 1)
                        } else {
                            (timings.inserting, timings.batchesStaged) = (timings.inserting + elapsed, timings.batchesStaged + 1)
                        }
                        vaultSeconds += elapsed
                        let (state, version) = try load(PetitionState.self, id, session)
                        guard state.drafted != nil else { throw DomainError.notFound(kind: "petition", id: id) }
                        try PetitionState.requireOpen(state, id: id)
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
            (timings.reading, timings.sealing, timings.waiting) = batches.timings
            // The batches are committed: from here a failure is a warning on a success, as for a command.
            let catchingUp = ContinuousClock.now
            do {
                _ = try catchUpProjections(through: lastCheckpoint, session)
            } catch {
                sessions.removeAll()
                summary.warnings.append(VigilService.readModelsWarning(error))
            }
            timings.catchingUp = seconds(since: catchingUp)
            timings.total = seconds(since: started)
            summary.timings = timings
            return summary
        }
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
