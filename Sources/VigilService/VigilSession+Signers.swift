import Crypto
import EventStore
import Foundation
import PostgresClient
import VigilCodec
import VigilDomain
import VigilEncoding

/// One signer of an import file, as read: who, from where, and the row it stands on.
public struct SignerRow: Sendable {
    public var row: Int
    public var identity: SignerIdentity
    public var country: String?

    public init(row: Int, identity: SignerIdentity, country: String?) {
        self.row = row
        self.identity = identity
        self.country = country
    }
}

/// What an import did.
public struct ImportSummary: Sendable, Codable, Equatable {
    public var rows = 0
    public var imported = 0
    public var duplicatesSkipped = 0
    public var batchesAppended = 0
    /// Batches a previous run of the same import had appended already.
    public var batchesAlreadyDone = 0
}

/// HMAC-SHA-256 under the signer key, keyed once: each reference copies the keyed state instead of
/// deriving the key's pads again.
struct SignerHasher {
    let keyed: HMAC<SHA256>

    init(key: SymmetricKey) { keyed = HMAC<SHA256>(key: key) }

    /// The keyed reference of `identity`, in hex.
    func reference(_ identity: SignerIdentity) throws -> String {
        var hmac = keyed
        let normalised = try identity.normalised()
        hmac.update(data: Data(normalised.utf8))
        return Hex.encode(hmac.finalize())
    }
}

extension VigilSession {
    /// The keyed reference of a signer: HMAC-SHA-256 of the normalised identity under the database's
    /// signer key, in hex. The same person gives the same reference, so a second signature is refused;
    /// without the key the reference names nobody. The key lives in `vigil.signer_key`, which only the
    /// writer role can read, never in the log.
    public func signerReference(_ identity: SignerIdentity) throws -> String {
        try signerHasher().reference(identity)
    }

    func signerHasher() throws -> SignerHasher {
        let rows = try connection.query("SELECT key FROM vigil.signer_key WHERE id = 1")
        guard let row = rows.first else {
            throw PostgresError(kind: .client, message: "the signer key is missing; run vigil db migrate")
        }
        return SignerHasher(key: SymmetricKey(data: try row.bytes("key")))
    }

    /// Imports signers in batches of `batchSize`: each batch is one command (`importKey:n`), so running
    /// the same import again appends nothing for the batches already done. The petition is loaded once
    /// and folded forward batch by batch; a person already signed is left out and counted.
    public func importSignatures(
        petitionId rawId: String, channel: String, rows: some Sequence<SignerRow>, batchSize: Int, importKey: String,
        context: CommandContext, progress: ((ImportSummary) -> Void)? = nil
    ) throws -> ImportSummary {
        let id = try Check.id(rawId, field: "petition id")
        let hasher = try signerHasher()
        var (state, version) = try loadPetition(id)
        guard state.drafted != nil else { throw DomainError.notFound(kind: "petition", id: id) }
        try PetitionState.requireOpen(state, id: id)
        var summary = ImportSummary()
        var batch: [(ref: String, country: String?)] = []
        var index = 0
        var lastCheckpoint: Checkpoint?

        func flush() throws {
            guard !batch.isEmpty else { return }
            defer {
                batch.removeAll(keepingCapacity: true)
                index += 1
                progress?(summary)
            }
            let commandId = "\(importKey):\(index)"
            let command = PetitionCommand.importBatch(ImportSignatures(petitionId: id, channel: channel, signers: batch))
            for _ in 0..<VigilSession.attempts {
                let events: [PetitionEvent]
                do {
                    events = try PetitionState.decide(command, PetitionContext(petition: state), context)
                } catch let error as DomainError {
                    // Refused while open: everyone in the batch had signed already (by this import's
                    // earlier run, or before it). Any other refusal ends the import.
                    guard case .refused = error, state.status == .open else { throw error }
                    if try store.wasHandled(commandId) {
                        summary.batchesAlreadyDone += 1
                    } else {
                        summary.duplicatesSkipped += batch.count
                    }
                    return
                }
                do {
                    let result = try store.append(
                        to: Streams.petition(id), expected: version == 0 ? .noStream : .exact(version),
                        events: try events.map { let encoded = try EventCodec.encode($0); return NewEvent(id: UUID(), type: encoded.type, schemaVersion: encoded.schemaVersion, data: encoded.data) },
                        metadata: EventMetadata(commandId: commandId, actor: context.actor, extra: ["client": "vigil-import"]))
                    for event in events { PetitionState.apply(&state, event) }
                    version = result.version
                    lastCheckpoint = result.checkpoint ?? lastCheckpoint
                    summary.batchesAppended += 1
                    for case .imported(let e) in events {
                        summary.imported += e.signerRefs.count
                        summary.duplicatesSkipped += e.duplicatesSkipped
                    }
                    return
                } catch EventStoreError.duplicateCommand {
                    summary.batchesAlreadyDone += 1
                    (state, version) = try loadPetition(id)
                    return
                } catch EventStoreError.wrongExpectedVersion {
                    (state, version) = try loadPetition(id)  // someone else signed meanwhile: decide again
                }
            }
            throw EventStoreError.wrongExpectedVersion(stream: Streams.petition(id), expected: .exact(version), actual: -1)
        }

        for row in rows {
            summary.rows += 1
            batch.append((try hasher.reference(row.identity), row.country))
            if batch.count == batchSize { try flush() }
        }
        try flush()
        _ = try catchUpProjections(through: lastCheckpoint)
        return summary
    }
}
