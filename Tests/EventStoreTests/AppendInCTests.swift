import EventStore
import Foundation
import PostgresClient
import Testing
import VigilAudit
import VigilTestSupport

/// vigil.append is in C for its common case (migration 0036, schema/library/vigil_append.c) and hands
/// everything else to the PL/pgSQL function it replaced, vigil.append_general. These tests hold the C path
/// to the PL/pgSQL one: the same rows, hashes that verify recomputes, the same locks, and nothing written
/// around what the tables would otherwise run.
@Suite("The append in C")
struct AppendInCTests {
    let database: String

    init() throws {
        database = try TestDatabase.create("appendc")
    }

    func store() throws -> EventStore { EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer")) }

    /// Payloads that exercise the canonical text: escapes, control characters, non-ASCII text, numbers
    /// jsonb keeps as written, nesting, scalars, null, empty containers.
    static let payloads = [
        #"{"name": "주중 대사관", "quote": "he said \"no\"\\", "tab": "a\tb", "nul": "\u0001\u001f"}"#,
        #"{"big": 123456789012345678901234567890, "exp": 1e-7, "neg": -0.5, "frac": 1.50}"#,
        #"{"nested": {"z": [1, {"a": null}], "a": []}, "empty": {}}"#,
        #""just a string""#, "42", "null", "[]", "true",
        #"{"emoji": "🕯️", "slash": "a/b", "bidi": "\u202e"}"#,
    ]

    @Test("the C path and the PL/pgSQL rest write the same rows, and verify recomputes every hash")
    func samesRowsAsPLpgSQL() throws {
        let store = try store()
        let owner = try TestDatabase.connect(database)
        for (i, payload) in Self.payloads.enumerated() {
            for (path, function) in [("c", "vigil.append"), ("g", "vigil.append_general")] {
                for version in 1...2 {
                    let command = UUID().uuidString
                    let id = CommandEventId.derive(commandId: command, index: 0).uuidString.lowercased()
                    let events = #"[{"id": "\#(id)", "type": "Tested", "schemaVersion": \#(version), "data": \#(payload)}]"#
                    // The PL/pgSQL rest is called as its owner would be (nobody else may run it).
                    let connection = path == "c" ? store.connection : owner
                    try connection.query(
                        """
                        SELECT * FROM \(unescaped: function)(\("\(path)-\(i)"), \(Int64(version - 1)), \(events)::jsonb,
                            \(#"{"login": "forged", "commandFingerprint": "forged", "note": "x"}"#)::jsonb, \(command), \("actor \"q\""),
                            \(UUID()), \(version == 2 ? UUID() : nil), \(PostgresBytes([1, 2])), '[]'::jsonb)
                        """)
                }
            }
        }
        let differ = try owner.query(
            """
            SELECT c.stream_id FROM vigil.events c JOIN vigil.events g
                ON g.stream_id = 'g' || substr(c.stream_id, 2) AND g.stream_version = c.stream_version
             WHERE c.stream_id LIKE 'c-%'
               AND (c.data::text <> g.data::text OR c.schema_version <> g.schema_version OR c.actor <> g.actor
                    OR c.metadata::text <> g.metadata::text OR c.hash_version <> g.hash_version
                    OR (c.causation_id IS NULL) <> (g.causation_id IS NULL))
            """)
        #expect(differ.count == 0)
        let rows = try owner.query("SELECT count(*) AS n FROM vigil.events WHERE stream_id ~ '^[cg]-'")
        #expect(try rows.first?.int64("n") == Int64(Self.payloads.count * 4))
        let chains = try EventStore(connection: owner).verifyChains()
        #expect(chains.firstBreak == nil)
        #expect(try owner.query("SELECT 1 FROM vigil.events WHERE metadata ->> 'login' = 'forged'").count == 0)
    }

    @Test("a long stream read from its expected version: each append chains on the head, and one behind or ahead of it is refused with the actual version")
    func longStreamHeads() throws {
        let store = try store()
        let stream = "petition-\(UUID())"
        // 700 events, one command each: the stream's index entries fill more than one page.
        var version: Int64 = 0
        for _ in 0..<700 {
            let expected: ExpectedVersion = version == 0 ? .noStream : .exact(version)
            version = try store.append(to: stream, expected: expected, events: [event()], metadata: meta()).version
        }
        #expect(version == 700)
        for stale in [Int64(699), 1, 701, 5_000] {
            #expect(throws: EventStoreError.wrongExpectedVersion(stream: stream, expected: .exact(stale), actual: 700)) {
                try store.append(to: stream, expected: .exact(stale), events: [event()], metadata: meta())
            }
        }
        #expect(throws: EventStoreError.wrongExpectedVersion(stream: stream, expected: .noStream, actual: 700)) {
            try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
        }
        #expect(try store.append(to: stream, expected: .exact(700), events: [event()], metadata: meta()).version == 701)
        #expect(try store.version(of: stream) == 701)
        #expect(try EventStore(connection: try TestDatabase.connect(database)).verifyChains().firstBreak == nil)
    }

    @Test("the library installed is built from this checkout's source, and verify knows that source's digest")
    func librarySource() throws {
        let source = TestDatabase.projectFolder.appendingPathComponent("schema/library/vigil_append.c")
        let (status, out) = try runProgram("/usr/bin/sha256sum", [source.path])
        #expect(status == 0)
        let digest = String(out.prefix(64))
        let owner = try TestDatabase.connect(database)
        #expect(try owner.query("SELECT vigil.library_source() AS s").first?.string("s") == digest)
        let guardName = "the server library vigil.append runs (vigil_append) was built from the source this binary knows"
        let holds = try EventStore(connection: owner).verifyGuards().first { $0.name == guardName }?.holds
        // A change to vigil_append.c needs its new digest in EventStore+Verify.swift (LogGuards.librarySource).
        #expect(holds == true, "LogGuards.librarySource must now be \(digest)")
    }

    @Test("two appends to one stream in one transaction: the second sees the first")
    func twoInOneTransaction() throws {
        let store = try store()
        let stream = "mission-\(UUID())"
        try store.connection.withTransaction {
            let first = try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
            let second = try store.append(to: stream, expected: .exact(1), events: [event()], metadata: meta())
            #expect(first.version == 1 && second.version == 2)
        }
        #expect(try store.readStream(stream).map(\.version) == [1, 2])
        #expect(try EventStore(connection: try TestDatabase.connect(database)).verifyChains().firstBreak == nil)
    }

    @Test("a stream's lock held elsewhere: the append waits past the caller's own short lock_timeout, then leaves it as it was")
    func boundedLockWait() throws {
        let store = try store()
        let stream = "mission-\(UUID())"
        try store.connection.execute("SET lock_timeout = '100ms'")
        // Another session takes the stream's lock (0029's key), holds it 0.6 s, then commits.
        let taken = Locked(false)
        let released = Locked(false)
        let database = database
        let thread = Thread {
            guard let holder = try? TestDatabase.connect(database) else { return }
            try? holder.execute("BEGIN")
            _ = try? holder.query("SELECT pg_advisory_xact_lock(hashtextextended(\(stream), 0))")
            taken.withLock { $0 = true }
            Thread.sleep(forTimeInterval: 0.6)
            released.withLock { $0 = true }
            try? holder.execute("COMMIT")
        }
        thread.start()
        let deadline = Date().addingTimeInterval(10)
        while !taken.value && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(taken.value)
        let result = try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
        #expect(released.value)
        #expect(result.version == 1)
        #expect(try store.connection.query("SHOW lock_timeout").first?.text("lock_timeout") == "100ms")
    }

    @Test("an INSERT trigger put on the log by its owner: vigil.append refuses rather than write around it, and verify names it")
    func refusesToBypassTriggers() throws {
        let owner = try TestDatabase.connect(database)
        try owner.execute(
            """
            CREATE FUNCTION public.rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.data := '{"rewritten": true}'; RETURN NEW; END $$;
            CREATE TRIGGER rewrite BEFORE INSERT ON vigil.events FOR EACH ROW EXECUTE FUNCTION public.rewrite();
            """)
        let store = try store()
        let stream = "mission-\(UUID())"
        #expect(throws: PostgresError.self) {
            try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
        }
        do {
            try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
        } catch let error as PostgresError {
            #expect(error.message.contains("INSERT trigger"))
        }
        #expect(try store.version(of: stream) == 0)
        let failed = try EventStore(connection: owner).verifyGuards().filter { !$0.holds }.map(\.name)
        #expect(failed.contains("vigil.events has no trigger but events_append_only"))
    }

    @Test("the owner's rights are still checked: with INSERT on the log revoked from vigil_log_owner, nothing is appended")
    func ownerRightsChecked() throws {
        let owner = try TestDatabase.connect(database)
        try owner.execute("REVOKE INSERT ON vigil.events, vigil.commands FROM vigil_log_owner")
        let store = try store()
        let stream = "mission-\(UUID())"
        do {
            try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
            Issue.record("the append went in without the right to insert")
        } catch let error as PostgresError {
            #expect(error.message.contains("permission denied"), "\(error)")
        }
        #expect(try store.version(of: stream) == 0)
    }

    @Test("a column of the log turned into a domain with checks of its own: vigil.append refuses rather than skip them")
    func refusesDomains() throws {
        let owner = try TestDatabase.connect(database)
        try owner.execute(
            """
            CREATE DOMAIN public.short_bytes AS bytea CHECK (length(VALUE) <= 8);
            -- vigil.event_canonical(vigil.events) holds on to the row type: the owner takes it out and puts it back.
            DO $$
            DECLARE
                canonical text := pg_get_functiondef('vigil.event_canonical(vigil.events)'::regprocedure);
            BEGIN
                DROP FUNCTION vigil.event_canonical(vigil.events);
                ALTER TABLE vigil.events ALTER COLUMN hash TYPE public.short_bytes;
                EXECUTE canonical;
            END
            $$;
            """)
        let store = try store()
        let stream = "mission-\(UUID())"  // its hash is 32 bytes, which the domain's check refuses
        do {
            try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
            Issue.record("the append wrote around the domain's check")
        } catch let error as PostgresError {
            #expect(error.message.contains("not of the type"), "\(error)")
        }
        #expect(try store.version(of: stream) == 0)
    }

    @Test("a stream at the largest version cannot wrap around: the append is refused, not written at a negative version")
    func versionOverflow() throws {
        let owner = try TestDatabase.connect(database)
        let stream = "mission-\(UUID())"
        // Only the owner could put such a row there, behind the function's back.
        try owner.execute(
            """
            INSERT INTO vigil.events (stream_id, stream_version, event_id, event_type, data, metadata, command_id, actor, hash, hash_version)
            VALUES ('\(stream)', 9223372036854775807, gen_random_uuid(), 'T', '{}', '{}', 'seed', 'x', '\\x', 2)
            """)
        let store = try store()
        #expect(throws: PostgresError.self) {
            try store.append(to: stream, expected: .exact(Int64.max), events: [event()], metadata: meta())
        }
        let rows = try owner.query("SELECT count(*) AS n FROM vigil.events WHERE stream_id = \(stream) AND stream_version < 1")
        #expect(try rows.first?.int64("n") == 0)
    }

    @Test("the rows' type with its attributes renamed (values swapped for callers reading by name): vigil.append refuses and verify names it")
    func resultTypeRenamed() throws {
        let owner = try TestDatabase.connect(database)
        try owner.execute(
            """
            ALTER TYPE vigil.appended RENAME ATTRIBUTE global_position TO tmp;
            ALTER TYPE vigil.appended RENAME ATTRIBUTE stream_version TO global_position;
            ALTER TYPE vigil.appended RENAME ATTRIBUTE tmp TO stream_version;
            """)
        let store = try store()
        #expect(throws: PostgresError.self) {
            try store.append(to: "mission-\(UUID())", expected: .noStream, events: [event()], metadata: meta())
        }
        let failed = try EventStore(connection: owner).verifyGuards().filter { !$0.holds }.map(\.name)
        #expect(failed.contains("vigil.appended, the rows vigil.append returns, is (global_position bigint, stream_version bigint, transaction_id xid8)"))
        #expect(try owner.query("SELECT pg_get_userbyid(typowner) AS o FROM pg_type WHERE oid = 'vigil.appended'::regtype").first?.string("o") != "vigil_log_owner")
    }

    // MARK: A command's record is its first event (0037)

    /// Command ids that exercise the id's derivation: non-ASCII, quotes, the separator itself, a long one.
    static let commandIds = ["k", "héllo wörld", "quote'\"\\", "line\nbreak", "🕯️ vigil", String(repeating: "x", count: 500)]

    @Test("a command's event ids are the same in Swift and in the server library (called from SQL), and the C path takes them")
    func eventIdsAgree() throws {
        let owner = try TestDatabase.connect(database)
        for (i, command) in Self.commandIds.enumerated() {
            let swift = (0..<3).map { CommandEventId.derive(commandId: command, index: $0) }
            let sql = try owner.query(
                "SELECT vigil.command_event_id(\(command), n) AS id FROM generate_series(0, 2) n ORDER BY n"
            ).map { try $0.string("id") }
            #expect(sql == swift.map { $0.uuidString.lowercased() }, "\(command)")
            #expect(swift.allSatisfy(CommandEventId.isDerived))
            // In one transaction with function calls counted: vigil.append in C calls the PL/pgSQL rest only
            // when its common case does not hold, which an id it derived otherwise would make happen.
            try owner.withTransaction {
                try owner.execute("SET LOCAL track_functions = 'all'")
                let general = "vigil.append_general(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb)"
                func generalCalls() throws -> Int64? {
                    try owner.query("SELECT coalesce(pg_stat_get_xact_function_calls(\(general)::regprocedure), 0) AS n").first?.int64("n")
                }
                // Counts not yet reported stay with the session after a commit: compared, not read alone.
                let before = try generalCalls()
                let events = #"[{"id": "\#(swift[0].uuidString.lowercased())", "type": "T", "data": {}}]"#
                try owner.query("SELECT * FROM vigil.append(\("ids-\(i)"), 0, \(events)::jsonb, '{}', \(command), 'test', NULL, NULL)")
                let afterOne = try generalCalls()
                #expect(afterOne == before, "the C path took \(command)")
                // Two events go to the PL/pgSQL rest, and are counted (so the count above could have failed).
                let ids = (0..<2).map { CommandEventId.derive(commandId: command + "/2", index: $0) }
                let two = #"[{"id": "\#(ids[0])", "type": "T", "data": {}}, {"id": "\#(ids[1])", "type": "T", "data": {}}]"#
                try owner.query("SELECT * FROM vigil.append(\("ids2-\(i)"), 0, \(two)::jsonb, '{}', \(command + "/2"), 'test', NULL, NULL)")
                let afterTwo = try generalCalls()
                #expect(afterTwo == afterOne.map { $0 + 1 })
            }
        }
    }

    @Test("a database that is not UTF-8 is refused by migrate, naming the encoding, with nothing created")
    func refusesLatin1() throws {
        let prefix = ProcessInfo.processInfo.environment["VIGIL_TEST_DATABASE_PREFIX"] ?? "vigil_test_local"
        let latin1 = "\(prefix)_latin1_\(UInt32.random(in: 0..<UInt32.max))"
        let admin = try Connection(conninfo: "dbname=postgres")
        try admin.execute(
            "CREATE DATABASE \(try admin.quoteIdentifier(latin1)) ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(try admin.quoteIdentifier(latin1))") }
        let owner = try TestDatabase.connect(latin1)
        do {
            _ = try Migrator(directory: TestDatabase.schemaDirectory).migrate(owner)
            Issue.record("a LATIN1 database was migrated")
        } catch let error as PostgresError {
            #expect(error.message.contains("encoding is LATIN1, and Vigil needs UTF8"), "\(error)")
        }
        #expect(try owner.query("SELECT to_regnamespace('vigil') IS NULL AS none").first?.bool("none") == true)
        owner.close()
    }

    @Test("an event whose id is not the one its command gives it is refused on both paths, naming the id, and nothing is appended")
    func foreignIdRefused() throws {
        let writer = try store().connection
        let before = try writer.query("SELECT count(*) AS n FROM vigil.events").first?.int64("n")
        for events in [
            #"[{"id": "\#(UUID())", "type": "T", "data": {}}]"#,
            #"[{"id": "\#(CommandEventId.derive(commandId: "other", index: 0))", "type": "T", "data": {}}]"#,
            #"[{"id": "\#(CommandEventId.derive(commandId: "mine", index: 0))", "type": "T", "data": {}}, {"id": "\#(UUID())", "type": "T", "data": {}}]"#,
        ] {
            do {
                try writer.query("SELECT * FROM vigil.append('ids-s', NULL, \(events)::jsonb, '{}', 'mine', 'test', NULL, NULL)")
                Issue.record("an id the command does not give was taken: \(events)")
            } catch let error as PostgresError {
                #expect(error.sqlState?.code == "22023", "\(error)")
                #expect(error.message.contains("must have the id"), "\(error)")
            }
        }
        #expect(try writer.query("SELECT count(*) AS n FROM vigil.events").first?.int64("n") == before)
    }

    @Test("a command recorded before 0037 in vigil.commands is still answered with its first outcome, or refused under another fingerprint, on the C path")
    func recordedBefore0037() throws {
        let old = try TestDatabase.create("appendc_old", through: "0036")
        let writer = try TestDatabase.connect(old, as: "vigil_writer")
        let events = #"[{"id": "\#(UUID())", "type": "T", "data": {}}]"#
        try writer.query(
            "SELECT * FROM vigil.append('mission-old', NULL, \(events)::jsonb, '{}', 'old-1', 'test', NULL, NULL, \(PostgresBytes([0x0a, 0x0b])))")
        try Migrator(directory: TestDatabase.schemaDirectory).migrate(try TestDatabase.connect(old))
        let store = EventStore(connection: writer)
        let again = { (fingerprint: [UInt8]?) in
            try store.append(to: "mission-other", expected: .noStream, events: [event()],
                             metadata: EventMetadata(commandId: "old-1", actor: "test"), fingerprint: fingerprint)
        }
        do {
            _ = try again([0x0a, 0x0b])
            Issue.record("a command handled before 0037 was appended again")
        } catch EventStoreError.duplicateCommand(let command, let first) {
            #expect(command == "old-1")
            #expect(first.streamId == "mission-old")
            #expect(first.events.map(\.version) == [1])
        }
        #expect(throws: EventStoreError.keyReused(commandId: "old-1")) { try again([0x0c]) }
        #expect(try store.version(of: "mission-other") == 0)
        #expect(try store.wasHandled("old-1", fingerprint: [0x0a, 0x0b]))
        #expect(try store.events(ofCommand: "old-1").map(\.streamId) == ["mission-old"])
        let chains = try EventStore(connection: try TestDatabase.connect(old)).verifyChains()
        #expect(chains.firstBreak == nil)
    }

    @Test("a command since 0037: answered with its first outcome from its events, refused under another fingerprint, and a caller's own fingerprint in metadata is not kept")
    func handledSince0037() throws {
        let store = try store()
        let first = try store.append(to: "mission-new", expected: .noStream, events: [event(), event()],
                                     metadata: EventMetadata(commandId: "new-1", actor: "test", extra: ["commandFingerprint": "0a0b", "commandEvents": "9"]),
                                     fingerprint: [1, 2])
        for stream in ["mission-new", "mission-elsewhere"] {
            do {
                _ = try store.append(to: stream, expected: .any, events: [event()],
                                     metadata: EventMetadata(commandId: "new-1", actor: "test"), fingerprint: [1, 2])
                Issue.record("a handled command was appended again")
            } catch EventStoreError.duplicateCommand(_, let answer) {
                #expect(answer == first)
            }
        }
        #expect(throws: EventStoreError.keyReused(commandId: "new-1")) {
            try store.append(to: "mission-new", expected: .any, events: [event()],
                             metadata: EventMetadata(commandId: "new-1", actor: "test"), fingerprint: [3])
        }
        #expect(throws: EventStoreError.keyReused(commandId: "new-1")) { try store.wasHandled("new-1", fingerprint: nil) }
        #expect(try store.wasHandled("new-1", fingerprint: [1, 2]))
        #expect(try !store.wasHandled("new-2", fingerprint: nil))
        let events = try store.events(ofCommand: "new-1")
        #expect(events.map(\.version) == [1, 2])
        // The fingerprint and the count on the first event only; the caller's own keys of those names dropped.
        #expect(events.first?.metadata.contains(#""commandFingerprint": "0102""#) == true, "\(events.map(\.metadata))")
        #expect(events.first?.metadata.contains(#""commandEvents": 2"#) == true, "\(events.map(\.metadata))")
        #expect(events.last.map { !$0.metadata.contains("commandFingerprint") && !$0.metadata.contains("commandEvents") } == true)
        #expect(try store.version(of: "mission-elsewhere") == 0)
    }
}
