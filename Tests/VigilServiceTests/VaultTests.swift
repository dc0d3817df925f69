import EventStore
import Foundation
import PostgresClient
import Testing
import VigilDomain
import VigilService
import VigilTestSupport
import VigilVault

/// The vault through the front door, on a real server: people are sealed there and never reach the log,
/// the database keeps a person from signing twice, and an erasure leaves nothing of them in a dump of
/// the whole database while every figure and the hash chain stay as they were.
@Suite("The vault: signers sealed, deduplicated by the database, erasable")
struct VaultTests {
    let database: String
    let key = MasterKey()
    init() throws { database = try TestDatabase.create("vault") }

    func service(_ key: MasterKey? = nil) -> VigilService { VigilService(conninfo: "dbname=\(database)", masterKey: key ?? self.key) }
    func owner() throws -> Connection { try TestDatabase.connect(database) }

    func openPetition(_ id: String, _ service: VigilService) throws {
        _ = try service.handle(.campaign(.launch(LaunchCampaign(
            campaignId: "c-\(id)", title: "Stop forced repatriation", cause: "Repatriation", coalition: "Coalition",
            addressee: "The President", demands: ["Stop it"]))))
        _ = try service.handle(.petition(.draft(DraftPetition(petitionId: id, campaignId: "c-\(id)", title: "T", addressee: "A", text: "Stop."))))
        _ = try service.handle(.petition(.open(petitionId: id)))
    }

    func sign(_ id: String, _ identity: SignerIdentity, country: String?, consent: Bool = false, _ service: VigilService) throws -> CommandOutcome {
        try service.handle(.petition(.sign(RecordSignature(petitionId: id, identity: identity, consent: consent, country: country))))
    }

    func count(_ sql: PostgresQuery) throws -> Int { try owner().query(sql)[0].int("n") }

    /// The whole database as `pg_dump` writes it: every schema, data and definitions.
    func dump() throws -> String {
        let bin = try #require(
            (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted().last.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" })
        let run = try runProgram(bin, ["--no-owner", "--dbname", database])
        try #require(run.status == 0, "pg_dump failed")
        return run.stdout
    }

    @Test("a signature: the event holds a random subject id; the identity, its normalised form and any hash of it are nowhere in the log")
    func signatureHoldsSubjectOnly() throws {
        let service = service()
        try openPetition("sealed", service)
        let outcome = try sign("sealed", .email("Kim.Hidden@Example.org"), country: "KR", service)
        let data = try #require(outcome.events.first?.data)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["petitionId", "subjectId", "country", "channel", "recordedAt"])
        let subject = try #require(object["subjectId"] as? String)
        let owner = try owner()
        let row = try owner.query("SELECT encode(blind_index, 'hex') AS idx FROM vault.signatures WHERE subject_id = \(subject)::uuid")
        let index = try row[0].string("idx")
        // Nothing in the log's tables (events, their metadata, the commands and their fingerprints).
        for needle in ["kim.hidden", "Kim.Hidden", "example.org", index] {
            #expect(try count("SELECT count(*) AS n FROM vigil.events WHERE data::text ILIKE '%' || \(needle) || '%' OR metadata::text ILIKE '%' || \(needle) || '%'") == 0)
            #expect(try count("SELECT count(*) AS n FROM vigil.commands c WHERE c::text ILIKE '%' || \(needle) || '%'") == 0)
        }
        // The old global signer key is gone: no table holds a key in clear.
        #expect(try owner.query("SELECT to_regclass('vigil.signer_key') IS NULL AS gone")[0].bool("gone"))
    }

    @Test("the same person signs once: refused by the database's unique blind index, nothing appended, nothing sealed")
    func secondSignatureRefused() throws {
        let service = service()
        try openPetition("once", service)
        _ = try sign("once", .name("Lee  Young-hee", country: "KR"), country: "KR", service)
        let before = try count("SELECT count(*) AS n FROM vigil.events")
        #expect(throws: DomainError.self) { _ = try sign("once", .name("lee young-hee", country: "kr"), country: "KR", service) }
        #expect(try count("SELECT count(*) AS n FROM vigil.events") == before)
        #expect(try count("SELECT count(*) AS n FROM vault.subjects") == 1)
        // Another petition has its own key: the same person signs it, under an unrelated blind index.
        try openPetition("other", service)
        _ = try sign("other", .name("Lee Young-hee", country: "KR"), country: "KR", service)
        #expect(try count("SELECT count(DISTINCT blind_index) AS n FROM vault.signatures") == 2)
    }

    @Test("two sessions signing one person at once: exactly one signature")
    func concurrentSignatures() throws {
        let setup = service()
        try openPetition("race", setup)
        let results = Locked<[Bool]>([])
        try onThreads(4) { _ in
            let ok = (try? sign("race", .email("racer@example.org"), country: nil, service())) != nil
            results.withLock { $0.append(ok) }
        }
        #expect(results.withLock { $0.filter { $0 }.count } == 1)
        #expect(try count("SELECT count(*) AS n FROM vigil.events WHERE event_type = 'SignatureRecorded'") == 1)
        #expect(try count("SELECT count(*) AS n FROM vault.signatures") == 1)
    }

    @Test("an import's batch waits for a signature of its petition still in progress, then finds it: no COPY meets a signer on record, so the server's log never holds a blind index")
    func importWaitsForSignature() throws {
        try openPetition("p-race", service())
        let log = try ServerLog(owner())
        let signing = try TestDatabase.connect(database, as: "vigil_writer")
        let indexer = try Vault(connection: signing, master: key).indexer(for: "p-race")
        let person = "email:on-record@example.org"
        let onRecord = indexer.makeHasher().index(person)

        // A signature of the person, not yet committed.
        try signing.execute("BEGIN")
        #expect(try Vault(connection: signing, master: key).addSigner(
            petitionId: "p-race", blindIndex: onRecord, record: SignerRecord(email: "on-record@example.org"), consent: false) != nil)

        // An import's batch holding the same person and a new one, in a transaction of its own.
        var sealer = SignerBatchSealer(sealer: SubjectSealer(master: key), petitionId: "p-race", indexer: indexer, batch: SignerBatchSealer.ids())
        var batch = SealedSigners(capacity: 2)
        for (position, email) in ["on-record@example.org", "new@example.org"].enumerated() {
            sealer.append(to: &batch, position: position, blindIndex: sealer.index("email:" + email),
                          record: SignerRecord(email: email), consent: false, country: "KR")
        }
        let sealed = batch
        let outcome = Locked<Result<(byCountry: [String: Int], copied: Bool), Error>?>(nil)
        let importer = Locked<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        let (database, key) = (self.database, self.key)
        Thread {
            outcome.withLock { $0 = Result {
                let importing = try TestDatabase.connect(database, as: "vigil_writer")
                let pid = try importing.query("SELECT pg_backend_pid() AS pid")[0].int("pid")
                importer.withLock { $0 = pid }
                try importing.execute("BEGIN")
                let added = try Vault(connection: importing, master: key).addSealed(petitionId: "p-race", [sealed])
                try importing.execute("COMMIT")
                return added
            } }
            done.signal()
        }.start()

        // The batch waits on the petition's signatures lock, not on the signer's row.
        var waiting: String?
        for _ in 0..<600 where waiting == nil {
            Thread.sleep(forTimeInterval: 0.05)
            guard let pid = importer.value else { continue }
            waiting = try owner().query(
                "SELECT wait_event FROM pg_stat_activity WHERE pid = \(pid) AND wait_event_type = 'Lock'").first?.string("wait_event")
        }
        #expect(waiting == "advisory")
        try signing.execute("COMMIT")
        #expect(done.wait(timeout: .now() + 30) == .success)

        let added = try #require(try outcome.withLock { $0 }?.get())
        #expect(added.copied == false && added.byCountry == ["KR": 1])
        #expect(try count("SELECT count(*) AS n FROM vault.signatures WHERE petition_id = 'p-race'") == 2)
        #expect(try count("SELECT count(*) AS n FROM vault.subjects s JOIN vault.signatures g USING (subject_id) WHERE g.petition_id = 'p-race'") == 2)
        if let log { #expect(try log.holds(anyOf: [onRecord.map { String(format: "%02x", $0) }.joined()]).isEmpty) }
    }

    @Test("a writer's signature that meets one on record, however it was sent, leaves the key out of the server's log; an older binary's reads of blind indexes are refused")
    func refusalKeepsTheKeyOut() throws {
        let service = service()
        try openPetition("p-key", service)
        _ = try sign("p-key", .email("kept@example.org"), country: "KR", service)
        let log = try ServerLog(owner())
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        let recorded = try owner().query("SELECT blind_index FROM vault.signatures WHERE petition_id = 'p-key'")[0].bytes("blind_index")
        let index = recorded.map { String(format: "%02x", $0) }.joined()
        // What a client that does not look first sends: the same person's signature again, its values bound
        // as parameters (as Vigil binds them: a failing statement's text goes to the log, its parameters not).
        try writer.execute("BEGIN")
        let subject = UUID()
        try writer.query(
            """
            INSERT INTO vault.subjects (subject_id, kind, master_key_id, wrapped_key, sealed)
            VALUES (\(subject), 'signer', '0123456789abcdef', '\\x00', '\\x00')
            """)
        let refused = try #require(throws: PostgresError.self) {
            try writer.query(
                """
                INSERT INTO vault.signatures (petition_id, blind_index, subject_id, consent)
                VALUES ('p-key', \(PostgresBytes(recorded))::bytea, \(subject), false)
                """)
        }
        try writer.execute("ROLLBACK")
        #expect(refused.sqlState == .uniqueViolation)
        #expect(!"\(refused)".contains(index))
        if let log { #expect(try log.holds(anyOf: [index]).isEmpty) }
        // The reads and the ON CONFLICT of the binaries before 0038: refused, so they fail closed.
        for sql in [
            "SELECT EXISTS (SELECT 1 FROM vault.signatures WHERE petition_id = 'p-key' AND blind_index IN (SELECT decode(h, 'hex') FROM unnest('{}'::text[]) h)) AS found",
            "INSERT INTO vault.signatures (petition_id, blind_index, subject_id, consent) VALUES ('p-key', '\\x01', gen_random_uuid(), false) ON CONFLICT (petition_id, blind_index) DO NOTHING",
        ] {
            let denied = try #require(throws: PostgresError.self) { try writer.execute(sql) }
            #expect(denied.sqlState == SQLState("42501"))
        }
        // What it may still read there, and the blind indexes through the view.
        #expect(try writer.query("SELECT count(*) AS n FROM vault.signatures WHERE petition_id = 'p-key' AND NOT consent")[0].int("n") == 1)
        #expect(try writer.query("SELECT encode(blind_index, 'hex') AS h FROM vault.signature_index WHERE petition_id = 'p-key'")[0].string("h") == index)
    }

    @Test("0039's keys: a blind index once per petition, in either order of the key's columns, and another petition's free; a master key id of 16 lower-case hexadecimal digits and nothing else")
    func bulkKeysRefuseAsBefore() throws {
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        func subject(_ keyId: String = "0123456789abcdef") throws -> UUID {
            let id = UUID()
            try writer.query(
                """
                INSERT INTO vault.subjects (subject_id, kind, master_key_id, wrapped_key, sealed)
                VALUES (\(id), 'signer', \(keyId), '\\x00', '\\x00')
                """)
            return id
        }
        func signature(_ petition: String, _ index: [UInt8]) throws {
            try writer.query(
                """
                INSERT INTO vault.signatures (petition_id, blind_index, subject_id, consent)
                VALUES (\(petition), \(PostgresBytes(index))::bytea, \(try subject()), false)
                """)
        }
        let index = [UInt8](repeating: 0x5a, count: 32)
        try writer.execute("BEGIN")
        try signature("p-one", index)
        try signature("p-two", index)
        try writer.execute("SAVEPOINT again")
        let twice = try #require(throws: PostgresError.self) { try signature("p-one", index) }
        #expect(twice.sqlState == .uniqueViolation && twice.constraint == "signatures_pkey")
        try writer.execute("ROLLBACK TO SAVEPOINT again")
        // The key's columns: the blind index first (0039), the pair unique as before.
        let columns = try owner().query(
            """
            SELECT string_agg(a.attname, ',' ORDER BY k.i) AS columns
              FROM pg_index x CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, i)
              JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
             WHERE x.indexrelid = 'vault.signatures_pkey'::regclass
            """)[0].string("columns")
        #expect(columns == "blind_index,petition_id")
        for bad in ["0123456789ABCDEF", "0123456789abcdeg", "0123456789abcd  ", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeé",
                    String(repeating: "ab", count: 32)] {
            try writer.execute("SAVEPOINT bad")
            let refused = try #require(throws: PostgresError.self, "\(bad)") { _ = try subject(bad) }
            #expect(refused.sqlState == SQLState("23514") || refused.sqlState == SQLState("22023"), "\(bad): \(refused)")
            try writer.execute("ROLLBACK TO SAVEPOINT bad")
        }
        _ = try subject("fedcba9876543210")
        try writer.execute("ROLLBACK")
    }

    @Test("the petition's signatures lock: a reporter cannot take it, nor a stream's (0040); held by a writer, a sign gives up after its timeout with a lock error; an import's batch refuses a snapshot older than its wait")
    func signaturesLockBounds() throws {
        try openPetition("p-lock", service())
        let reporter = try TestDatabase.connect(database, as: "vigil_reporter")
        for lock in ["pg_advisory_lock(hashtextextended('p-lock', 2))", "pg_try_advisory_xact_lock_shared(hashtextextended('p-lock', 2))",
                     "pg_advisory_lock(1, 2)", "pg_advisory_xact_lock(hashtextextended('petition-p-lock', 0))"] {
            let denied = try #require(throws: PostgresError.self, "\(lock)") { try reporter.execute("SELECT \(lock)") }
            #expect(denied.sqlState == SQLState("42501"), "\(lock): \(denied)")
        }
        let holder = try TestDatabase.connect(database, as: "vigil_writer")
        try holder.execute("SELECT pg_advisory_lock(hashtextextended('p-lock', 2))")
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        var vault = Vault(connection: writer, master: key)
        vault.signaturesLockTimeout = "200ms"
        let index = try vault.indexer(for: "p-lock").makeHasher().index("email:waits@example.org")
        try writer.execute("BEGIN")
        let timedOut = try #require(throws: PostgresError.self) {
            try vault.addSigner(petitionId: "p-lock", blindIndex: index, record: SignerRecord(email: "waits@example.org"), consent: false)
        }
        #expect(timedOut.sqlState == SQLState("55P03"))
        try writer.execute("ROLLBACK")
        try holder.execute("SELECT pg_advisory_unlock_all()")

        try writer.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        let batch = SealedSigners(capacity: 0)
        let refused = try #require(throws: PostgresError.self) { try vault.addSealed(petitionId: "p-lock", [batch]) }
        #expect("\(refused)".contains("READ COMMITTED"))
        try writer.execute("ROLLBACK")
        #expect(try count("SELECT count(*) AS n FROM vault.signatures WHERE petition_id = 'p-lock'") == 0)
    }

    @Test("a signature's key given again for another person is refused (exit 5), and that person is not told they signed; the same person's retry is answered with the first outcome")
    func keyReusedForAnotherSigner() throws {
        let service = service()
        try openPetition("p-keyed", service)
        func signing(_ email: String) throws -> CommandOutcome {
            try service.handle(.petition(.sign(RecordSignature(petitionId: "p-keyed", identity: .email(email), consent: false, country: "KR"))),
                               CommandRequest(key: "stall-7"))
        }
        let first = try signing("first@example.org")
        #expect(!first.duplicate)
        let other = try #require(throws: VigilError.self) { try signing("second@example.org") }
        #expect(other.kind == .conflict && "\(other)".contains("stall-7"), "\(other.kind) \(other)")
        #expect(try count("SELECT count(*) AS n FROM vault.signatures WHERE petition_id = 'p-keyed'") == 1)
        let retry = try signing("First@Example.org")
        #expect(retry.duplicate && retry.events.map(\.position) == first.events.map(\.position))
        // Once the first signer is erased there is nothing to compare with: refused too.
        let subject = try owner().query("SELECT subject_id::text AS s FROM vault.signatures WHERE petition_id = 'p-keyed'")[0].string("s")
        #expect(try Vault.erase(try #require(UUID(uuidString: subject)), owner()))
        #expect(throws: VigilError.self) { try signing("first@example.org") }
    }

    @Test("no master key, or the wrong one: a clear error naming what is missing, nothing appended, nothing sealed")
    func masterKeyRequired() throws {
        try openPetition("keyed", service())
        let before = try count("SELECT count(*) AS n FROM vigil.events")
        // The vault is sealed with `key` from the first seal on.
        _ = try sign("keyed", .email("first@example.org"), country: nil, service())
        let withoutKey = VigilService(conninfo: "dbname=\(database)", environment: [:])
        let missing = try #require(throws: VigilError.self) {
            _ = try sign("keyed", .email("second@example.org"), country: nil, withoutKey)
        }
        #expect(missing.kind == .keyMissing)
        #expect(missing.message.contains("VIGIL_MASTER_KEY_FILE"))
        let wrong = try #require(throws: VigilError.self) { _ = try sign("keyed", .email("second@example.org"), country: nil, service(MasterKey())) }
        #expect(wrong.kind == .keyMissing)
        #expect(wrong.message.contains(key.id))
        #expect(try count("SELECT count(*) AS n FROM vigil.events") == before + 1)
        #expect(try count("SELECT count(*) AS n FROM vault.subjects") == 1)
    }

    @Test("consent: only those who agreed are exported, opened; the reporter and auditor roles cannot read the vault at all")
    func consentExport() throws {
        let service = service()
        try openPetition("hear", service)
        _ = try sign("hear", .email("yes@example.org"), country: "KR", consent: true, service)
        _ = try sign("hear", .email("no@example.org"), country: "KR", consent: false, service)
        _ = try sign("hear", .name("Park Ji-woo", country: "KR"), country: "KR", consent: true, service)
        let exported = try service.consentingSigners("hear")
        #expect(exported == [SignerRecord(email: "yes@example.org", country: "KR"), SignerRecord(name: "Park Ji-woo", country: "KR")])
        for role in ["vigil_reporter", "vigil_auditor", "vigil_projector"] {
            let connection = try TestDatabase.connect(database, as: role)
            for table in ["vault.subjects", "vault.signatures", "vault.petition_keys", "vault.master_key"] {
                #expect(throws: PostgresError.self, "\(role) read \(table)") { try connection.query("SELECT 1 FROM \(unescaped: table) LIMIT 1") }
            }
        }
        // The organiser's role reads only ciphertext and wrapped keys: nothing in clear.
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        let sealed = try writer.query("SELECT sealed, wrapped_key FROM vault.subjects")
        for row in sealed {
            #expect(!String(decoding: try row.bytes("sealed"), as: UTF8.self).contains("example.org"))
        }
        // Nor can it change a row, point a signature at another subject, or take over the vault's key.
        for sql in [
            "UPDATE vault.subjects SET sealed = '\\x00'", "UPDATE vault.subjects SET wrapped_key = '\\x00', master_key_id = '0000000000000000'",
            "UPDATE vault.signatures SET consent = true", "DELETE FROM vault.signatures", "UPDATE vault.petition_keys SET wrapped_key = '\\x00'",
            "UPDATE vault.master_key SET master_key_id = '0000000000000000'", "TRUNCATE vault.subjects CASCADE",
        ] {
            let error = try #require(throws: PostgresError.self, "writer: \(sql)") { try writer.query(PostgresQuery(sql: sql)) }
            #expect(error.sqlState?.code == "42501", "writer: \(sql): \(error)")
        }
        // Nor plant a signature without a subject (a person's blind index tied to a petition, out of reach
        // of every erasure), row by row or by COPY; nothing is written.
        let before = try writer.query("SELECT count(*) AS n FROM vault.signatures")[0].int64("n")
        let orphan = try #require(throws: PostgresError.self) {
            try writer.query(
                "INSERT INTO vault.signatures (petition_id, blind_index, subject_id, consent) VALUES ('hear', \(PostgresBytes([UInt8](repeating: 7, count: 32)))::bytea, \(UUID())::uuid, false)")
        }
        #expect(orphan.sqlState?.code == "23503" && orphan.message.contains("must name a subject"), "\(orphan)")
        let copied = try #require(throws: PostgresError.self) {
            _ = try writer.copyIn(
                "COPY vault.signatures (petition_id, blind_index, subject_id, consent) FROM STDIN",
                rows: [["hear", "\\x" + String(repeating: "08", count: 32), UUID().uuidString, "f"] as [String?]])
        }
        #expect(copied.sqlState?.code == "23503", "\(copied)")
        #expect(try writer.query("SELECT count(*) AS n FROM vault.signatures")[0].int64("n") == before)
        // A signer's record is bound to its row: even the owner, flipping a consent behind Vigil's back,
        // gets a record that no longer opens rather than an export of someone who said no.
        #expect(try service.consentingSigners("hear").count == 2)
        try owner().execute("UPDATE vault.signatures SET consent = true WHERE NOT consent")
        let tampered = try #require(throws: VigilError.self) { _ = try service.consentingSigners("hear") }
        #expect(tampered.kind == .tampered)
    }

    @Test("erasure: the dump of every schema holds neither the e-mail, the name, their blind index nor the ciphertext; figures and the chain stay")
    func erasureLeavesNothing() throws {
        let service = service()
        try openPetition("forget", service)
        let email = "Erase.Me@example.org"
        let name = "Choi Secretname"
        let first = try sign("forget", .email(email), country: "KR", consent: true, service)
        _ = try sign("forget", .name(name, country: "KR"), country: "KR", consent: true, service)
        _ = try sign("forget", .email("stays@example.org"), country: "US", service)
        try openPetition("forget-too", service)
        _ = try sign("forget-too", .email(email.lowercased()), country: "KR", service)

        let owner = try owner()
        func traces() throws -> [String] {
            try owner.query(
                """
                SELECT encode(g.blind_index, 'hex') AS idx, encode(s.sealed, 'hex') AS sealed, encode(s.wrapped_key, 'hex') AS wrapped
                  FROM vault.signatures g JOIN vault.subjects s USING (subject_id)
                 WHERE g.subject_id <> (SELECT subject_id FROM vault.signatures g2 JOIN vault.subjects USING (subject_id)
                                         WHERE g2.petition_id = 'forget' ORDER BY created_at DESC, subject_id LIMIT 1)
                """
            ).flatMap { [try $0.string("idx"), try $0.string("sealed"), try $0.string("wrapped")] }
        }
        let before = try traces()
        #expect(before.count == 9)  // three subjects to erase: two signatures of the e-mail, one of the name
        // The planner's statistics take no sample of what identifies a subject (they would outlive it).
        try owner.execute("ANALYZE vault.subjects, vault.signatures, vault.petition_keys")
        #expect(try count("SELECT count(*) AS n FROM pg_stats WHERE schemaname = 'vault' AND attname IN ('subject_id', 'sealed', 'wrapped_key', 'blind_index')") == 0)
        let dumpBefore = try dump()
        // The search can fail: before the erasure the dump holds every trace.
        for trace in before { #expect(dumpBefore.contains(trace)) }
        let figures = try service.campaignsReport("c-forget", view: .organiser).rows.first?.signatures
        let subject = try #require(first.events.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any] }?["subjectId"] as? String)

        let byEmail = try service.erase(.identity(.email(email)))
        #expect(byEmail.erased.count == 2)
        #expect(byEmail.erased.contains { $0.subjectId == subject && $0.position != nil })
        let byName = try service.erase(.identity(.name(name.uppercased(), country: "kr")))
        #expect(byName.erased.count == 1)
        // No foreign key ties a signature to its subject (0031): erasing the subject deletes the signature.
        let erased = (byEmail.erased + byName.erased).map(\.subjectId)
        #expect(try count("SELECT count(*) AS n FROM vault.signatures WHERE subject_id = ANY(\(erased)::uuid[])") == 0)
        #expect(try count("SELECT count(*) AS n FROM vault.signatures") == 1)

        let dumpAfter = try dump()
        for needle in [email, email.lowercased(), name, name.lowercased(), "choi secretname"] + before {
            #expect(!dumpAfter.contains(needle), "the dump still holds \(needle.prefix(12))…")
        }
        #expect(dumpAfter.contains("stays") == false)  // sealed, never in clear, before or after
        try owner.execute("ANALYZE vault.subjects, vault.signatures, vault.petition_keys")
        let statistics = try owner.query(
            "SELECT coalesce(string_agg(coalesce(most_common_vals::text, '') || coalesce(histogram_bounds::text, ''), ' '), '') AS s FROM pg_stats WHERE schemaname = 'vault'"
        )[0].string("s")
        for trace in before { #expect(!statistics.contains(trace), "pg_stats still holds \(trace.prefix(12))…") }
        // Each erasure is an event by subject id only.
        let erasures = try owner.query("SELECT data FROM vigil.events WHERE event_type = 'SubjectErased' ORDER BY global_position")
        #expect(erasures.count == 3)
        for row in erasures {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(try row.string("data").utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["subjectId", "kind", "erasedAt"])
        }
        // The figures are as they were, the chain and the guards hold, and the person is gone for good.
        #expect(try service.campaignsReport("c-forget", view: .organiser).rows.first?.signatures == figures)
        let verified = try service.verify()
        #expect(verified.holds, "\(String(describing: verified.firstBreak)) \(verified.guards.filter { !$0.holds })")
        #expect(try service.consentingSigners("forget").isEmpty)
        let again = try #require(throws: VigilError.self) { _ = try service.erase(.identity(.email(email))) }
        #expect(again.kind == .notFound)
        #expect(!again.message.contains("Erase.Me"))
        // By subject id, again: said to be done, nothing appended.
        let bySubject = try service.erase(.subject(subject))
        #expect(bySubject.erased.map(\.position) == [nil])
        #expect(try count("SELECT count(*) AS n FROM vigil.events WHERE event_type = 'SubjectErased'") == 3)
        let unknown = try #require(throws: VigilError.self) { _ = try service.erase(.subject(UUID().uuidString)) }
        #expect(unknown.kind == .notFound)
        // Erased, the person may sign again: the vault no longer knows them.
        _ = try sign("forget", .email(email), country: "KR", service)
    }

    @Test("a signature written under 0025's shape (its foreign key checked at commit) survives 0031 and is erased whole")
    func erasureOfAnOldSubject() throws {
        let database = try TestDatabase.create("vault_old", through: "0029")
        let service = VigilService(conninfo: "dbname=\(database)", masterKey: key)
        try openPetition("old", service)
        let signed = try sign("old", .email("old.signer@example.org"), country: "KR", consent: true, service)
        let subject = try #require(signed.events.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any] }?["subjectId"] as? String)
        let owner = try TestDatabase.connect(database)
        try Migrator(directory: TestDatabase.schemaDirectory).migrate(owner)
        #expect(try owner.query("SELECT count(*) AS n FROM pg_constraint WHERE conrelid = 'vault.signatures'::regclass AND contype = 'f'")[0].int("n") == 0)
        #expect(try service.consentingSigners("old").map(\.email) == ["old.signer@example.org"])
        let erased = try service.erase(.subject(subject))
        #expect(erased.erased.map(\.subjectId) == [subject])
        for table in ["vault.signatures", "vault.subjects"] {
            #expect(try owner.query("SELECT count(*) AS n FROM \(unescaped: table)")[0].int("n") == 0)
        }
    }

    @Test("rotation re-wraps every key without touching a sealed value; then only the new key opens the vault")
    func rotation() throws {
        let service = service()
        try openPetition("rotate", service)
        _ = try sign("rotate", .email("kept@example.org"), country: "KR", consent: true, service)
        let sealedBefore = try owner().query("SELECT encode(sealed, 'hex') AS s, encode(wrapped_key, 'hex') AS w FROM vault.subjects")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rotate-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let newPath = folder.appendingPathComponent("new.key").path
        let newId = try VigilService.makeMasterKey(at: newPath)
        let outcome = try service.rotateMasterKey(to: newPath)
        #expect(outcome.rewrapped == 2)  // the petition's key and the signer's data key
        #expect(outcome.to == newId)
        let sealedAfter = try owner().query("SELECT encode(sealed, 'hex') AS s, encode(wrapped_key, 'hex') AS w FROM vault.subjects")
        #expect(try sealedAfter[0].string("s") == sealedBefore[0].string("s"))
        #expect(try sealedAfter[0].string("w") != sealedBefore[0].string("w"))
        // A retry of the finished rotation re-wraps nothing.
        #expect(try service.rotateMasterKey(to: newPath).rewrapped == 0)
        let newKey = try MasterKey.load(from: newPath)
        #expect(try self.service(newKey).consentingSigners("rotate") == [SignerRecord(email: "kept@example.org", country: "KR")])
        let old = try #require(throws: VigilError.self) { _ = try sign("rotate", .email("late@example.org"), country: nil, self.service()) }
        #expect(old.kind == .keyMissing)
        _ = try sign("rotate", .email("late@example.org"), country: nil, self.service(newKey))
    }
}

@Suite("Organisers' notes and people's names: sealed in the vault, referenced from the log")
struct SealedFieldTests {
    let database: String
    init() throws { database = try TestDatabase.create("sealed") }

    @Test("a note and an organiser's name go to the vault; the log holds references; an organiser opens them; an erasure forgets one")
    func notesSealed() throws {
        let key = MasterKey()
        let service = VigilService(conninfo: "dbname=\(database)", masterKey: key)
        _ = try service.handle(.mission(.register(RegisterMission(
            missionId: "prc-embassy-seoul", name: "Embassy of the PRC", sendingState: "CN", kind: .embassy, city: "Seoul",
            country: "KR", timeZone: "Asia/Seoul"))))
        _ = try service.handle(.gathering(.schedule(ScheduleGathering(
            gatheringId: "seoul-vigil", missionId: "prc-embassy-seoul", kind: .vigil, localStart: "2026-11-01 18:00",
            organiser: "Park Organiser"))))
        let held = try service.handle(.gathering(.recordHeld(RecordGatheringHeld(gatheringId: "seoul-vigil", reportedAttendance: 40, notes: "Kim Witness spoke"))))
        let data = try #require(held.events.first?.data)
        #expect(!data.contains("Kim Witness"))
        let owner = try TestDatabase.connect(database)
        #expect(try owner.query("SELECT count(*) AS n FROM vigil.events WHERE data::text ILIKE '%witness%' OR data::text ILIKE '%park organiser%'")[0].int("n") == 0)
        #expect(try owner.query("SELECT kind, count(*) AS n FROM vault.subjects GROUP BY kind ORDER BY kind").map { try $0.string("kind") } == ["organiser", "restricted"])

        let replayed = String(decoding: try service.replay(.gathering, id: "seoul-vigil", position: Int64.max).json(), as: UTF8.self)
        #expect(!replayed.contains("Kim Witness"))
        let organiserView = try service.reveal(replayed, level: .organiser)
        #expect(organiserView.contains("Kim Witness spoke") && !organiserView.contains("Park Organiser"))
        #expect(try service.reveal(replayed, level: .restricted).contains("Park Organiser"))
        // Without the master key nothing opens, and the error says what is missing.
        let locked = try #require(throws: VigilError.self) {
            _ = try VigilService(conninfo: "dbname=\(database)", environment: [:]).reveal(replayed, level: .organiser)
        }
        #expect(locked.kind == .keyMissing)

        // The note is erased by its subject id: gone from the vault, the figures and the chain as they were.
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])["notes"] as? String
        let subject = try #require(reference.flatMap(EventFields.subject(ofReference:)))
        let erased = try service.erase(.subject(subject))
        #expect(erased.erased.map(\.kind) == [.organiser])
        #expect(try service.reveal(replayed, level: .organiser).contains("[erased]"))
        #expect(try service.verify().holds)
    }
}
