import Crypto
import Foundation
import PostgresClient
import VigilEncoding

/// What the vault keeps about one signer of one petition: the identity as it was given, to write back to
/// them if they agreed to hear back. Sealed under the subject's data key; never in the log.
public struct SignerRecord: Sendable, Equatable, Codable {
    public var email: String?
    public var name: String?
    public var country: String?

    public init(email: String? = nil, name: String? = nil, country: String? = nil) {
        self.email = email
        self.name = name
        self.country = country
    }

    /// The record as the vault seals it: JSON with sorted keys and no blanks, byte for byte what
    /// `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes. Values of printable ASCII
    /// without a quote or backslash (e-mail addresses, most names, countries) are written here, without
    /// the encoder's cost; anything else goes through it.
    func sealedJSON() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(40 + (email?.utf8.count ?? 0) + (name?.utf8.count ?? 0) + (country?.utf8.count ?? 0))
        appendSealedJSON(to: &out)
        return out
    }

    /// `sealedJSON()`, appended to `out`.
    func appendSealedJSON(to out: inout [UInt8]) {
        let start = out.count
        out.append(UInt8(ascii: "{"))
        for (key, value) in [("country", country), ("email", email), ("name", name)] {
            guard let value else { continue }
            guard value.utf8.allSatisfy({ (0x20...0x7E).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
                // A record of strings always encodes.
                out.removeSubrange(start...)
                out.append(contentsOf: try! JSONEncoder.sorted.encode(self))
                return
            }
            if out.count > start + 1 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: key.utf8)
            out.append(contentsOf: "\":\"".utf8)
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// The vault's tables (schema `vault`), over one connection acting as an organiser: sealing, looking up,
/// erasing and re-wrapping subjects. Only this type writes SQL for the vault, as only the event store does
/// for the log. Its writes join the caller's transaction, so a subject and the event that refers to it
/// commit together or not at all.
public struct Vault {
    let connection: Connection
    let master: MasterKey

    /// How long a sign or an import waits for the petition's signatures lock (an import's batch in
    /// progress holds it for about half a second) before it gives up: as long as an append waits for its
    /// locks (0023). A test shortens it.
    public var signaturesLockTimeout = "15s"

    /// Seals new subjects under `master`.
    public var sealer: SubjectSealer { SubjectSealer(master: master) }

    /// The vault over `connection`, opening and sealing with `master`.
    public init(connection: Connection, master: MasterKey) {
        self.connection = connection
        self.master = master
    }

    // MARK: The master key

    /// Refuses a master key other than the one the vault's keys are wrapped by, and records `master` as
    /// that key when the vault has none yet. Reads it under a share lock: a rotation running meanwhile
    /// finishes first, and then this key is refused. Call it inside the transaction that seals.
    public func requireCurrentKey() throws {
        try connection.query("INSERT INTO vault.master_key (id, master_key_id) VALUES (1, \(master.id)) ON CONFLICT (id) DO NOTHING")
        let current = try connection.query("SELECT master_key_id FROM vault.master_key WHERE id = 1 FOR SHARE").first?.string("master_key_id")
        guard current == master.id else { throw VaultError.wrongMasterKey(given: master.id, expected: [current ?? "none"]) }
    }

    /// The id of the master key the vault's keys are wrapped by; nil before anything was sealed.
    public static func currentKeyId(_ connection: Connection) throws -> String? {
        try connection.query("SELECT master_key_id FROM vault.master_key WHERE id = 1").first?.string("master_key_id")
    }

    // MARK: Petitions' blind-index keys

    /// The blind-index key of `petitionId`, made (and wrapped) on first use. Two sessions making it at
    /// once keep the first one committed.
    public func indexer(for petitionId: String) throws -> BlindIndexer {
        if let indexer = try existingIndexer(for: petitionId) { return indexer }
        let wrapped = master.wrap(Sealing.newKey(), .petitionKey, owner: petitionId)
        try connection.query(
            """
            INSERT INTO vault.petition_keys (petition_id, master_key_id, wrapped_key)
            VALUES (\(petitionId), \(master.id), \(PostgresBytes(wrapped))::bytea) ON CONFLICT (petition_id) DO NOTHING
            """)
        guard let indexer = try existingIndexer(for: petitionId) else { throw VaultError.damaged(what: "the petition key of \(petitionId)") }
        return indexer
    }

    /// The blind-index key of `petitionId`, or nil when it has none yet (nobody signed it through the vault).
    func existingIndexer(for petitionId: String) throws -> BlindIndexer? {
        let rows = try connection.query("SELECT master_key_id, wrapped_key FROM vault.petition_keys WHERE petition_id = \(petitionId)")
        guard let row = rows.first else { return nil }
        try requireWrapped(by: try row.string("master_key_id"))
        return BlindIndexer(key: try master.unwrap(try row.bytes("wrapped_key"), .petitionKey, owner: petitionId))
    }

    /// Every petition's blind-index key: an erasure by identity looks for the person in each.
    public func allIndexers() throws -> [(petitionId: String, indexer: BlindIndexer)] {
        try connection.query("SELECT petition_id, master_key_id, wrapped_key FROM vault.petition_keys ORDER BY petition_id").map { row in
            let petition = try row.string("petition_id")
            try requireWrapped(by: try row.string("master_key_id"))
            return (petition, BlindIndexer(key: try master.unwrap(try row.bytes("wrapped_key"), .petitionKey, owner: petition)))
        }
    }

    func requireWrapped(by id: String) throws {
        guard id == master.id else { throw VaultError.wrongMasterKey(given: master.id, expected: [id]) }
    }

    // MARK: Subjects

    /// Opens a subject's fields, sealed with `binding` (what the row says about it: its kind, and a
    /// signer's petition, blind index and consent). A row changed or moved since does not open.
    func open(_ id: UUID, binding: String, keyId: String, wrappedKey: [UInt8], sealed: [UInt8]) throws -> [UInt8] {
        try requireWrapped(by: keyId)
        let owner = id.uuidString.lowercased()
        let dataKey = try master.unwrap(wrappedKey, .dataKey, owner: owner)
        return try Sealing.open(sealed, key: dataKey, .fields, owner: owner + "\u{0}" + binding, what: "subject \(owner)")
    }

    /// The seed of the petition's signatures lock (`hashtextextended(petition id, seed)`): apart from the
    /// append's locks on streams (0) and commands (1).
    static let signaturesLock: Int64 = 2

    /// Records one signature of `petitionId`: the subject's row and its blind index. Returns the new
    /// subject's id, or nil when the blind index is there already (the person signed before; nothing is
    /// written). Uniqueness is the database's: of two sessions signing one person at once, the second
    /// waits for the first and then finds it.
    public func addSigner(petitionId: String, blindIndex: [UInt8], record: SignerRecord, consent: Bool) throws -> UUID? {
        let subject = sealer.sealed(record.sealedJSON(), binding: SubjectSealer.signerBinding(petitionId, blindIndex, consent))
        // The petition's signatures lock, shared (see `addSealed`): taken before the row goes in, held to commit.
        let rows = try connection.query(
            """
            WITH locked AS (SELECT set_config('lock_timeout', \(signaturesLockTimeout), true),
                                   pg_advisory_xact_lock_shared(hashtextextended(\(petitionId), \(Vault.signaturesLock)))),
            signature AS (
                INSERT INTO vault.signatures (petition_id, blind_index, subject_id, consent)
                SELECT \(petitionId), \(PostgresBytes(blindIndex))::bytea, \(subject.id)::uuid, \(consent) FROM locked
                ON CONFLICT DO NOTHING RETURNING subject_id)
            INSERT INTO vault.subjects (subject_id, kind, master_key_id, wrapped_key, sealed)
            SELECT subject_id, 'signer', \(master.id), \(PostgresBytes(subject.wrappedKey))::bytea, \(PostgresBytes(subject.sealed))::bytea
              FROM signature RETURNING subject_id
            """)
        guard rows.isEmpty else { return subject.id }
        // No row: the person is on record (ON CONFLICT names no target, which would need the blind index's
        // SELECT, 0038), unless the new subject's id was taken, which is no repeat.
        let signed = try connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM vault.signature_index
                            WHERE petition_id = \(petitionId) AND blind_index = \(PostgresBytes(blindIndex))::bytea) AS found
            """)[0].bool("found")
        guard signed else {
            throw PostgresError(kind: .client, message: "the new subject's id \(subject.id.uuidString.lowercased()) is taken; nothing was recorded: run the command again")
        }
        return nil
    }

    /// Records a batch of an import's signatures of `petitionId`, sealed already by `SignerBatchSealer` (an
    /// import seals the next batch on other cores while the database takes this one), each signer once
    /// in the batch. Returns how many were added, by country ("ZZ" where unknown), and whether the batch
    /// went by COPY.
    ///
    /// A batch none of whose signers is on record goes by COPY straight into `vault.signatures` and
    /// `vault.subjects`, under a savepoint; any other takes the fallback: the rows staged in the session's
    /// temporary tables, and only the signers whose blind index is new inserted, with their subjects.
    ///
    /// Every blind index of the batch is looked for before the COPY, under the petition's signatures lock
    /// (exclusive here, shared by `addSigner`, held to commit), so that the COPY never meets a signer on
    /// record. When it did, the petition's unique index refused it, and the server wrote that refusal
    /// to its log with the key: the petition and the person's blind index, beyond the reach of any
    /// erasure (since 0038 PostgreSQL leaves the key out of that message, vigil_writer no longer reading
    /// the column; the look keeps even the refusal out). Looking for all of them costs a batch of 50,000
    /// about 0.1 s of the database's time. Should the COPY meet one all the same (a row written around the
    /// lock, by hand), the savepoint is rolled back and the batch takes the fallback.
    public func addSealed(petitionId: String, _ parts: [SealedSigners]) throws -> (byCountry: [String: Int], copied: Bool) {
        let blindIndexes = parts.flatMap(\.blindIndexes)
        // The lock in a statement of its own: the look's snapshot must be taken after the wait for it, which
        // only a transaction at READ COMMITTED takes anew for each statement.
        let isolation = try connection.query(
            """
            SELECT set_config('lock_timeout', \(signaturesLockTimeout), true),
                   pg_advisory_xact_lock(hashtextextended(\(petitionId), \(Vault.signaturesLock))),
                   current_setting('transaction_isolation') AS isolation
            """)[0].string("isolation")
        guard isolation == "read committed" else {
            throw PostgresError(kind: .client, message: "an import's batch runs at READ COMMITTED, not \(isolation): "
                + "check default_transaction_isolation in PGOPTIONS or the login's settings")
        }
        let onRecord = try connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM vault.signature_index
                            WHERE petition_id = \(petitionId) AND blind_index = ANY (\(blindIndexes)::bytea[])) AS found
            """)[0].bool("found")
        if !onRecord {
            try connection.execute("SAVEPOINT vault_copy")
            do {
                // The subjects first: every signature must name a subject already there (0035).
                try connection.copyIn(
                    "COPY vault.subjects (subject_id, kind, master_key_id, wrapped_key, sealed) FROM STDIN WITH (FORMAT binary)",
                    binary: parts.map(\.subjects))
                try connection.copyIn(
                    "COPY vault.signatures (petition_id, blind_index, subject_id, consent) FROM STDIN WITH (FORMAT binary)", binary: parts.map(\.signatures))
                try connection.execute("RELEASE SAVEPOINT vault_copy")
                var byCountry: [String: Int] = [:]
                for part in parts { byCountry.merge(part.byCountry, uniquingKeysWith: +) }
                return (byCountry, true)
            } catch let error as PostgresError where error.sqlState == .uniqueViolation && error.constraint == "signatures_pkey" {
                try connection.execute("ROLLBACK TO SAVEPOINT vault_copy")
                try connection.execute("RELEASE SAVEPOINT vault_copy")
            }
        }
        try connection.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS vault_import_signatures (
                petition_id text, blind_index bytea, subject_id uuid, consent boolean) ON COMMIT DELETE ROWS
            """)
        try connection.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS vault_import_subjects (
                subject_id uuid, kind text, master_key_id text, wrapped_key bytea, sealed bytea) ON COMMIT DELETE ROWS
            """)
        try connection.execute("TRUNCATE vault_import_signatures, vault_import_subjects")
        try connection.copyIn("COPY vault_import_signatures FROM STDIN WITH (FORMAT binary)", binary: parts.map(\.signatures))
        try connection.copyIn("COPY vault_import_subjects FROM STDIN WITH (FORMAT binary)", binary: parts.map(\.subjects))
        let added = try connection.query(
            """
            WITH signature AS (
                INSERT INTO vault.signatures (petition_id, blind_index, subject_id, consent)
                SELECT \(petitionId), blind_index, subject_id, consent FROM vault_import_signatures
                ON CONFLICT DO NOTHING RETURNING subject_id)
            INSERT INTO vault.subjects (subject_id, kind, master_key_id, wrapped_key, sealed)
            SELECT i.subject_id, 'signer', \(master.id), i.wrapped_key, i.sealed
              FROM vault_import_subjects i JOIN signature USING (subject_id) RETURNING subject_id
            """)
        guard !added.isEmpty else { return ([:], false) }
        var countries: [UUID: String] = [:]
        for part in parts { for (id, country) in zip(part.ids, part.countries) { countries[id] = country } }
        var byCountry: [String: Int] = [:]
        for row in added { byCountry[countries[try row.uuid("subject_id")] ?? "ZZ", default: 0] += 1 }
        return (byCountry, false)
    }

    /// Seals one value an event refers to instead of holding it (`kind` is "organiser" or
    /// "restricted"), as a subject of its own; returns its id.
    public func sealText(_ text: String, kind: String) throws -> UUID {
        let subject = sealer.sealed(Array(text.utf8), binding: kind)
        try connection.query(
            """
            INSERT INTO vault.subjects (subject_id, kind, master_key_id, wrapped_key, sealed)
            VALUES (\(subject.id), \(kind), \(master.id), \(PostgresBytes(subject.wrappedKey))::bytea, \(PostgresBytes(subject.sealed))::bytea)
            """)
        return subject.id
    }

    /// The values sealed under `ids` by `sealText`, opened where their kind is one of `kinds`, and which
    /// of `ids` the vault still holds at all (of any kind), in one query. An id not held was erased.
    public func texts(_ ids: [UUID], kinds: [String]) throws -> (opened: [UUID: String], held: Set<UUID>) {
        guard !ids.isEmpty else { return ([:], []) }
        var opened: [UUID: String] = [:]
        var held = Set<UUID>()
        let rows = try connection.query(
            """
            SELECT subject_id, kind, master_key_id, wrapped_key, sealed FROM vault.subjects
             WHERE subject_id = ANY(\(ids.map { $0.uuidString.lowercased() })::uuid[])
            """)
        for row in rows {
            let id = try row.uuid("subject_id")
            held.insert(id)
            let kind = try row.string("kind")
            guard kinds.contains(kind) else { continue }
            let bytes = try open(id, binding: kind, keyId: try row.string("master_key_id"), wrappedKey: try row.bytes("wrapped_key"), sealed: try row.bytes("sealed"))
            opened[id] = String(decoding: bytes, as: UTF8.self)
        }
        return (opened, held)
    }

    /// How many subjects and petition keys the vault holds.
    public static func counts(_ connection: Connection) throws -> (subjects: Int, petitionKeys: Int) {
        let row = try connection.query(
            "SELECT (SELECT count(*) FROM vault.subjects) AS subjects, (SELECT count(*) FROM vault.petition_keys) AS petitions")[0]
        return (try row.int("subjects"), try row.int("petitions"))
    }

    /// The signers of `petitionId` who agreed to hear back, opened, oldest first.
    public func consentingSigners(petitionId: String) throws -> [SignerRecord] {
        let rows = try connection.query(
            """
            SELECT s.subject_id, s.kind, g.blind_index, g.consent, s.master_key_id, s.wrapped_key, s.sealed
              FROM vault.signature_index g JOIN vault.subjects s USING (subject_id)
             WHERE g.petition_id = \(petitionId) AND g.consent
             ORDER BY s.created_at, s.subject_id
            """)
        return try rows.map { row in
            let id = try row.uuid("subject_id")
            guard try row.string("kind") == "signer" else { throw VaultError.damaged(what: "subject \(id.uuidString.lowercased())") }
            let binding = SubjectSealer.signerBinding(petitionId, try row.bytes("blind_index"), try row.bool("consent"))
            let bytes = try open(id, binding: binding, keyId: try row.string("master_key_id"), wrappedKey: try row.bytes("wrapped_key"), sealed: try row.bytes("sealed"))
            return try JSONDecoder().decode(SignerRecord.self, from: Data(bytes))
        }
    }

    // MARK: Erasure

    /// The subjects a person is in the vault as: their signature of each petition whose blind index of
    /// `normalised` (the identity as `SignerIdentity.normalised()` writes it) is on record.
    public func signerSubjects(normalised: String) throws -> [(petitionId: String, subject: UUID)] {
        var found: [(String, UUID)] = []
        for (petition, indexer) in try allIndexers() {
            let index = indexer.makeHasher().index(normalised)
            let rows = try connection.query(
                "SELECT subject_id FROM vault.signature_index WHERE petition_id = \(petition) AND blind_index = \(PostgresBytes(index))::bytea")
            for row in rows { found.append((petition, try row.uuid("subject_id"))) }
        }
        return found
    }

    /// The blind index a signature of `petitionId` was recorded under, by its subject; nil when the vault
    /// has no such signature (never recorded, or erased since).
    public func blindIndex(ofSubject id: UUID, petitionId: String) throws -> [UInt8]? {
        try connection.query(
            "SELECT blind_index FROM vault.signature_index WHERE petition_id = \(petitionId) AND subject_id = \(id)"
        ).first?.bytes("blind_index")
    }

    /// What kind of subject `id` is ("signer" or "text"), and for a signer the petition; nil when the
    /// vault has no such subject.
    public static func subject(_ id: UUID, _ connection: Connection) throws -> (kind: String, petitionId: String?)? {
        let rows = try connection.query(
            """
            SELECT s.kind, g.petition_id FROM vault.subjects s LEFT JOIN vault.signatures g USING (subject_id)
             WHERE s.subject_id = \(id)::uuid
            """)
        guard let row = rows.first else { return nil }
        return (try row.string("kind"), try row.text("petition_id"))
    }

    /// Deletes a subject: its sealed fields, its wrapped data key and (for a signer) its signature's row,
    /// blind index and all, which the trigger `subjects_forget_signature` deletes in the same statement
    /// (0031; the writer role may not delete a signature alone). Returns false when it was not there.
    /// Needs no master key: forgetting opens nothing.
    @discardableResult
    public static func erase(_ id: UUID, _ connection: Connection) throws -> Bool {
        try connection.query("DELETE FROM vault.subjects WHERE subject_id = \(id)::uuid RETURNING subject_id").count == 1
    }

    // MARK: Rotation

    /// Re-wraps every data key and petition key from the vault's master key to `new`, in one transaction
    /// the caller runs, without opening or touching a sealed value; then records `new` as the vault's key.
    /// Sealing commands wait for it (they read the key under a share lock) and then need `new`. Returns
    /// how many keys were re-wrapped; `progress` hears the count so far.
    public func rotate(to new: MasterKey, progress: ((Int) -> Void)? = nil) throws -> Int {
        // Before anything was sealed there is no row to lock: the table is, so a first seal waits too.
        try connection.execute("LOCK TABLE vault.master_key IN EXCLUSIVE MODE")
        let current = try connection.query("SELECT master_key_id FROM vault.master_key WHERE id = 1 FOR UPDATE").first?.string("master_key_id")
        if current == new.id { return 0 }  // done already: a retry of a rotation that committed
        guard current == nil || current == master.id else {
            throw VaultError.wrongMasterKey(given: master.id, expected: [current ?? "none"])
        }
        var done = 0
        for row in try connection.query("SELECT petition_id, master_key_id, wrapped_key FROM vault.petition_keys") {
            let petition = try row.string("petition_id")
            try requireWrapped(by: try row.string("master_key_id"))
            let key = try master.unwrap(try row.bytes("wrapped_key"), .petitionKey, owner: petition).withUnsafeBytes { Array($0) }
            try connection.query(
                """
                UPDATE vault.petition_keys SET master_key_id = \(new.id), wrapped_key = \(PostgresBytes(new.wrap(key, .petitionKey, owner: petition)))::bytea
                 WHERE petition_id = \(petition)
                """)
            done += 1
        }
        try connection.execute("CREATE TEMP TABLE IF NOT EXISTS vault_rewrap (subject_id uuid, wrapped_key bytea) ON COMMIT DROP")
        var after = "00000000-0000-0000-0000-000000000000"
        while true {
            let rows = try connection.query(
                """
                SELECT subject_id, master_key_id, wrapped_key FROM vault.subjects
                 WHERE subject_id > \(after)::uuid ORDER BY subject_id LIMIT 10000
                """)
            guard let last = rows.last else { break }
            after = try last.uuid("subject_id").uuidString.lowercased()
            let rewrapped = try rows.map { row -> [String?] in
                let id = try row.uuid("subject_id")
                let owner = id.uuidString.lowercased()
                try requireWrapped(by: try row.string("master_key_id"))
                let key = try master.unwrap(try row.bytes("wrapped_key"), .dataKey, owner: owner).withUnsafeBytes { Array($0) }
                return [owner, "\\x" + Hex.encode(new.wrap(key, .dataKey, owner: owner))]
            }
            try connection.execute("TRUNCATE vault_rewrap")
            try connection.copyIn("COPY vault_rewrap FROM STDIN", rows: rewrapped)
            try connection.query(
                """
                UPDATE vault.subjects s SET master_key_id = \(new.id), wrapped_key = r.wrapped_key
                  FROM vault_rewrap r WHERE s.subject_id = r.subject_id
                """)
            done += rows.count
            progress?(done)
        }
        try connection.query(
            """
            INSERT INTO vault.master_key (id, master_key_id) VALUES (1, \(new.id))
            ON CONFLICT (id) DO UPDATE SET master_key_id = excluded.master_key_id, since = now()
            """)
        return done
    }
}

extension JSONEncoder {
    /// Sorted keys, so that a record seals the same way every time.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension Data {
    var bytes: [UInt8] { Array(self) }
}

/// Seals new subjects under a master key, without a connection: an import seals on every core at once.
public struct SubjectSealer: Sendable {
    let master: MasterKey

    /// Seals under `master`; `Vault.requireCurrentKey` says whether the vault takes rows wrapped by it.
    public init(master: MasterKey) { self.master = master }

    /// A new subject's row: a time-ordered id (`RandomBytes.uuid()`), its fields sealed under a new data
    /// key with `binding` (what its row says about it) authenticated, that key wrapped.
    public func sealed(_ fields: [UInt8], binding: String) -> (id: UUID, wrappedKey: [UInt8], sealed: [UInt8]) {
        var random = RandomBytes(chunk: 72)
        return sealed(fields, binding: binding, random: &random)
    }

    /// `sealed`, with the id, the data key and the nonces from `random`.
    func sealed(_ fields: [UInt8], binding: String, random: inout RandomBytes) -> (id: UUID, wrappedKey: [UInt8], sealed: [UInt8]) {
        let id = random.uuid()
        let owner = id.uuidString.lowercased()
        let dataKey = random.take(32)
        return (
            id, master.wrap(dataKey, .dataKey, owner: owner, random: &random),
            Sealing.seal(fields, key: SymmetricKey(data: dataKey), .fields, owner: owner + "\u{0}" + binding, random: &random)
        )
    }

    /// What a signer's sealed record is bound to: its kind, petition, blind index and consent. A signature
    /// row pointed at another subject, or its consent changed, no longer opens.
    public static func signerBinding(_ petitionId: String, _ blindIndex: [UInt8], _ consent: Bool) -> String {
        "signer\u{0}\(petitionId)\u{0}\(Hex.encode(blindIndex))\u{0}\(consent)"
    }
}
