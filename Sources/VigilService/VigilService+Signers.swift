import Crypto
import EventStore
import Foundation
import VigilEncoding
import PostgresClient
import VigilDomain
import VigilSignerFile

/// What an import did.
public struct ImportSummary: Sendable, Codable, Equatable {
    public var rows = 0
    public var imported = 0
    public var duplicatesSkipped = 0
    public var batchesAppended = 0
    /// Batches a previous run of the same import had appended already.
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
    /// Signers per batch, each batch one command.
    public var batchSize: Int
    public var command: CommandRequest

    public init(petitionId: String, channel: SignatureChannel, file: String, batchSize: Int = 1_000, command: CommandRequest) {
        self.petitionId = petitionId
        self.channel = channel
        self.file = file
        self.batchSize = batchSize
        self.command = command
    }
}

/// HMAC-SHA-256 under the signer key, keyed once: each reference copies the keyed state instead of
/// deriving the key's pads again.
struct SignerHasher {
    let keyed: HMAC<SHA256>

    init(key: SymmetricKey) { keyed = HMAC<SHA256>(key: key) }

    /// The keyed reference of a normalised identity, as its 32 bytes.
    func reference(normalised: String) -> HMAC<SHA256>.MAC {
        var hmac = keyed
        hmac.update(data: Data(normalised.utf8))
        return hmac.finalize()
    }

    /// The keyed reference of `identity`, in hex.
    func reference(_ identity: SignerIdentity) throws -> String {
        Hex.encode(reference(normalised: try identity.normalised()))
    }
}

/// The signers of a file, checked and keyed in one pass: 32 bytes of reference and a country each.
struct KeyedSigners {
    var refs: [UInt8] = []
    var countries: [String?] = []
    /// A digest of the normalised identities in order: the same file gives the same import key.
    var digest: UInt64 = 0
    var count: Int { countries.count }

    func hex(_ index: Int) -> String { Hex.encode(refs[(index * 32)..<(index * 32 + 32)]) }
}

extension VigilService {
    /// Turns a signature's identity into its keyed reference, here and nowhere later: the identity goes
    /// no further than this function.
    func signerReferenced(_ command: PetitionCommand, _ session: Session) throws -> PetitionCommand {
        guard case .sign(var c) = command, let identity = c.identity else { return command }
        c.signerRef = try signerHasher(session).reference(identity)
        c.identity = nil
        return .sign(c)
    }

    /// The signer key: HMAC-SHA-256 of a normalised identity under it names the same person the same
    /// way, so a second signature is refused; without the key the reference names nobody. It lives in
    /// `vigil.signer_key`, which only the writer role can read, never in the log.
    func signerHasher(_ session: Session) throws -> SignerHasher {
        let rows = try session.connection.query("SELECT key FROM vigil.signer_key WHERE id = 1")
        guard let row = rows.first else {
            throw VigilError(.database, "the signer key is missing; run vigil db migrate")
        }
        return SignerHasher(key: SymmetricKey(data: try row.bytes("key")))
    }

    /// Imports the signers of a CSV file. The file is read once: every row is checked and keyed
    /// first, so a bad row anywhere appends nothing; then the signers go in batches, each one command
    /// (`import:<petition>:<digest>:<batch size>:<n>`) through the command pipeline, so running the same
    /// import again appends nothing for the batches already done. People who signed already are left
    /// out and counted. `progress` hears the summary so far and how many rows the file holds.
    public func importSignatures(_ request: ImportRequest, progress: ((_ done: ImportSummary, _ rows: Int) -> Void)? = nil) throws -> ImportSummary {
        try guarded {
            let id = try Check.id(request.petitionId, field: "petition id")
            guard (1...10_000).contains(request.batchSize) else {
                throw DomainError.invalid(field: "batch", reason: "must be from 1 to 10000")
            }
            let actor = try VigilService.actor(request.command.actor)
            let session = try session(.writer)
            let signers = try keyedSigners(request.file, hasher: try signerHasher(session))
            let importKey = request.command.key ?? "import:\(id):\(String(signers.digest, radix: 16)):\(request.batchSize)"

            var (state, version) = try load(PetitionState.self, id, session)
            guard state.drafted != nil else { throw DomainError.notFound(kind: "petition", id: id) }
            try PetitionState.requireOpen(state, id: id)
            var summary = ImportSummary()
            var lastCheckpoint: Checkpoint?
            let context = CommandContext(now: Date(), actor: actor)
            for (index, start) in stride(from: 0, to: signers.count, by: request.batchSize).enumerated() {
                let range = start..<min(start + request.batchSize, signers.count)
                let batch = range.map { (ref: signers.hex($0), country: signers.countries[$0]) }
                let command = PetitionCommand.importBatch(ImportSignatures(petitionId: id, channel: request.channel, signers: batch))
                do {
                    let (outcome, events) = try pipeline(
                        commandId: "\(importKey):\(index)", fingerprint: VigilService.fingerprint(command), actor: actor,
                        client: "vigil-import", session
                    ) { attempt in
                        // After a lost race someone else signed meanwhile: load the petition again.
                        if attempt > 1 { (state, version) = try load(PetitionState.self, id, session) }
                        let events = try PetitionState.decide(command, PetitionContext(petition: state), context)
                        return Decision(stream: PetitionState.stream(id), version: version, events: events)
                    }
                    if outcome.duplicate {
                        summary.batchesAlreadyDone += 1
                        (state, version) = try load(PetitionState.self, id, session)
                    } else {
                        for event in events { PetitionState.apply(&state, event) }
                        version = outcome.events.last?.version ?? version
                        lastCheckpoint = outcome.checkpoint ?? lastCheckpoint
                        summary.batchesAppended += 1
                        for case .imported(let e) in events {
                            summary.imported += e.signerRefs.count
                            summary.duplicatesSkipped += e.duplicatesSkipped
                        }
                    }
                } catch DomainError.refused where state.status == .open {
                    // Everyone in the batch had signed already, before this import.
                    summary.duplicatesSkipped += batch.count
                }
                summary.rows = range.upperBound
                progress?(summary, signers.count)
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

    /// Reads, checks and keys every signer of `path` in one pass; the first bad row is an error naming
    /// its line, before anything is appended.
    func keyedSigners(_ path: String, hasher: SignerHasher) throws -> KeyedSigners {
        var signers = KeyedSigners()
        do {
            try SignerFile(path: path).forEach { row in
                let normalised: String
                do {
                    normalised = try row.identity.normalised()
                    if let country = row.country { _ = try Check.country(country, field: "country") }
                } catch let error as DomainError {
                    throw VigilError(.invalidInput, "\(path), row \(row.row): \(error)")
                }
                signers.digest = signers.digest &* 31 &+ StableHash.fnv1a64(normalised)
                signers.refs.append(contentsOf: hasher.reference(normalised: normalised))
                signers.countries.append(row.country)
            }
        } catch let error as SignerFileError {
            throw VigilError(.invalidInput, "\(path): \(error)")
        }
        guard signers.count > 0 else { throw VigilError(.invalidInput, "\(path) holds no signers") }
        return signers
    }
}
