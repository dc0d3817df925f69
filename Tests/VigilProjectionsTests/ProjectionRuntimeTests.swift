@testable import EventStore
import Foundation
import PostgresClient
import Testing
import VigilCodec
@testable import VigilDomain
@testable import VigilProjections
import VigilService
import VigilTestSupport

/// Appends a realistic mix straight to the log (not through commands, so the projections lag behind);
/// returns where its last event stands in commit order.
@discardableResult
func appendMix(_ store: EventStore, missions: Int, gatheringsPerMission: Int, tag: String) throws -> Checkpoint {
    let now = Date(timeIntervalSince1970: 1_700_000_000)
    var last = Checkpoint.start
    func append(_ stream: String, _ event: some DomainEvent) throws {
        last = try store.append(
            to: stream, expected: .any,
            events: [try EventCodec.encode(event)].map { NewEvent(type: $0.type, schemaVersion: $0.schemaVersion, data: $0.data) },
            metadata: EventMetadata(commandId: UUID().uuidString, actor: "test")).checkpoint ?? last
    }
    try append("campaign-\(tag)", CampaignEvent.launched(CampaignLaunched(
        campaignId: tag, title: "T", cause: "C", coalition: "K", addressee: "A", demands: ["D"], annualDay: nil, launchedAt: now)))
    for m in 0..<missions {
        let mission = "\(tag)-m\(m)"
        try append("mission-\(mission)", MissionEvent.registered(MissionRegistered(
            missionId: mission, name: mission, sendingState: "CN", kind: .embassy, city: "City \(m % 7)", country: ["US", "KR", "GB"][m % 3],
            timeZone: "America/New_York", address: nil, registeredAt: now)))
        for g in 0..<gatheringsPerMission {
            let gathering = "\(mission)-g\(g)"
            try append("gathering-\(gathering)", GatheringEvent.scheduled(GatheringScheduled(
                gatheringId: gathering, missionId: mission, campaignId: g % 2 == 0 ? tag : nil, kind: .vigil, startsAt: now,
                timeZone: "America/New_York", localStart: WallTime(year: 2023, month: 11, day: 14, hour: 12, minute: 0),
                venue: nil, expectedAttendance: 10 + g, organiser: nil, scheduledAt: now)))
            let outcome: GatheringEvent = g % 3 == 0
                ? .cancelled(GatheringCancelled(gatheringId: gathering, reason: "rain", cancelledAt: now))
                : .held(GatheringHeld(gatheringId: gathering, reportedAttendance: g, notes: nil, recordedAt: now))
            try append("gathering-\(gathering)", outcome)
        }
    }
    return last
}

@Suite("Projection runtime on PostgreSQL", .serialized)
struct ProjectionRuntimeTests {
    @Test("one event per batch stores the rows a replay of the whole log gives: each batch loads what it touches and writes what changed")
    func batchesOfOne() throws {
        let database = try TestDatabase.create("batches")
        let owner = try TestDatabase.connect(database)
        let runner = ProjectionRunner(connection: owner)
        let last = try appendMix(EventStore(connection: owner), missions: 3, gatheringsPerMission: 3, tag: "c-one")
        for projection in Projections.all {
            // A transaction open in another test's database holds the cluster's horizon back for a while:
            // what lies beyond it is applied by a later call.
            var applied = 0
            let deadline = Date().addingTimeInterval(20)
            repeat {
                applied += try runner.catchUp(projection, batchSize: 1)
                if applied <= 20 { usleep(50_000) }
            } while applied <= 20 && Date() < deadline
            #expect(applied > 20, "\(projection.name) applied \(applied)")
        }
        try catchUpAll(runner, through: last)
        for projection in Projections.all {
            #expect(try runner.compareWithReplay(projection) == nil, "\(projection.name)")
        }
        // The check can fail: a row changed behind the runner's back is found.
        try owner.execute("UPDATE vigil_read.missions SET city = 'Elsewhere' WHERE mission_id = 'c-one-m0'")
        #expect(try runner.compareWithReplay(MissionsProjection()) != nil)
    }

    @Test("a rebuilt projection equals the incrementally built one, and both equal a replay")
    func rebuildEqualsIncremental() throws {
        let database = try TestDatabase.create("rebuild")
        let owner = try TestDatabase.connect(database)
        let store = EventStore(connection: owner)
        let runner = ProjectionRunner(connection: owner)
        try appendMix(store, missions: 6, gatheringsPerMission: 5, tag: "c-a")
        // Incrementally, in small batches, with more events arriving in between.
        for projection in Projections.all { try runner.catchUp(projection, batchSize: 7) }
        let last = try appendMix(store, missions: 4, gatheringsPerMission: 3, tag: "c-b")
        for projection in Projections.all { try runner.catchUp(projection, batchSize: 13) }
        try catchUpAll(runner, through: last)
        var incremental: [String: String] = [:]
        for projection in Projections.all {
            #expect(try runner.compareWithReplay(projection) == nil)
            incremental[projection.name] = try dump(projection, owner)
        }
        for projection in Projections.all {
            try runner.rebuild(projection, batchSize: 11)
            #expect(try dump(projection, owner) == incremental[projection.name], "\(projection.name) after rebuild")
        }
    }

    @Test("a rebuild that stops half-way resumes where it stopped, and reports keep the old tables meanwhile")
    func rebuildResumes() throws {
        let database = try TestDatabase.create("resume")
        let owner = try TestDatabase.connect(database)
        let store = EventStore(connection: owner)
        let runner = ProjectionRunner(connection: owner)
        let last = try appendMix(store, missions: 5, gatheringsPerMission: 6, tag: "c-r")
        let activity = ActivityProjection()
        try catchUpAll(runner, through: last)
        let before = try dump(activity, owner)
        // The first rebuild dies after three batches (as a kill -9 would: its transactions so far committed).
        struct Killed: Error {}
        var batches = 0
        #expect(throws: Killed.self) {
            try runner.rebuild(activity, batchSize: 10) { _ in
                batches += 1
                if batches == 3 { throw Killed() }
            }
        }
        // The live tables are untouched meanwhile.
        #expect(try dump(activity, owner) == before)
        var resumedFrom = -1
        let total = try runner.rebuild(activity, batchSize: 10) { progress in
            if resumedFrom < 0 { resumedFrom = progress.resumedFrom }
        }
        #expect(resumedFrom == 30)
        #expect(total == Int(try store.eventCount()))
        #expect(try dump(activity, owner) == before)
        #expect(try runner.compareWithReplay(activity) == nil)
    }

    @Test("a rebuild's swap never queues readers behind a reader that keeps its table for long: each try waits a tenth of a second, and the last names the reader and changes nothing; with several projections the others are swapped in")
    func rebuildSwapYieldsToReaders() throws {
        let (database, owner) = try mixCaughtUp("swapwait", missions: 3, tag: "c-w")
        let before = try dump(ActivityProjection(), owner)
        // A reporter's transaction left open on one of the projection's live tables.
        let reader = try TestDatabase.connect(database, as: "vigil_reporter")
        try reader.execute("SET application_name = 'left-open'")
        try reader.execute("BEGIN")
        _ = try reader.query("SELECT count(*) AS n FROM vigil_read.\(unescaped: GatheringRow.table)")
        let outcome = Locked<String?>(nil)
        let slowestRead = Locked<Double>(0)
        let rebuilderPid = Locked<Int?>(nil)
        try onThreads(2) { i in
            if i == 0 {
                let runner = ProjectionRunner(connection: try TestDatabase.connect(database))
                rebuilderPid.withLock { $0 = try? runner.connection.query("SELECT pg_backend_pid() AS pid").first?.int("pid") }
                runner.swapTries = 3
                do {
                    try runner.rebuild(ActivityProjection())
                    outcome.withLock { $0 = "swapped" }
                } catch {
                    outcome.withLock { $0 = "\(error)" }
                }
            } else {
                // Another report, read over and over while the rebuild tries. Before bounded tries the swap
                // waited for good (here until the server ended the idle transaction after a minute), and every
                // read queued behind it.
                let other = try TestDatabase.connect(database, as: "vigil_reporter")
                try other.execute("SET statement_timeout = '10s'")  // a read queued for good fails the test
                let watchdog = try TestDatabase.connect(database)
                let started = Date()
                while outcome.withLock({ $0 }) == nil {
                    if Date().timeIntervalSince(started) > 20 {
                        _ = try watchdog.query("SELECT pg_cancel_backend(\(rebuilderPid.withLock { $0 } ?? 0))")
                        usleep(500_000)
                        outcome.withLock { $0 = $0.map { "hung, cancelled after 20 s: \($0)" } ?? "hung" }
                        break
                    }
                    let t = Date()
                    _ = try other.query("SELECT count(*) AS n FROM vigil_read.\(unescaped: GatheringRow.table)")
                    let seconds = Date().timeIntervalSince(t)
                    slowestRead.withLock { $0 = max($0, seconds) }
                    usleep(100_000)
                }
            }
        }
        let message = try #require(outcome.withLock { $0 })
        #expect(message.contains("the rebuild of activity is done but not swapped in"), "\(message)")
        #expect(message.contains("activity is as before"), "\(message)")
        #expect(message.contains("login vigil") && message.contains("left-open"), "names the reader: \(message)")
        #expect(message.contains("pg_terminate_backend"), "\(message)")
        // Each read waited at most about a try's tenth of a second behind the swap (a whole second a try,
        // back to back, kept the reads waiting 0.9 s each).
        #expect(slowestRead.withLock { $0 } < 0.6, "slowest read \(slowestRead.withLock { $0 }) s")
        #expect(try dump(ActivityProjection(), owner) == before)
        // All of them at once, as `vigil projections rebuild --all` does: the others are swapped in, and the
        // error says which are and which is not.
        let all = ProjectionRunner(connection: try TestDatabase.connect(database))
        all.swapTries = 2
        let beforeAll = try Projections.all.map { try dump($0, owner) }
        do {
            try all.rebuildAll(Projections.all)
            Issue.record("rebuildAll swapped activity's tables in while a reader held one")
        } catch let error as ProjectionRunner.TablesInUse {
            #expect(error.blocked.map(\.projection) == ["activity"])
            #expect(error.swapped == Projections.all.map(\.name).filter { $0 != "activity" })
            #expect(error.blocked.first?.holders.contains { $0.contains("left-open") } == true)
            #expect("\(error)".contains("\(error.swapped.joined(separator: ", ")) were swapped in, activity is as before"), "\(error)")
        }
        #expect(try Projections.all.map { try dump($0, owner) } == beforeAll)
        // Once the reader is done, the rebuild runs again from its checkpoint and swaps in.
        try reader.execute("COMMIT")
        let runner = ProjectionRunner(connection: owner)
        var resumedFrom = -1
        try runner.rebuild(ActivityProjection()) { if resumedFrom < 0 { resumedFrom = $0.resumedFrom } }
        #expect(resumedFrom > 0)
        #expect(try dump(ActivityProjection(), owner) == before)
        #expect(try runner.compareWithReplay(ActivityProjection()) == nil)
    }

    @Test("a rebuild never waits unseen on another session's lock: a second rebuild of a projection is refused at once, naming the first; a swap that another session keeps the projection from (an auditor comparing it) says once who holds it, waits, and swaps in when it lets go; a follower goes on with the other projections meanwhile")
    func rebuildLocksAreBounded() throws {
        let (database, owner) = try mixCaughtUp("rebuildlocks", missions: 2, tag: "c-l")
        let before = try dump(ActivityProjection(), owner)
        // `body` while another session holds the lock `lock`, let go after `seconds` (the session ended).
        func holding(_ lock: String, for seconds: Int = 20, _ body: (ProjectionRunner) throws -> Void) throws -> (outcome: String, seconds: Double) {
            let holder = try TestDatabase.connect(database, as: "vigil_auditor")
            try holder.execute("SET application_name = 'auditor-comparing'")
            let pid = try #require(try holder.query("SELECT pg_backend_pid() AS pid").first?.int("pid"))
            _ = try holder.query("SELECT pg_advisory_lock(\(ProjectionRunner.lockKey(lock)))")
            let done = Locked(false)
            Thread {
                for _ in 0..<(seconds * 10) where !done.value { usleep(100_000) }
                if !done.value { _ = try? TestDatabase.connect(database).query("SELECT pg_terminate_backend(\(pid))") }
            }.start()
            defer { done.withLock { $0 = true } }
            let runner = ProjectionRunner(connection: try TestDatabase.connect(database))
            let started = Date()
            var outcome = "done"
            do { try body(runner) } catch { outcome = "\(error)" }
            _ = holder
            return (outcome, Date().timeIntervalSince(started))
        }
        // Before the bound, these waited the 20 s and then rebuilt.
        for all in [false, true] {
            let (outcome, seconds) = try holding("activity#rebuild") {
                _ = all ? try $0.rebuildAll(Projections.all) : try $0.rebuild(ActivityProjection())
            }
            #expect(outcome.contains("projection activity is being rebuilt by another session (pid "), "\(outcome)")
            #expect(outcome.contains("auditor-comparing") && outcome.contains("nothing was changed"), "\(outcome)")
            // (10 s for a killed rebuild's server process to let go; the other session here holds on for 20.)
            #expect(seconds < 15, "refused after \(seconds) s")
        }
        // The swap waits for the comparison (queuing nobody behind it), having said what it waits for.
        let told = Locked<[String]>([])
        let (swap, _) = try holding("activity", for: 4) { runner in
            runner.waiting = { message in told.withLock { $0.append(message) } }
            try runner.rebuild(ActivityProjection())
        }
        #expect(swap == "done", "\(swap)")
        #expect(told.value.count == 1, "\(told.value)")
        #expect(told.value.first?.contains("projection activity is kept busy by another session (pid ") == true, "\(told.value)")
        #expect(told.value.first?.contains("auditor-comparing") == true && told.value.first?.contains("waiting for it") == true, "\(told.value)")
        #expect(try dump(ActivityProjection(), owner) == before)
        // A follower while an auditor keeps missions: the others follow the log; missions once it lets go.
        let last = try appendMix(EventStore(connection: owner), missions: 1, gatheringsPerMission: 1, tag: "c-l2")
        let (followed, _) = try holding("missions", for: 30) { runner in
            let reached = Locked(false)
            let began = Date()
            try runner.follow(pollSeconds: 0.2, shouldStop: {
                let others = Projections.all.map(\.name).filter { $0 != "missions" }
                let reachedBy = (try? owner.query(
                    """
                    SELECT count(*) AS n FROM vigil_read.checkpoints
                     WHERE projection = ANY (\(others)::text[])
                       AND (transaction_id, global_position) >= (\(String(last.transactionId))::xid8, \(last.position))
                    """).first?.int("n")) ?? 0
                let done = reachedBy == others.count
                // (Before, the follower waited for missions' lock, 30 s, before the others.)
                if done && Date().timeIntervalSince(began) < 15 { reached.withLock { $0 = true } }
                return done || Date().timeIntervalSince(began) > 15
            })
            if !reached.value { throw TestFailure("the other projections did not follow while missions was held") }
        }
        #expect(followed == "done", "\(followed)")
        try catchUpAll(ProjectionRunner(connection: owner), through: last)
    }

    @Test("four runners at once: each event is applied exactly once")
    func concurrentRunners() throws {
        let database = try TestDatabase.create("runners")
        let store = EventStore(connection: try TestDatabase.connect(database))
        let last = try appendMix(store, missions: 8, gatheringsPerMission: 6, tag: "c-x")
        try onThreads(4) { _ in
            let runner = ProjectionRunner(connection: try TestDatabase.connect(database, as: "vigil_projector"))
            for projection in Projections.all { try runner.catchUp(projection, batchSize: 5) }
        }
        let runner = ProjectionRunner(connection: try TestDatabase.connect(database))
        try catchUpAll(runner, through: last)
        for projection in Projections.all { #expect(try runner.compareWithReplay(projection) == nil, "\(projection.name)") }
        let applied = try runner.connection.query("SELECT events_applied FROM vigil_read.checkpoints WHERE projection = 'activity'")
        #expect(try applied[0].int64("events_applied") == (try store.eventCount()))
    }

    @Test("the sum over missions equals the campaign's figure, for every figure")
    func figuresAddUp() throws {
        let database = try TestDatabase.create("sums")
        let owner = try TestDatabase.connect(database)
        let last = try appendMix(EventStore(connection: owner), missions: 9, gatheringsPerMission: 4, tag: "c-s")
        let runner = ProjectionRunner(connection: owner)
        try catchUpAll(runner, through: last)
        let campaign = try #require(try Reports.campaigns("c-s", connection: owner).first)
        let missions = try Reports.missions(campaign: "c-s", connection: owner)
        #expect(missions.count == 9)
        #expect(missions.map(\.figures).reduce(Figures(), +) == campaign.figures)
        #expect(campaign.figures.gatheringsScheduled == 18)
        #expect(campaign.missionsReached == 9 && campaign.countriesReached == 3)
        // And over all missions, campaign or not: every cell counted once.
        let all = try Reports.missions(connection: owner).map(\.figures).reduce(Figures(), +)
        #expect(all.gatheringsScheduled == 36)
    }
}

/// A new database `name` holding `appendMix`'s events (as many gatherings a mission as missions), with
/// every projection caught up; and the owner's connection to it.
func mixCaughtUp(_ name: String, missions: Int, tag: String) throws -> (database: String, owner: Connection) {
    let database = try TestDatabase.create(name)
    let owner = try TestDatabase.connect(database)
    let last = try appendMix(EventStore(connection: owner), missions: missions, gatheringsPerMission: missions, tag: tag)
    try catchUpAll(ProjectionRunner(connection: owner), through: last)
    return (database, owner)
}

/// Catches every projection up through `target`: snapshots are cluster-wide, so another test's open
/// transaction (in any database) can hold the commit-order horizon back for a moment.
func catchUpAll(_ runner: ProjectionRunner, through target: Checkpoint) throws {
    let (lagging, busy, _) = try runner.catchUp(Projections.all, through: target, timeout: 60)
    #expect(lagging.isEmpty && busy.isEmpty, "\(lagging + busy) did not reach \(target)")
}

/// Every row of a projection's tables, as text, in a stable order.
func dump(_ projection: any Projection, _ connection: Connection) throws -> String {
    var out = ""
    for table in projection.tables {
        let rows = try connection.query("SELECT t::text AS r FROM vigil_read.\(unescaped: table) t ORDER BY 1")
        out += "\(table):\n" + (try rows.map { try $0.string("r") }.joined(separator: "\n")) + "\n"
    }
    return out
}
