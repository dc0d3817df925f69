import EventStore
import Foundation
import PostgresClient
import VigilCodec
import VigilDomain
import VigilEncoding
import VigilVault

/// Whom to erase: a person, by the identity they signed with (every petition they signed), or one
/// subject by its id (a signer of one petition, or a sealed organiser's value).
public enum ErasureTarget: Sendable, Equatable {
    case identity(SignerIdentity)
    case subject(String)
}

/// What an erasure did: the subjects deleted from the vault, each with the event that records it.
public struct ErasureOutcome: Sendable, Equatable {
    public struct Erased: Sendable, Equatable {
        public var subjectId: String
        public var kind: SubjectKind
        /// Where the erasure's event stands in the log; nil when a previous run had erased it already.
        public var position: Int64?
    }

    public var erased: [Erased]
}

/// The vault's state as `vigil keys status` shows it: which master key wraps its keys, which is given.
public struct VaultKeyStatus: Sendable, Equatable, Codable {
    /// The id of the master key the vault's keys are wrapped by; nil before anything was sealed.
    public var vaultKeyId: String?
    /// The id of the key given (environment or file); nil when none is.
    public var givenKeyId: String?
    public var subjects: Int
    public var petitionKeys: Int
}

/// A master key was rotated.
public struct RotationOutcome: Sendable, Equatable {
    public var from: String
    public var to: String
    /// Keys re-wrapped; 0 when the vault was already under the new key (a retry).
    public var rewrapped: Int
}

extension VigilService {
    /// Makes a new master key in `path` (mode 0600, never overwriting a file). Touches no database.
    public static func makeMasterKey(at path: String) throws -> String {
        do {
            return try MasterKey.generate(to: path).id
        } catch let error as VaultError {
            throw VigilError(.invalidInput, "\(error)")
        }
    }

    /// Erases a person or a subject: deletes each subject's vault row (sealed fields, wrapped data key,
    /// blind index) and records `SubjectErased` by subject id, in one transaction per subject. The
    /// figures the subjects were counted in stay as they were, and the log still verifies. Erasing by
    /// identity needs the master key (to find the person's blind index in each petition); by subject
    /// id it does not. Running it again erases nothing more: a subject erased before is reported with
    /// no new event, and an identity no longer in the vault is not found.
    public func erase(_ target: ErasureTarget, _ request: CommandRequest = CommandRequest()) throws -> ErasureOutcome {
        try guarded {
            let actor = try VigilService.actor(request.actor)
            let session = try session(.writer)
            var subjects: [(id: UUID, kind: SubjectKind)] = []
            switch target {
            case .identity(let identity):
                let normalised = try identity.normalised()
                let master = try requireMasterKey(doing: "erasing a person by identity")
                let vault = Vault(connection: session.connection, master: master)
                subjects = try vault.signerSubjects(normalised: normalised).map { ($0.subject, .signer) }
                guard !subjects.isEmpty else {
                    throw VigilError(.notFound, "nobody with that identity is in the vault: never signed, or erased already; nothing was appended")
                }
            case .subject(let raw):
                guard let id = UUID(uuidString: raw.trimmingCharacters(in: .whitespaces)) else {
                    throw DomainError.invalid(field: "subject", reason: "is not a subject id (a UUID, as the log's events hold it)")
                }
                if let found = try Vault.subject(id, session.connection) {
                    subjects = [(id, SubjectKind(rawValue: found.kind) ?? .signer)]
                } else if let event = try session.store.readStream(ErasureEvent.stream(id.uuidString.lowercased())).first {
                    let kind = (try? EventCodec.decode(ErasureEvent.self, type: event.type, schemaVersion: event.schemaVersion, data: event.data))
                        .flatMap { $0 }.map { if case .erased(let e) = $0 { return e.kind } else { return SubjectKind.signer } }
                    return ErasureOutcome(erased: [.init(subjectId: id.uuidString.lowercased(), kind: kind ?? .signer, position: nil)])
                } else {
                    throw VigilError(.notFound, "subject \(id.uuidString.lowercased()) is not in the vault and was never erased; nothing was appended")
                }
            }
            let context = CommandContext(now: Date(), actor: actor)
            var outcome = ErasureOutcome(erased: [])
            var last: Checkpoint?
            for (id, kind) in subjects {
                let subject = id.uuidString.lowercased()
                let commandId = request.key.map { "\($0):\(subject)" } ?? "erase:\(subject)"
                let (done, _) = try pipeline(
                    commandId: commandId, fingerprint: VigilService.fingerprint("erase \(subject)"), actor: actor, client: request.client,
                    session, transactional: true
                ) { _ -> Decision<ErasureEvent> in
                    guard try Vault.erase(id, session.connection) else {
                        throw DomainError.refused("subject \(subject) was erased meanwhile")
                    }
                    return Decision(
                        stream: ErasureEvent.stream(subject), version: 0,
                        events: [.erased(SubjectErased(subjectId: subject, kind: kind, erasedAt: context.now))])
                }
                last = done.checkpoint ?? last
                outcome.erased.append(.init(subjectId: subject, kind: kind, position: done.duplicate ? nil : done.events.first?.position))
            }
            do { _ = try catchUpProjections(through: last, session) } catch { sessions.removeAll() }
            return outcome
        }
    }

    /// The vault's master key, and the one given, by id.
    public func vaultKeyStatus() throws -> VaultKeyStatus {
        try guarded {
            let connection = try session(.writer).connection
            let given = try masterKey ?? MasterKey.fromEnvironment(environment)
            let counts = try Vault.counts(connection)
            return VaultKeyStatus(
                vaultKeyId: try Vault.currentKeyId(connection), givenKeyId: given?.id, subjects: counts.subjects, petitionKeys: counts.petitionKeys)
        }
    }

    /// Re-wraps every data key and petition key of the vault from the master key given (the vault's
    /// current one) to the key in `newKeyPath`, in one transaction, without opening a sealed value. Needs
    /// the vault's owner (the login that migrates).
    /// Retrying after it committed re-wraps nothing. Afterwards only the new key opens the vault; the old
    /// one can be destroyed, and with it every copy of the old wrapped keys (backups, the WAL).
    public func rotateMasterKey(to newKeyPath: String, progress: ((Int) -> Void)? = nil) throws -> RotationOutcome {
        try guarded {
            let new = try MasterKey.load(from: newKeyPath)
            let old = try requireMasterKey(doing: "rotating the master key")
            // The owner's: organisers may seal and erase, never re-wrap (or overwrite) a key.
            let connection = try session(.owner).connection
            if try Vault.currentKeyId(connection) == new.id { return RotationOutcome(from: old.id, to: new.id, rewrapped: 0) }
            guard old.id != new.id else {
                throw VigilError(.invalidInput, "the new key \(newKeyPath) is the key in use; make a new one with vigil keys init --out FILE")
            }
            let count = try connection.withTransaction { try Vault(connection: connection, master: old).rotate(to: new, progress: progress) }
            return RotationOutcome(from: old.id, to: new.id, rewrapped: count)
        }
    }
}

/// Which sealed values an organiser asks to see opened.
public enum RevealLevel: String, Sendable, CaseIterable {
    /// Organisers' notes and reasons.
    case organiser
    /// Those, and people's names and descriptions (who organised, who took a petition).
    case restricted
}

extension VigilService {
    /// `text` (a replayed state, an event's payload) with every reference to a sealed value opened from
    /// the vault: for an organiser (the writer role) holding the master key. A value erased since, or of
    /// a class not asked for, shows as `[erased]` or stays a reference.
    public func reveal(_ text: String, level: RevealLevel) throws -> String {
        try guarded {
            let pattern = #/vault:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/#
            let ids = Set(text.matches(of: pattern).compactMap { UUID(uuidString: String($0.output.1)) })
            guard !ids.isEmpty else { return text }
            let master = try requireMasterKey(doing: "opening sealed values")
            let connection = try session(.writer).connection
            let kinds = level == .restricted ? ["organiser", "restricted"] : ["organiser"]
            let (opened, held) = try Vault(connection: connection, master: master).texts(Array(ids), kinds: kinds)
            return text.replacing(pattern) { match in
                guard let id = UUID(uuidString: String(match.output.1)) else { return String(match.output.0) }
                // Inside a JSON string: the value's literal without its quotes.
                if let value = opened[id] { return String(JSONText.string(value).dropFirst().dropLast()) }
                return held.contains(id) ? String(match.output.0) : "[erased]"
            }
        }
    }
}
