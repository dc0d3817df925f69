@testable import EventStore
import Foundation
import PostgresClient
import Testing
import VigilAudit
import VigilTestSupport

/// A fresh empty folder under the system's temporary folder.
func auditFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-anchor-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("Anchors, exports and verification against the database")
struct AnchorStoreTests {
    let database: String
    let key = AnchorKey()

    init() throws {
        database = try TestDatabase.create("anchor")
    }

    func writer() throws -> EventStore { EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer")) }
    func auditor() throws -> EventStore { EventStore(connection: try TestDatabase.connect(database, as: "vigil_auditor")) }

    /// Three streams of 4, 5 and 3 events, some appended together.
    func seed(_ store: EventStore) throws {
        for i in 0..<4 {
            try store.append(to: "mission-a", expected: .any, events: [event("MissionNoted", "{\"i\": \(i)}")], metadata: meta())
        }
        try store.append(
            to: "gathering-b", expected: .noStream,
            events: (0..<5).map { event("GatheringNoted", "{\"i\": \($0), \"text\": \"quote \\\" slash \\\\ 주중\"}") },
            metadata: meta())
        for i in 0..<3 {
            try store.append(to: "petition-c", expected: .any, events: [event("PetitionNoted", "{\"i\": \(i)}")], metadata: meta())
        }
    }

    /// Runs `sql` as the owner with the append-only triggers off: what a tamperer with the keys can do.
    func tamper(_ sql: String) throws {
        let owner = try TestDatabase.connect(database)
        try owner.execute(
            """
            ALTER TABLE vigil.events DISABLE TRIGGER USER;
            \(sql);
            ALTER TABLE vigil.events ENABLE TRIGGER USER;
            """)
    }

    func position(_ stream: String, _ version: Int64) throws -> Int64 {
        try writer().connection.query(
            "SELECT global_position FROM vigil.events WHERE stream_id = \(stream) AND stream_version = \(version)"
        )[0].int64("global_position")
    }

    @Test("an anchor covers the whole log, and the log still extends it after more appends")
    func extendsAnchor() throws {
        let store = try writer()
        try seed(store)
        let anchor = try LogAnchor.make(store: try auditor(), key: key)
        #expect(anchor.streams == 3)
        #expect(anchor.events == 12)
        #expect(anchor.lastPosition == (try position("petition-c", 3)))
        #expect(anchor.checkSignature(trustedKey: key.publicKey) == nil)

        try store.append(to: "mission-a", expected: .exact(4), events: [event(), event()], metadata: meta())
        try store.append(to: "mission-new", expected: .noStream, events: [event()], metadata: meta())
        let result = try auditor().verify(against: anchor, trustedKey: key.publicKey)
        #expect(result.failure == nil)
        #expect(result.holds && result.keyTrusted)
        #expect(result.streams == 3 && result.events == 12 && result.checked == 15)
        #expect(result.merkleRoot == anchor.merkleRoot)

        // A later anchor of the longer log differs, and the log extends both.
        let later = try LogAnchor.make(store: try auditor(), key: key)
        #expect(later.events == 15 && later.streams == 4 && later.merkleRoot != anchor.merkleRoot)
        #expect(try auditor().verify(against: later).holds)
    }

    @Test("an empty log anchors, and the log extends that anchor")
    func emptyLog() throws {
        let anchor = try LogAnchor.make(store: try auditor(), key: key)
        #expect(anchor.lastPosition == 0 && anchor.events == 0 && anchor.streams == 0)
        try seed(try writer())
        #expect(try auditor().verify(against: anchor).holds)
    }

    @Test("a payload changed behind the triggers' back is found at its event")
    func changedPayload() throws {
        try seed(try writer())
        let anchor = try LogAnchor.make(store: try auditor(), key: key)
        let changed = try position("gathering-b", 3)
        try tamper("UPDATE vigil.events SET data = '{\"i\": 99}' WHERE global_position = \(changed)")
        let result = try auditor().verify(against: anchor, trustedKey: key.publicKey)
        #expect(result.failure == .changedEvent(EventPlace(position: changed, stream: "gathering-b", version: 3)))
        // An anchor is not made of a log that does not verify.
        #expect(throws: AuditError.brokenLog(.changedEvent(EventPlace(position: changed, stream: "gathering-b", version: 3)))) {
            try LogAnchor.make(store: try auditor(), key: key)
        }
    }

    @Test("a payload changed with its chain rewritten after it shows as a different root")
    func rewrittenChain() throws {
        try seed(try writer())
        let anchor = try LogAnchor.make(store: try auditor(), key: key)
        try tamper(
            """
            UPDATE vigil.events SET data = '{"i": 99}' WHERE stream_id = 'mission-a' AND stream_version = 2;
            DO $$
            DECLARE r record; prev bytea := '\\x';
            BEGIN
                FOR r IN SELECT global_position FROM vigil.events WHERE stream_id = 'mission-a' ORDER BY stream_version LOOP
                    UPDATE vigil.events e SET hash = sha256(prev || convert_to(\(EventStore.canonicalSQL), 'UTF8'))
                     WHERE e.global_position = r.global_position RETURNING e.hash INTO prev;
                END LOOP;
            END
            $$
            """)
        #expect(try auditor().verifyChains().holds)  // the database's own check is fooled
        let result = try auditor().verify(against: anchor)
        #expect(result.failure == .rootMismatch(lastPosition: anchor.lastPosition))
    }

    @Test("a deleted event is named: by its version inside a stream, by the count at a stream's end")
    func deletedEvent() throws {
        try seed(try writer())
        let anchor = try LogAnchor.make(store: try auditor(), key: key)
        try tamper("DELETE FROM vigil.events WHERE stream_id = 'mission-a' AND stream_version = 2")
        let result = try auditor().verify(against: anchor)
        #expect(
            result.failure
                == .removedEvent(
                    stream: "mission-a", missing: 2,
                    found: EventPlace(position: try position("mission-a", 3), stream: "mission-a", version: 3)))

        let database = try TestDatabase.create("anchor_end")
        let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        try seed(store)
        let second = try LogAnchor.make(store: store, key: key)
        let owner = try TestDatabase.connect(database)
        try owner.execute(
            """
            ALTER TABLE vigil.events DISABLE TRIGGER USER;
            DELETE FROM vigil.events WHERE stream_id = 'petition-c' AND stream_version = 3;
            ALTER TABLE vigil.events ENABLE TRIGGER USER;
            """)
        #expect(try store.verify(against: second).failure == .eventsMissing(lastPosition: second.lastPosition, anchored: 12, found: 11))
    }

    @Test("a deleted stream is named as a stream missing")
    func deletedStream() throws {
        try seed(try writer())
        let anchor = try LogAnchor.make(store: try auditor(), key: key)
        try tamper(
            """
            DELETE FROM vigil.events WHERE stream_id = 'gathering-b'
            """)
        #expect(try auditor().verify(against: anchor).failure == .streamsMissing(lastPosition: anchor.lastPosition, anchored: 3, found: 2))
    }

    @Test("an altered anchor, or one signed by another key than the trusted one, fails")
    func signature() throws {
        try seed(try writer())
        var anchor = try LogAnchor.make(store: try auditor(), key: key)
        let other = AnchorKey()
        #expect(
            try auditor().verify(against: anchor, trustedKey: other.publicKey).failure
                == .untrustedKey(anchorKey: key.publicKey.hex, trustedKey: other.publicKey.hex))
        #expect(try auditor().verify(against: anchor).keyTrusted == false)
        anchor.events -= 1
        #expect(try auditor().verify(against: anchor).failure == .badSignature)
        let forged = try LogAnchor.make(store: try auditor(), key: other)
        #expect(try auditor().verify(against: forged).holds)  // intact: an anchor's own key proves nothing
        #expect(try auditor().verify(against: forged, trustedKey: key.publicKey).failure != nil)
    }

    @Test("an export verifies against the anchor with no database; a flipped byte fails with its line")
    func exportRoundTrip() throws {
        let store = try writer()
        try seed(store)
        let folder = try auditFolder()
        let keyPath = folder.appendingPathComponent("anchor.key")
        try AnchorKey.generate(to: keyPath)
        let anchorPath = folder.appendingPathComponent("anchor.json")
        try LogAnchor.make(store: try auditor(), key: try AnchorKey.load(from: keyPath)).write(to: anchorPath)
        try store.append(to: "petition-c", expected: .exact(3), events: [event()], metadata: meta())

        let exportPath = folder.appendingPathComponent("log.ndjson")
        let summary = try auditor().export(to: exportPath, pageSize: 5)
        #expect(summary.events == 13)
        #expect(summary.lastPosition == (try position("petition-c", 4)))
        #expect(!FileManager.default.fileExists(atPath: exportPath.path + ".partial"))
        let trusted = try AnchorPublicKey.load(from: AnchorKey.publicKeyPath(for: keyPath))
        let result = try LogAudit.verify(export: exportPath, anchor: anchorPath, trustedKey: trusted)
        #expect(result.failure == nil)
        #expect(result.keyTrusted && result.events == 12 && result.checked == 13)

        // The export's lines are what the database holds.
        let lines = try String(contentsOf: exportPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 13)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["stream"] as? String == "mission-a")
        #expect(first["type"] as? String == "MissionNoted")
        // Hash version 2: the canonical text begins with the position.
        let firstPosition = try #require(first["position"] as? Int)
        #expect((first["canonical"] as? String)?.hasPrefix("[\(firstPosition), \"mission-a\", 1, ") == true)

        // Line 6 is gathering-b version 2, whose payload holds a quote, a backslash and Korean.
        var bytes = Array(try Data(contentsOf: exportPath))
        let lineStarts = [0] + bytes.indices.filter { bytes[$0] == 0x0A }.map { $0 + 1 }
        let sixth = bytes[lineStarts[5]..<lineStarts[6]]
        let target = try #require(sixth.firstRange(of: Array("\\\"i\\\": 1".utf8)))
        bytes[target.upperBound - 1] ^= 0x01  // "i": 1 → "i": 0
        try Data(bytes).write(to: exportPath)
        let tampered = try LogAudit.verify(export: exportPath, anchor: anchorPath, trustedKey: trusted)
        #expect(tampered.failure == .changedEvent(EventPlace(position: try position("gathering-b", 2), stream: "gathering-b", version: 2, line: 6)))
    }

    @Test("the settled position waits for a transaction that may still commit an earlier position")
    func settledPosition() throws {
        try seed(try writer())
        let before = try auditor().settledPosition()
        let open = try TestDatabase.connect(database, as: "vigil_writer")
        try open.execute("BEGIN")
        try EventStore(connection: open).append(to: "late-\(UUID())", expected: .noStream, events: [event()], metadata: meta())
        // A later append commits with a larger position while the first is still open.
        try writer().append(to: "mission-a", expected: .any, events: [event()], metadata: meta())
        #expect(throws: AuditError.transactionsStillOpen(seconds: 1)) { try auditor().settledPosition(timeout: 1) }
        try open.execute("COMMIT")
        let after = try auditor().settledPosition()
        #expect(after == before + 2)
        #expect(try auditor().eventCount() == 14)
    }

    @Test("data nested 10,000 deep (the server takes some 12,000), or a number of 4,301 digits, anchors, exports and verifies, in both verifiers")
    func deepData() throws {
        let depth = 10_000
        // And a number the server prints with 4,301 digits (Python refuses to read one that long by default).
        let data = "{\"big\": 1e4300, \"deep\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        try writer().append(to: "mission-deep", expected: .noStream, events: [event("MissionNoted", data)], metadata: meta())
        try writer().append(to: "mission-deep", expected: .exact(1), events: [event(), event()], metadata: meta())
        let anchor = try LogAnchor.make(store: try auditor(), key: key)
        #expect(anchor.events == 3)
        #expect(try auditor().verify(against: anchor).holds)
        let folder = try auditFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try anchor.write(to: folder.appendingPathComponent("anchor.json"))
        try auditor().export(to: folder.appendingPathComponent("log.ndjson"))
        let offline = try LogAudit.verify(
            export: folder.appendingPathComponent("log.ndjson"), anchor: folder.appendingPathComponent("anchor.json"), trustedKey: nil)
        #expect(offline.failure == nil)
        let python = try SecondVerifier.run(folder.appendingPathComponent("log.ndjson").path, folder.appendingPathComponent("anchor.json").path)
        #expect(python.status == 0, "\(python.output)")
    }

    @Test("the settled end is refused inside a REPEATABLE READ transaction, whose snapshot would not see what it waits for")
    func settledInsideSnapshot() throws {
        try seed(try writer())
        let store = try auditor()
        try store.connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        #expect(throws: AuditError.insideSnapshotTransaction) { try store.settledPosition() }
        try store.connection.execute("ROLLBACK")
        try store.connection.execute("BEGIN")
        #expect(try store.settledPosition() == 12, "a READ COMMITTED block takes a snapshot a statement")
        try store.connection.execute("COMMIT")
    }

    @Test("an anchor or export never ends between two events of one transaction: the settled end moves back before its first")
    func settledEndSplitsNoTransaction() throws {
        try seed(try writer())
        let start = try auditor().settledPosition()
        let open = try TestDatabase.connect(database, as: "vigil_writer")
        try open.execute("BEGIN")
        let inOpen = EventStore(connection: open)
        try inOpen.append(to: "split-a", expected: .noStream, events: [event()], metadata: meta())
        try writer().append(to: "split-b", expected: .noStream, events: [event()], metadata: meta())
        try inOpen.append(to: "split-c", expected: .noStream, events: [event(), event()], metadata: meta())
        try open.execute("COMMIT")
        // Positions: split-a start+1 and split-c start+3–4 in one transaction, split-b start+2 in another.
        let store = try auditor()
        #expect(try store.endBeforeSplitTransactions(start + 2) == start)
        #expect(try store.endBeforeSplitTransactions(start + 3) == start, "between the two events of split-c's command")
        #expect(try store.endBeforeSplitTransactions(start + 4) == start + 4)
        #expect(try store.settledPosition() == start + 4)
    }
}
