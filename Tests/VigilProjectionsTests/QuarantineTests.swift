@testable import EventStore
import Foundation
import PostgresClient
import Testing
import VigilDomain
@testable import VigilProjections
import VigilTestSupport

/// A fresh database whose log holds two events no projection can read among good ones, all appended
/// as the writer role may through `vigil.append`: a type this version does not know, and a known type
/// whose payload does not decode.
struct PoisonedLog {
    var database: String
    /// The positions of the unknown type and of the undecodable payload.
    var unknown: Int64
    var undecodable: Int64
    /// Where the last event stands in commit order.
    var last: Checkpoint

    init(_ label: String) throws {
        database = try TestDatabase.create(label)
        let writer = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        func appendOne(_ stream: String, _ type: String, _ data: String) throws -> Int64 {
            let result = try writer.append(
                to: stream, expected: .any, events: [NewEvent(type: type, data: data)],
                metadata: EventMetadata(commandId: UUID().uuidString, actor: "test"))
            return try #require(result.events.first).position
        }
        try appendMix(writer, missions: 3, gatheringsPerMission: 3, tag: "c-p")
        unknown = try appendOne("gathering-c-p-m0-g1", "GatheringTeleported", #"{"gatheringId":"c-p-m0-g1","to":"elsewhere"}"#)
        undecodable = try appendOne("gathering-c-p-m1-g1", "GatheringHeld", #"{"gatheringId":42,"recordedAt":"2023-11-14T12:00:00Z"}"#)
        last = try appendMix(writer, missions: 2, gatheringsPerMission: 2, tag: "c-q")
    }

    /// Every event of the log that decodes, in commit order.
    func readableEvents(_ connection: Connection) throws -> [DecodedEvent] {
        let store = EventStore(connection: connection)
        var out: [DecodedEvent] = []
        var cursor = Checkpoint.start
        while true {
            let batch = try store.readPayloads(after: cursor, limit: 1_000)
            guard let end = batch.last else { return out }
            out += batch.compactMap { try? DecodedEvent($0) }
            cursor = end.checkpoint
        }
    }
}

/// Whether a projection's stored rows equal a replay of `events` in memory.
func storedRowsEqualReplay<P: Projection>(_ projection: P, of events: [DecodedEvent], _ connection: Connection) throws -> Bool {
    try projection.loadAll(tables: .live, connection: connection) == projection.replay(events)
}

/// Every row of the quarantine, as text, in a stable order.
func dumpQuarantine(_ connection: Connection) throws -> String {
    try connection.query("SELECT q::text AS r FROM vigil_read.quarantine q ORDER BY 1").map { try $0.string("r") }.joined(separator: "\n")
}

@Suite("Quarantine: events no projection can read", .serialized)
struct QuarantineTests {
    @Test("an unknown type and an undecodable payload are set aside with the reason, once, and every good event is applied")
    func unreadableEventsAreSetAside() throws {
        let log = try PoisonedLog("quarantine")
        let owner = try TestDatabase.connect(log.database)
        let runner = ProjectionRunner(connection: owner)
        try catchUpAll(runner, through: log.last)

        let good = try log.readableEvents(owner)
        #expect(good.count == Int(try EventStore(connection: owner).eventCount()) - 2)
        for projection in Projections.all {
            #expect(try storedRowsEqualReplay(projection, of: good, owner), "\(projection.name)")
            #expect(try runner.compareWithReplay(projection) == nil, "\(projection.name)")
        }

        let quarantine = try Reports.quarantine(connection: owner)
        #expect(quarantine.map(\.position) == [log.unknown, log.undecodable])
        #expect(quarantine.map(\.type) == ["GatheringTeleported", "GatheringHeld"])
        #expect(quarantine.map(\.stream) == ["gathering-c-p-m0-g1", "gathering-c-p-m1-g1"])
        #expect(quarantine.first?.reason == "event GatheringTeleported: is not an event type this version of Vigil knows")
        #expect(quarantine.last?.reason == "event GatheringHeld: its payload does not decode: field gatheringId is not a String")
        for event in quarantine { #expect(event.projections == Projections.names.sorted()) }

        let lag = try Reports.lag(connection: owner)
        #expect(lag.map(\.projection) == Projections.names.sorted())
        for projection in lag { #expect(projection.eventsBehind == 0 && projection.quarantined == 2, "\(projection)") }

        // Catching up again passes nothing and records nothing again.
        let rows = try dumpQuarantine(owner)
        for projection in Projections.all { #expect(try runner.catchUp(projection) == 0) }
        #expect(try dumpQuarantine(owner) == rows)
        #expect(try owner.query("SELECT count(*) AS n FROM vigil_read.quarantine")[0].int("n") == 2 * Projections.all.count)
        let applied = try owner.query("SELECT projection, events_applied FROM vigil_read.checkpoints")
        for row in applied { #expect(try row.int64("events_applied") == (try EventStore(connection: owner).eventCount())) }

        // Those who read the read models read the quarantine and the count.
        let reporter = try TestDatabase.connect(log.database, as: "vigil_reporter")
        #expect(try Reports.quarantine(connection: reporter) == quarantine)
        #expect(try Reports.lag(connection: reporter).map(\.quarantined) == Array(repeating: 2, count: Projections.all.count))
        let auditor = ProjectionRunner(connection: try TestDatabase.connect(log.database, as: "vigil_auditor"))
        for projection in Projections.all { #expect(try auditor.compareWithReplay(projection) == nil, "\(projection.name)") }
    }

    @Test("a rebuild, a resumed one and a rebuild of all give the same rows and the same quarantine")
    func rebuildSetsAsideTheSame() throws {
        let log = try PoisonedLog("quarantine_rebuild")
        let owner = try TestDatabase.connect(log.database)
        let runner = ProjectionRunner(connection: owner)
        try catchUpAll(runner, through: log.last)
        let rows = try Projections.all.map { try dump($0, owner) }
        let quarantine = try dumpQuarantine(owner)

        for projection in Projections.all { try runner.rebuild(projection, batchSize: 5) }
        #expect(try Projections.all.map { try dump($0, owner) } == rows)
        #expect(try dumpQuarantine(owner) == quarantine)

        // A rebuild of one dies after it passed both bad events; a rebuild of all then resumes it further
        // along than the others, which start afresh.
        struct Killed: Error {}
        var batches = 0
        #expect(throws: Killed.self) {
            try runner.rebuild(ActivityProjection(), batchSize: 8) { _ in
                batches += 1
                if batches == 3 { throw Killed() }
            }
        }
        let passed = try owner.query("SELECT count(*) AS n FROM vigil_read.quarantine WHERE projection = 'activity#rebuild'")
        #expect(try passed[0].int("n") == 2)
        try runner.rebuildAll(Projections.all, batchSize: 7)
        #expect(try Projections.all.map { try dump($0, owner) } == rows)
        #expect(try dumpQuarantine(owner) == quarantine)
        for projection in Projections.all { #expect(try runner.compareWithReplay(projection) == nil, "\(projection.name)") }
    }

    @Test("four runners at once set each unreadable event aside once per projection, and apply each good event once")
    func concurrentRunnersSetAsideOnce() throws {
        let log = try PoisonedLog("quarantine_runners")
        try onThreads(4) { _ in
            let runner = ProjectionRunner(connection: try TestDatabase.connect(log.database, as: "vigil_projector"))
            for projection in Projections.all { try runner.catchUp(projection, batchSize: 3) }
        }
        let owner = try TestDatabase.connect(log.database)
        let runner = ProjectionRunner(connection: owner)
        try catchUpAll(runner, through: log.last)
        let perProjection = try owner.query(
            "SELECT projection, count(*) AS n, count(DISTINCT global_position) AS d FROM vigil_read.quarantine GROUP BY projection ORDER BY projection")
        #expect(try perProjection.map { try $0.string("projection") } == Projections.names.sorted())
        for row in perProjection { #expect(try row.int("n") == 2 && row.int("d") == 2) }
        let total = try EventStore(connection: owner).eventCount()
        for row in try owner.query("SELECT events_applied FROM vigil_read.checkpoints") { #expect(try row.int64("events_applied") == total) }
        for projection in Projections.all { #expect(try runner.compareWithReplay(projection) == nil, "\(projection.name)") }
    }

    @Test("following the log moves past unreadable events")
    func followMovesPast() throws {
        let log = try PoisonedLog("quarantine_follow")
        let runner = ProjectionRunner(connection: try TestDatabase.connect(log.database, as: "vigil_projector"))
        let deadline = Date().addingTimeInterval(60)
        func allThere() -> Bool {
            let checkpoints = Projections.names.map { try? runner.storedCheckpoint(of: $0) }
            return checkpoints.allSatisfy { $0.map { $0 >= log.last } ?? false }
        }
        try runner.follow(pollSeconds: 0.1, shouldStop: { allThere() || Date() >= deadline })
        #expect(allThere())
        #expect(try Reports.quarantine(connection: runner.connection).map(\.position) == [log.unknown, log.undecodable])
    }

    @Test("the audit's replay finds a quarantine that does not match the log, and a rebuild mends it")
    func replayChecksTheQuarantine() throws {
        let log = try PoisonedLog("quarantine_audit")
        let owner = try TestDatabase.connect(log.database)
        let runner = ProjectionRunner(connection: owner)
        try catchUpAll(runner, through: log.last)
        // An unreadable event missing from a projection's quarantine.
        try owner.execute("DELETE FROM vigil_read.quarantine WHERE projection = 'missions' AND global_position = \(log.unknown)")
        let missing = try #require(try runner.compareWithReplay(MissionsProjection()))
        #expect(missing.contains("position \(log.unknown) (GatheringTeleported)") && missing.contains("not in the quarantine of missions"))
        // A set-aside event this version reads (as after an upgrade that taught it a new type).
        try owner.execute(
            """
            INSERT INTO vigil_read.quarantine (global_position, transaction_id, projection, event_type, stream_id, reason)
            SELECT global_position, transaction_id, 'campaigns', event_type, stream_id, 'unknown then'
              FROM vigil.events WHERE global_position = 1
            """)
        let readable = try #require(try runner.compareWithReplay(CampaignsProjection()))
        #expect(readable.contains("position 1 (CampaignLaunched)") && readable.contains("rebuild campaigns"))

        try runner.rebuild(MissionsProjection())
        try runner.rebuild(CampaignsProjection())
        for projection in Projections.all { #expect(try runner.compareWithReplay(projection) == nil, "\(projection.name)") }
        #expect(try Reports.lag(connection: owner).map(\.quarantined) == Array(repeating: 2, count: Projections.all.count))
    }
}
