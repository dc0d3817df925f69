import EventStore
import Foundation
import PostgresClient
import Testing
import VigilTestSupport

func event(_ type: String = "Happened", _ json: String = "{\"n\": 1}") -> NewEvent {
    NewEvent(type: type, data: json)
}

func meta(_ command: String = UUID().uuidString) -> EventMetadata {
    EventMetadata(commandId: command, actor: "test")
}

@Suite("Event store")
struct EventStoreTests {
    let database: String

    init() throws {
        database = try TestDatabase.create("store")
    }

    func store() throws -> EventStore { EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer")) }

    @Test("appended events read back in order, with their payload and metadata")
    func roundTrip() throws {
        let store = try store()
        let stream = "mission-\(UUID())"
        let first = try store.append(
            to: stream, expected: .noStream,
            events: [event("MissionRegistered", "{\"name\": \"주중 대사관\", \"n\": 1}"), event("MissionClosed")],
            metadata: meta("cmd-\(stream)"))
        #expect(first.version == 2)
        #expect(first.events.map(\.version) == [1, 2])
        #expect(first.events[1].position > first.events[0].position)
        let second = try store.append(to: stream, expected: .exact(2), events: [event()], metadata: meta())
        #expect(second.version == 3)

        let read = try store.readStream(stream)
        #expect(read.map(\.type) == ["MissionRegistered", "MissionClosed", "Happened"])
        #expect(read.map(\.version) == [1, 2, 3])
        #expect(read[0].data.contains("주중 대사관"))
        #expect(read[0].commandId == "cmd-\(stream)")
        #expect(read[0].actor == "test")
        #expect(try store.readStream(stream, from: 3).map(\.version) == [3])
        #expect(try store.version(of: stream) == 3)
        #expect(try store.version(of: "no-such-stream") == 0)
    }

    @Test("a stream longer than one page is read whole, in order")
    func longStream() throws {
        let store = try store()
        let stream = "petition-long-\(UUID())"
        let events = (1...10_050).map { event("SignatureRecorded", "{\"n\": \($0)}") }
        try store.append(to: stream, expected: .noStream, events: events, metadata: meta())
        let read = try store.readStream(stream)
        #expect(read.count == 10_050)
        #expect(read.map(\.version) == Array(1...10_050))
        #expect(try store.readStream(stream, from: 10_001, pageSize: 7).count == 50)
    }

    @Test("a wrong expected version throws the typed error and appends nothing")
    func wrongExpectedVersion() throws {
        let store = try store()
        let stream = "gathering-\(UUID())"
        try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
        let before = try store.eventCount()
        #expect(throws: EventStoreError.wrongExpectedVersion(stream: stream, expected: .exact(5), actual: 1)) {
            try store.append(to: stream, expected: .exact(5), events: [event()], metadata: meta())
        }
        #expect(throws: EventStoreError.wrongExpectedVersion(stream: stream, expected: .noStream, actual: 1)) {
            try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
        }
        #expect(throws: EventStoreError.wrongExpectedVersion(stream: "\(stream)-new", expected: .exact(1), actual: 0)) {
            try store.append(to: "\(stream)-new", expected: .exact(1), events: [event()], metadata: meta())
        }
        #expect(try store.eventCount() == before)
        #expect(try store.version(of: "\(stream)-new") == 0)
    }

    @Test("a refused append draws no position, so it leaves no gap in the log")
    func noGapAfterRefusal() throws {
        let store = EventStore(connection: try TestDatabase.connect(try TestDatabase.create("gap"), as: "vigil_writer"))
        let first = try store.append(to: "s", expected: .noStream, events: [event()], metadata: meta("a"))
        for _ in 0..<3 {
            #expect(throws: EventStoreError.self) {
                try store.append(to: "s", expected: .exact(7), events: [event()], metadata: meta())
            }
        }
        #expect(throws: EventStoreError.self) { try store.append(to: "s", expected: .any, events: [event()], metadata: meta("a")) }
        let next = try store.append(to: "s", expected: .exact(1), events: [event()], metadata: meta())
        #expect(next.events[0].position == first.events[0].position + 1)
    }

    @Test("a repeated command id returns the first result and appends nothing")
    func duplicateCommand() throws {
        let store = try store()
        let stream = "petition-\(UUID())"
        let command = "key-\(UUID())"
        let first = try store.append(to: stream, expected: .noStream, events: [event(), event()], metadata: meta(command))
        let before = try store.eventCount()
        let error = try #require(throws: EventStoreError.self) {
            try store.append(to: stream, expected: .exact(2), events: [event()], metadata: meta(command))
        }
        #expect(error == .duplicateCommand(commandId: command, first: first))
        // Even against another stream, or with .any: the command was handled.
        #expect(throws: EventStoreError.duplicateCommand(commandId: command, first: first)) {
            try store.append(to: "\(stream)-other", expected: .any, events: [event()], metadata: meta(command))
        }
        #expect(try store.eventCount() == before)
        #expect(try store.version(of: "\(stream)-other") == 0)
    }

    @Test("inside the caller's transaction, a repeated command is refused as a duplicate with its first result, and the transaction goes on")
    func duplicateInsideTransaction() throws {
        let store = try store()
        let stream = "gathering-\(UUID())"
        let command = "key-\(UUID())"
        let first = try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta(command))
        let outcome = try store.connection.withTransaction { () -> EventStoreError? in
            defer { _ = try? store.append(to: "\(stream)-after", expected: .noStream, events: [event()], metadata: meta()) }
            do {
                try store.append(to: "\(stream)-other", expected: .any, events: [event()], metadata: meta(command))
                return nil
            } catch let error as EventStoreError {
                return error
            }
        }
        #expect(outcome == .duplicateCommand(commandId: command, first: first))
        // The append after the refusal, in the same transaction, went in.
        #expect(try store.version(of: "\(stream)-after") == 1)
        #expect(try store.version(of: "\(stream)-other") == 0)
    }

    @Test("a command id with the same fingerprint is a duplicate; with another fingerprint the key was reused")
    func fingerprints() throws {
        let store = try store()
        let stream = "gathering-\(UUID())"
        let command = "key-\(UUID())"
        let a: [UInt8] = Array(repeating: 0xA1, count: 32)
        let b: [UInt8] = Array(repeating: 0xB2, count: 32)
        let first = try store.append(to: stream, expected: .noStream, events: [event()], metadata: meta(command), fingerprint: a)
        let before = try store.eventCount()
        #expect(throws: EventStoreError.duplicateCommand(commandId: command, first: first)) {
            try store.append(to: stream, expected: .exact(1), events: [event()], metadata: meta(command), fingerprint: a)
        }
        for other in [b, nil] {
            #expect(throws: EventStoreError.keyReused(commandId: command)) {
                try store.append(to: stream, expected: .exact(1), events: [event()], metadata: meta(command), fingerprint: other)
            }
        }
        // Without a fingerprint (older callers), nil matches only nil.
        let plain = "plain-\(UUID())"
        let firstPlain = try store.append(to: "\(stream)-p", expected: .noStream, events: [event()], metadata: meta(plain))
        #expect(throws: EventStoreError.duplicateCommand(commandId: plain, first: firstPlain)) {
            try store.append(to: "\(stream)-p", expected: .any, events: [event()], metadata: meta(plain))
        }
        #expect(throws: EventStoreError.keyReused(commandId: plain)) {
            try store.append(to: "\(stream)-p", expected: .any, events: [event()], metadata: meta(plain), fingerprint: a)
        }
        #expect(try store.eventCount() == before + 1)
    }

    @Test("an append conditioned on other streams is refused, naming the stream, when one of them moved")
    func conditions() throws {
        let store = try store()
        let mission = "mission-\(UUID())"
        let gathering = "gathering-\(UUID())"
        try store.append(to: mission, expected: .noStream, events: [event()], metadata: meta())
        let read = [StreamCondition(stream: mission, version: 1), StreamCondition(stream: "\(mission)-none", version: 0)]
        try store.append(to: gathering, expected: .noStream, events: [event()], metadata: meta(), conditions: read)
        try store.append(to: mission, expected: .exact(1), events: [event()], metadata: meta())
        let before = try store.eventCount()
        #expect(throws: EventStoreError.wrongExpectedVersion(stream: mission, expected: .exact(1), actual: 2)) {
            try store.append(to: gathering, expected: .exact(1), events: [event()], metadata: meta(), conditions: read)
        }
        #expect(throws: EventStoreError.wrongExpectedVersion(stream: mission, expected: .noStream, actual: 2)) {
            try store.append(to: gathering, expected: .exact(1), events: [event()], metadata: meta(),
                             conditions: [StreamCondition(stream: mission, version: 0)])
        }
        // The stream the append goes to may be a condition as well; it is then one more expected version.
        try store.append(to: gathering, expected: .any, events: [event()], metadata: meta(),
                         conditions: [StreamCondition(stream: mission, version: 2), StreamCondition(stream: gathering, version: 1)])
        #expect(try store.eventCount() == before + 1)
    }

    @Test("appends conditioned on stream A race appends that move A: a conditioned append that succeeds committed before A moved")
    func conditionRace() throws {
        let database = self.database
        let rounds = 30
        let conditioned = 3
        for round in 0..<rounds {
            let a = "mission-race-\(round)-\(UUID())"
            let setup = try store()
            try setup.append(to: a, expected: .noStream, events: [event()], metadata: meta())
            let outcomes = Locked<[(mover: Bool, transaction: UInt64?)]>([])
            let ready = Locked(0)
            try onThreads(conditioned + 1) { i in
                let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
                // All connected, then all at once.
                ready.withLock { $0 += 1 }
                while ready.value < conditioned + 1 { usleep(100) }
                if i == conditioned {
                    let moved = try store.append(to: a, expected: .exact(1), events: [event()], metadata: meta())
                    outcomes.withLock { $0.append((true, moved.transactionId)) }
                    return
                }
                do {
                    let result = try store.append(
                        to: "gathering-race-\(round)-\(i)-\(UUID())", expected: .noStream, events: [event()], metadata: meta(),
                        conditions: [StreamCondition(stream: a, version: 1)])
                    outcomes.withLock { $0.append((false, result.transactionId)) }
                } catch EventStoreError.wrongExpectedVersion(let stream, _, let actual) {
                    #expect(stream == a && actual == 2)
                    outcomes.withLock { $0.append((false, nil)) }
                }
            }
            let mover = try #require(outcomes.value.first { $0.mover }?.transaction)
            for outcome in outcomes.value where !outcome.mover {
                if let transaction = outcome.transaction {
                    // It held A's lock shared until it committed; the mover took it exclusively after, so
                    // its transaction id (drawn once the locks are held) is the larger one.
                    #expect(transaction < mover, "round \(round): a conditioned append committed after A moved")
                }
            }
        }
    }

    @Test("a conditioned append holds the condition's stream until it commits; a move waits, then one that went first refuses it")
    func conditionLocks() throws {
        let mission = "mission-lock-\(UUID())"
        let writer = try store()
        try writer.append(to: mission, expected: .noStream, events: [event()], metadata: meta())
        let open = try TestDatabase.connect(database, as: "vigil_writer")
        try open.execute("BEGIN")
        try EventStore(connection: open).append(
            to: "gathering-lock-\(UUID())", expected: .noStream, events: [event()], metadata: meta(),
            conditions: [StreamCondition(stream: mission, version: 1)])
        let mover = try TestDatabase.connect(database, as: "vigil_writer")
        try mover.execute("SET lock_timeout = '300ms'")
        let waited = try #require(throws: PostgresError.self) {
            try EventStore(connection: mover).append(to: mission, expected: .exact(1), events: [event()], metadata: meta())
        }
        #expect(waited.sqlState?.code == "55P03", "\(waited)")
        try open.execute("COMMIT")
        try EventStore(connection: mover).append(to: mission, expected: .exact(1), events: [event()], metadata: meta())

        // The other way round: the move is open; the conditioned append waits for it, then is refused.
        let database = self.database
        let moving = Locked(false)
        let refused = Locked<EventStoreError?>(nil)
        try onThreads(2) { i in
            let connection = try TestDatabase.connect(database, as: "vigil_writer")
            if i == 0 {
                try connection.execute("BEGIN")
                try EventStore(connection: connection).append(to: mission, expected: .exact(2), events: [event()], metadata: meta())
                moving.withLock { $0 = true }
                usleep(300_000)
                try connection.execute("COMMIT")
                return
            }
            while !moving.value { usleep(1_000) }
            do {
                try EventStore(connection: connection).append(
                    to: "gathering-lock-\(UUID())", expected: .noStream, events: [event()], metadata: meta(),
                    conditions: [StreamCondition(stream: mission, version: 2)])
            } catch let error as EventStoreError { refused.withLock { $0 = error } }
        }
        #expect(refused.value == .wrongExpectedVersion(stream: mission, expected: .exact(2), actual: 3))
    }

    @Test("events appended before the hash covered the position keep their formula and verify, before and after new ones")
    func oldFormula() throws {
        let name = "vigil_test_old_\(UInt32.random(in: 0..<UInt32.max))"
        let prefix = ProcessInfo.processInfo.environment["VIGIL_TEST_DATABASE_PREFIX"] ?? "vigil_test_local"
        let database = "\(prefix)_\(name)"
        let admin = try Connection(conninfo: "dbname=postgres")
        try admin.execute("CREATE DATABASE \(try admin.quoteIdentifier(database))")
        let owner = try TestDatabase.connect(database)
        let all = try Migrator(directory: TestDatabase.schemaDirectory).migrations()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-old-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for migration in all where migration.version <= "0012" {
            try migration.sql.write(to: folder.appendingPathComponent(migration.name), atomically: true, encoding: .utf8)
        }
        try Migrator(directory: folder).migrate(owner)
        for i in 0..<3 {
            try owner.query(
                """
                SELECT * FROM vigil.append('old-a', NULL, \("[{\"id\": \"\(UUID())\", \"type\": \"T\", \"data\": {\"i\": \(i)}}]")::jsonb,
                                           '{}', \("old-\(i)"), 'test', NULL, NULL)
                """)
        }
        try Migrator(directory: TestDatabase.schemaDirectory).migrate(owner)
        let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        try store.append(to: "old-a", expected: .exact(3), events: [event(), event()], metadata: meta())
        let report = try store.verifyChains()
        #expect(report.holds, "\(String(describing: report.firstBreak))")
        #expect(report.events == 5)
        let formulas = try owner.query("SELECT hash_version FROM vigil.events ORDER BY global_position").map { try $0.int("hash_version") }
        #expect(formulas == [1, 1, 1, 2, 2])
        // One expression gives every event's canonical text, old formula or new; the position is in the new only.
        let canonical = try owner.query("SELECT vigil.event_canonical(e) AS c FROM vigil.events e ORDER BY e.global_position")
            .map { try $0.string("c") }
        #expect(canonical[0].hasPrefix("[\"old-a\", 1, "))
        #expect(canonical[3].hasPrefix("[4, \"old-a\", 4, "))
    }

    @Test("the same command sent on two connections at once is appended exactly once")
    func concurrentDuplicate() throws {
        let database = self.database
        let stream = "campaign-\(UUID())"
        let command = "race-\(UUID())"
        let outcomes = Locked<[String]>([])
        try onThreads(6) { _ in
            let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
            do {
                try store.append(to: stream, expected: .any, events: [event()], metadata: meta(command))
                outcomes.withLock { $0.append("appended") }
            } catch EventStoreError.duplicateCommand(_, let first) {
                #expect(first.version == 1)
                outcomes.withLock { $0.append("duplicate") }
            }
        }
        #expect(outcomes.value.filter { $0 == "appended" }.count == 1)
        #expect(outcomes.value.filter { $0 == "duplicate" }.count == 5)
        #expect(try self.store().readStream(stream).count == 1)
    }

    @Test("readAll does not pass an open transaction's event, then returns both events once")
    func commitOrder() throws {
        let t1 = try TestDatabase.connect(database, as: "vigil_writer")
        let t2 = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        let reader = try store()
        var checkpoint = Checkpoint.start
        while true {
            let batch = try reader.readAll(after: checkpoint, limit: 1_000)
            guard let last = batch.last else { break }
            checkpoint = last.checkpoint
        }
        let s1 = "t1-\(UUID())"
        let s2 = "t2-\(UUID())"
        try t1.execute("BEGIN")
        try EventStore(connection: t1).append(to: s1, expected: .noStream, events: [event()], metadata: meta())
        let second = try t2.append(to: s2, expected: .noStream, events: [event()], metadata: meta())
        // T2 committed with a larger position than T1's, but T1 is still open: nothing may be returned past it.
        let mine: ([RecordedEvent]) -> [RecordedEvent] = { $0.filter { [s1, s2].contains($0.streamId) } }
        #expect(mine(try reader.readAll(after: checkpoint, limit: 100_000)).isEmpty)
        #expect(try reader.connection.query("SELECT count(*) AS n FROM vigil.events WHERE global_position = \(second.events[0].position)")[0].int("n") == 1)
        try t1.execute("COMMIT")
        var seen: [String] = []
        // Up to 20 s: snapshots are cluster-wide, so another suite's open transaction can hold the horizon.
        for _ in 0..<2_000 {
            let batch = try reader.readAll(after: checkpoint)
            seen += mine(batch).map(\.streamId)
            if let last = batch.last { checkpoint = last.checkpoint }
            if seen.count >= 2 { break }
            usleep(10_000)
        }
        #expect(Set(seen) == [s1, s2])
        #expect(seen.count == 2)
        #expect(mine(try reader.readAll(after: checkpoint, limit: 100_000)).isEmpty)
    }

    @Test("8 writers × 2,000 appends: a follower sees every event exactly once")
    func concurrentWritersAndFollower() throws {
        let database = self.database
        let writers = 8
        let perWriter = 2_000
        let tag = UUID().uuidString.prefix(8)
        let appended = Locked<[Int64]>([])
        let writing = Locked(writers)
        let seen = Locked<[Int64]>([])
        try onThreads(writers + 1) { i in
            if i == writers {
                let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_auditor"))
                let mine = try followLog(store, expecting: writers * perWriter, writersDone: { writing.value == 0 }) {
                    $0.streamId.hasPrefix("w\(tag)-")
                }
                seen.withLock { $0 = mine }
                return
            }
            defer { writing.withLock { $0 -= 1 } }
            let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
            var positions: [Int64] = []
            for n in 0..<perWriter {
                // A few streams per writer, so writers also meet on the same rows of the streams table.
                let stream = "w\(tag)-\(n % 4)-\(i)"
                let result = try store.append(to: stream, expected: .any, events: [event()], metadata: meta())
                positions += result.events.map(\.position)
            }
            appended.withLock { $0 += positions }
        }
        let written = appended.value
        let read = seen.value
        #expect(written.count == writers * perWriter)
        #expect(read.count == written.count, "the follower saw \(read.count) events of \(written.count)")
        #expect(Set(read) == Set(written))
        #expect(Set(read).count == read.count, "no event seen twice")
    }

    @Test("UPDATE, DELETE and TRUNCATE of events are refused for the writer and for the owner")
    func immutability() throws {
        let writer = try store()
        let stream = "immutable-\(UUID())"
        try writer.append(to: stream, expected: .noStream, events: [event()], metadata: meta())
        let owner = try TestDatabase.connect(database)
        for connection in [writer.connection, owner] {
            for sql in [
                "UPDATE vigil.events SET data = '{\"n\": 2}'", "DELETE FROM vigil.events",
                "TRUNCATE vigil.events CASCADE", "UPDATE vigil.events SET data = data WHERE false",
                "DELETE FROM vigil.commands",
            ] {
                let error = try #require(throws: PostgresError.self, "\(sql) must fail") { try connection.execute(sql) }
                #expect(error.sqlState == .immutableEvent || error.sqlState == .insufficientPrivilege, "\(sql): \(error)")
            }
        }
        // The writer is refused by its grants even before the trigger.
        let denied = try #require(throws: PostgresError.self) { try writer.connection.execute("UPDATE vigil.events SET actor = 'x'") }
        #expect(denied.sqlState == .insufficientPrivilege)
        #expect(try writer.readStream(stream).count == 1)
    }

    @Test("the reporter role can read the read models and cannot write anything")
    func reporterCannotWrite() throws {
        let reporter = try TestDatabase.connect(database, as: "vigil_reporter")
        #expect(throws: PostgresError.self) { try reporter.query("SELECT count(*) FROM vigil.events") }
        #expect(throws: PostgresError.self) {
            try EventStore(connection: reporter).append(to: "x-\(UUID())", expected: .any, events: [event()], metadata: meta())
        }
        #expect(throws: PostgresError.self) { try reporter.execute("DELETE FROM vigil_read.checkpoints") }
        // It may read the read models (none yet in this database: the store's tests run no projection).
        #expect(try reporter.query("SELECT count(*) AS n FROM vigil_read.missions")[0].int("n") == 0)
    }

    @Test("migrating again is a no-op, and an applied migration that changed is refused")
    func migrations() throws {
        let owner = try TestDatabase.connect(database)
        let migrator = Migrator(directory: TestDatabase.schemaDirectory)
        #expect(try migrator.migrate(owner).isEmpty)
        #expect(try migrator.migrate(owner).isEmpty)
        let count = try owner.query("SELECT count(*) AS n FROM vigil.schema_migrations")[0].int("n")
        #expect(count == (try migrator.migrations().count))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-migrations-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for migration in try migrator.migrations() {
            try (migration.sql + (migration.version == "0002" ? "\n-- edited" : ""))
                .write(to: folder.appendingPathComponent(migration.name), atomically: true, encoding: .utf8)
        }
        let error = try #require(throws: PostgresError.self) { try Migrator(directory: folder).migrate(owner) }
        #expect(error.message.contains("0002_event_log.sql was changed"))
    }

    @Test("hash chains verify, and a change made behind the triggers' back is found")
    func hashChain() throws {
        let database = try TestDatabase.create("chain")
        let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        for i in 0..<5 {
            try store.append(to: "chain-a", expected: .any, events: [event("E", "{\"i\": \(i)}")], metadata: meta())
            try store.append(to: "chain-b", expected: .any, events: [event("E", "{\"i\": \(i)}"), event()], metadata: meta())
        }
        let report = try store.verifyChains()
        #expect(report.holds)
        #expect(report.events == 15)
        #expect(report.streams == 2)

        // The owner disables the triggers and edits one payload, as a tamperer with the keys would.
        let owner = try TestDatabase.connect(database)
        try owner.execute(
            """
            ALTER TABLE vigil.events DISABLE TRIGGER events_append_only;
            UPDATE vigil.events SET data = '{"i": 99}' WHERE stream_id = 'chain-a' AND stream_version = 3;
            ALTER TABLE vigil.events ENABLE TRIGGER events_append_only;
            """)
        let tampered = try store.verifyChains()
        let broken = try #require(tampered.firstBreak)
        #expect(broken.streamId == "chain-a")
        #expect(broken.version == 3)
    }
}

/// The store wakes followers (projection runners, known by their application name) only while one listens.
@Suite("Waking followers")
struct FollowerWakeTests {
    @Test("appends send no NOTIFY while no follower listens, and do again within about a second of one starting")
    func wakesOnlyWhileFollowed() throws {
        let database = try TestDatabase.create("wake")
        let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        try store.append(to: "wake-a", expected: .any, events: [event()], metadata: meta())  // looks: nobody follows

        // Something else listening on the channel, not a projection runner: it hears only what is sent.
        let bystander = try Connection(conninfo: "dbname=\(database)", applicationName: "not-a-follower")
        try bystander.listen("vigil_events")
        // A projection runner following another database on the same server is no follower of this one.
        let elsewhere = try Connection(conninfo: "dbname=\(try TestDatabase.create("wake_other"))", applicationName: EventStore.followerApplicationName)
        try elsewhere.listen("vigil_events")
        Thread.sleep(forTimeInterval: 1.1)  // past the store's look interval, so it looks again
        for _ in 0..<3 { try store.append(to: "wake-a", expected: .any, events: [event()], metadata: meta()) }
        #expect(try bystander.waitForNotification(timeout: 0.3) == nil)

        let follower = try Connection(conninfo: "dbname=\(database)", applicationName: EventStore.followerApplicationName)
        try follower.listen("vigil_events")
        usleep(1_100_000)
        // The first append after the interval looks again; the next one wakes.
        for _ in 0..<2 { try store.append(to: "wake-a", expected: .any, events: [event()], metadata: meta()) }
        #expect(try follower.waitForNotification(timeout: 2) != nil)
    }
}
