import EventStore
import Foundation
import PostgresClient

/// A bounded queue of decoded batches between the reading thread and the applying one.
final class BatchQueue: @unchecked Sendable {
    // @unchecked: every field is read and written under `condition`.
    private let condition = NSCondition()
    private var items: [LogBatch] = []
    private var finished = false
    private var cancelled = false
    private var failure: Error?
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room and adds a batch; false when the consumer has gone.
    func put(_ batch: LogBatch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(batch)
        condition.broadcast()
        return true
    }

    /// The producer is done, or failed.
    func finish(_ error: Error?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer is gone: the producer stops at its next `put`.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch; nil at the end; rethrows the producer's error.
    func take() throws -> LogBatch? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if !items.isEmpty {
            condition.broadcast()
            return items.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }
}

/// Where a rebuild stands, for its progress line.
public struct RebuildProgress: Sendable {
    public var projection: String
    public var done: Int
    public var total: Int
    public var seconds: Double
    public var resumedFrom: Int

    /// Events per second so far.
    public var rate: Double { seconds > 0 ? Double(done - resumedFrom) / seconds : 0 }
    /// Seconds left at the current rate.
    public var secondsLeft: Double { rate > 0 ? Double(max(total - done, 0)) / rate : 0 }
}

extension ProjectionRunner {
    /// Events per rebuild batch. A batch writes each row it changed once, and the figures per mission
    /// change in nearly every batch: 5,000 rebuilt 300,000 events in 1.55–1.58 s against 1.93–2.00 s for
    /// 2,000, with a peak of 40 MiB against 34.
    public static let rebuildBatch = 5_000

    /// Replays the whole log into fresh `__next` tables, then swaps them in with the checkpoint in one
    /// transaction, so a report never sees half a rebuild. Each batch commits with the rebuild's own
    /// checkpoint: after a crash or kill, the next rebuild resumes where it stopped. Needs the tables'
    /// owner (it creates, renames and drops tables).
    @discardableResult
    public func rebuild(_ projection: some Projection, batchSize: Int = ProjectionRunner.rebuildBatch, progress: ((RebuildProgress) throws -> Void)? = nil)
        throws -> Int
    {
        let rebuildName = projection.name + ProjectionRunner.rebuildSuffix
        // Another rebuild of the projection refuses this one (`LockBusy`): waiting would only start the
        // same work again once the first has swapped in. Not at once: a rebuild just killed (kill -9,
        // Ctrl-C) leaves its server process holding the lock until it finishes the statement it was in.
        return try withLock(rebuildName, until: Date().addingTimeInterval(ProjectionRunner.rebuildLockWait)) {
            let resumedFrom = try prepareNextTables(projection, checkpointName: rebuildName)
            let total = try connection.query("SELECT count(*) AS n FROM vigil.events").first?.int("n") ?? 0
            let started = Date()
            let report: (Int) throws -> Void = { applied in
                try progress?(RebuildProgress(
                    projection: projection.name, done: resumedFrom + applied, total: total,
                    seconds: Date().timeIntervalSince(started), resumedFrom: resumedFrom))
            }
            let replayed = try run(projection, checkpointName: rebuildName, tables: .next, batchSize: batchSize, progress: report).applied
            let applied = replayed + (try swapIn(projection, rebuildName: rebuildName, batchSize: batchSize) { try report(replayed + $0) })
            try report(applied)
            return resumedFrom + applied
        }
    }

    /// Swaps a rebuild's `__next` tables in, under the projection's own lock so no catch-up writes the old
    /// tables meanwhile: first applies what the rebuild has not seen yet, then renames the tables and
    /// hands the rebuild's checkpoint and quarantine to the projection, in one transaction. Returns the
    /// events passed.
    ///
    /// The renames need each live table to itself for a moment, and a reader (a report, a web page, a
    /// reporter's transaction left open) holds it as long as it likes. A rename waiting behind one would
    /// queue every later reader and every command's catch-up behind itself, so a try locks the live tables
    /// first and gives up after `swapLockTimeout`; the tries are `swapPause` apart, with the projection's
    /// lock let go between them, and stop after `swapTries`: then `TablesInUse` names the sessions that
    /// held the tables. Nothing of the projection is swapped, and its rebuild, run again, resumes from its
    /// checkpoint.
    func swapIn(_ projection: some Projection, rebuildName: String, batchSize: Int,
                progress: ((Int) throws -> Void)? = nil) throws -> Int {
        let started = Date()
        var applied = 0
        var tries = 0
        let live = projection.tables.map { ProjectionTables.live.name($0) }
        let next = projection.tables.map { ProjectionTables.next.name($0) }
        var told = false
        while true {
            tries += 1
            // The projection's own lock (a catch-up's, or an auditor's comparing it with a replay for as long
            // as that takes) is waited for as long as it takes: asked for again and again, which queues no
            // report or command behind the rebuild; after a second, `waiting` is told who holds it, once.
            let swapped = try withLock(projection.name, announce: { message in
                if !told { self.waiting?(message) }
                told = true
            }) {
                applied += try run(projection, checkpointName: rebuildName, tables: .next, batchSize: batchSize,
                                   progress: { [applied] in try progress?(applied + $0) }).applied
                return try swapTables(projection, rebuildName: rebuildName, live: live, next: next)
            }
            if swapped { return applied }
            guard tries < swapTries else {
                throw TablesInUse(blocked: [.init(projection: projection.name, holders: try holders(of: live + next))], swapped: [],
                                  seconds: Int(Date().timeIntervalSince(started).rounded()))
            }
            usleep(ProjectionRunner.swapPause)
        }
    }

    /// One try of `swapIn`'s renames, with the checkpoint and quarantine handed over, in one transaction;
    /// false when a table stayed held past its lock timeout (nothing changed).
    func swapTables(_ projection: some Projection, rebuildName: String, live: [String], next: [String]) throws -> Bool {
        do {
            try connection.withTransaction {
                // Nobody reads the `__next` tables; only an autovacuum may hold one, and the server
                // cancels it for a lock wait after deadlock_timeout (1 s), so that wait may be longer.
                try connection.execute(
                    """
                    SET LOCAL lock_timeout = '\(ProjectionRunner.swapNextLockTimeout)';
                    LOCK TABLE \(next.joined(separator: ", ")) IN ACCESS EXCLUSIVE MODE;
                    SET LOCAL lock_timeout = '\(ProjectionRunner.swapLockTimeout)';
                    LOCK TABLE \(live.joined(separator: ", ")) IN ACCESS EXCLUSIVE MODE;
                    """)
                for table in projection.tables {
                    try connection.execute(
                        """
                        ALTER TABLE \(ProjectionTables.live.name(table)) RENAME TO \(table)__old;
                        ALTER TABLE \(ProjectionTables.next.name(table)) RENAME TO \(table);
                        DROP TABLE vigil_read.\(table)__old;
                        """)
                }
                try connection.query(
                    """
                    UPDATE vigil_read.checkpoints c
                       SET transaction_id = r.transaction_id, global_position = r.global_position,
                           events_applied = r.events_applied, updated_at = now()
                      FROM vigil_read.checkpoints r
                     WHERE c.projection = \(projection.name) AND r.projection = \(rebuildName)
                    """)
                try connection.query("DELETE FROM vigil_read.checkpoints WHERE projection = \(rebuildName)")
                try handOverQuarantine(from: rebuildName, to: projection.name)
            }
            return true
        } catch let error as PostgresError where error.sqlState == SQLState("55P03") {
            // Only the swap's own lock waits are retried: a 55P03 from anywhere else (a login's lock_timeout
            // meeting another lock) is not a reader in the way. These statements wait for no other lock.
            return false
        }
    }

    /// How long a try of a swap waits for each live table (a reader that comes meanwhile waits as long),
    /// for each `__next` table, and the pause between tries in µs.
    static let swapLockTimeout = "100ms"
    static let swapNextLockTimeout = "5s"
    static let swapPause: UInt32 = 1_000_000

    /// The other sessions holding any of the relations `names` (see `sessions(_:)`).
    func holders(of names: [String]) throws -> [String] {
        try sessions(connection.query(
            """
            SELECT DISTINCT l.pid FROM pg_locks l
             WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
               AND l.relation = ANY (SELECT to_regclass(n)::oid FROM unnest(\(names)::text[]) n)
            """).map { try $0.int64("pid") })
    }

    /// Rebuilds done but not all swapped in: readers held some projection's live tables through every try.
    public struct TablesInUse: Error, CustomStringConvertible {
        public struct Blocked: Sendable {
            public var projection: String
            /// The sessions that held its tables at the last try.
            public var holders: [String]
        }
        /// The projections not swapped in: each is as it was, and its rebuild resumes when run again.
        public var blocked: [Blocked]
        /// The projections of the same rebuild that were swapped in.
        public var swapped: [String]
        /// How long the tries went on, in all.
        public var seconds: Int
        public var description: String {
            let names = blocked.map(\.projection)
            let who = Set(blocked.flatMap(\.holders)).sorted()
            return "the rebuild of \(names.joined(separator: ", ")) is done but not swapped in: for \(seconds) s other sessions kept "
                + "its live tables open (\(who.isEmpty ? "sessions that have since let go" : who.joined(separator: "; "))), and "
                + "waiting longer would have held every report and command behind them; "
                + (swapped.isEmpty ? "" : "\(swapped.joined(separator: ", ")) \(swapped.count == 1 ? "was" : "were") swapped in, ")
                + "\(names.joined(separator: ", ")) \(names.count == 1 ? "is" : "are") as before. Rebuild \(names.joined(separator: " "))"
                + " again when they are done (it resumes where it stopped), or end those sessions with SELECT pg_terminate_backend(pid)"
        }
    }

    /// Holds the advisory locks `names` (in order) while `body` runs.
    /// Each waited for `rebuildLockWait` at most (`LockBusy` if another session still holds it), as
    /// `rebuild` does.
    func withLocks<R>(_ names: ArraySlice<String>, _ body: () throws -> R) throws -> R {
        guard let first = names.first else { return try body() }
        return try withLock(first, until: Date().addingTimeInterval(ProjectionRunner.rebuildLockWait)) { try withLocks(names.dropFirst(), body) }
    }

    /// How long a rebuild waits for another rebuild's lock before it is refused.
    static let rebuildLockWait = 10.0

    /// Rebuilds several projections in one pass over the log: each batch is read once and applied to
    /// every projection's `__next` tables, with every rebuild checkpoint, in one transaction. Then each is
    /// swapped in as `rebuild` does. A projection whose rebuild resumed further along skips what it has.
    @discardableResult
    public func rebuildAll(_ projections: [any Projection], batchSize: Int = ProjectionRunner.rebuildBatch,
                           progress: ((RebuildProgress) throws -> Void)? = nil) throws -> Int {
        // The same locks a single rebuild takes, so two rebuilds never fill the same tables.
        try withLocks(projections.map { $0.name + ProjectionRunner.rebuildSuffix }[...]) {
            try rebuildAllLocked(projections, batchSize: batchSize, progress: progress)
        }
    }

    func rebuildAllLocked(_ projections: [any Projection], batchSize: Int,
                          progress: ((RebuildProgress) throws -> Void)?) throws -> Int {
        var resumed: [String: Int] = [:]
        var cursors: [String: Checkpoint] = [:]
        for projection in projections {
            resumed[projection.name] = try prepareNextTables(projection, checkpointName: projection.name + ProjectionRunner.rebuildSuffix)
            cursors[projection.name] = try storedCheckpoint(of: projection.name + ProjectionRunner.rebuildSuffix)
        }
        let total = try connection.query("SELECT count(*) AS n FROM vigil.events").first?.int("n") ?? 0
        let start = cursors.values.min() ?? .start
        let resumedFrom = resumed.values.min() ?? 0
        let started = Date()
        var done = resumedFrom
        // Reading and decoding the next batches (on their own thread and connection) overlaps with
        // applying this one: the two are about equal work, and the machine has two cores.
        let batches = BatchQueue(capacity: 3)
        let reader = Thread {
            do {
                let store = EventStore(connection: try Connection(applicationName: "vigil-rebuild-reader"))
                var cursor = start
                while true {
                    guard let batch = LogBatch(try store.readPayloads(after: cursor, limit: batchSize)) else { break }
                    guard batches.put(batch) else { return }
                    cursor = batch.last
                }
                batches.finish(nil)
            } catch {
                batches.finish(error)
            }
        }
        reader.stackSize = 1 << 22
        reader.start()
        defer { batches.cancel() }
        var batchesApplied = 0
        while let batch = try batches.take() {
            try batchTransaction {
                for projection in projections {
                    let name = projection.name + ProjectionRunner.rebuildSuffix
                    guard let from = cursors[projection.name] else { continue }
                    // Only a projection whose rebuild resumed further along skips part of a batch.
                    guard let mine = batch.after(from) else { continue }
                    if !mine.events.isEmpty { try projection.apply(mine.events, tables: .next, connection: connection) }
                    try setAside(mine.unreadable, for: name)
                    try moveCheckpoint(name, from: from, to: mine.last, count: mine.count)
                }
            }
            for projection in projections where (cursors[projection.name] ?? .start) < batch.last {
                cursors[projection.name] = batch.last
            }
            batchesApplied += 1
            for projection in projections {
                try analyzeAsTheyGrow(projection, tables: .next, batches: batchesApplied)
            }
            done += batch.count
            try progress?(RebuildProgress(
                projection: "all", done: done, total: total, seconds: Date().timeIntervalSince(started), resumedFrom: resumedFrom))
        }
        // Each is swapped in on its own: one whose tables are held does not keep the others out.
        var blocked: [TablesInUse] = []
        var swapped: [String] = []
        for projection in projections {
            do {
                done += try swapIn(projection, rebuildName: projection.name + ProjectionRunner.rebuildSuffix, batchSize: batchSize)
                swapped.append(projection.name)
            } catch let error as TablesInUse {
                blocked.append(error)
            }
        }
        if !blocked.isEmpty {
            throw TablesInUse(blocked: blocked.flatMap(\.blocked), swapped: swapped, seconds: blocked.map(\.seconds).reduce(0, +))
        }
        return done
    }

    /// Resumes a rebuild whose tables and checkpoint survived; otherwise creates empty `__next` tables
    /// like the live ones and a checkpoint at the start. Returns how many events were already applied.
    func prepareNextTables(_ projection: some Projection, checkpointName: String) throws -> Int {
        _ = try checkpoint(of: projection.name)
        var present = 0
        for table in projection.tables {
            let exists = try connection.query("SELECT to_regclass(\(ProjectionTables.next.name(table))) IS NOT NULL AS e")
            if try exists.first?.bool("e") == true { present += 1 }
        }
        let saved = try connection.query(
            "SELECT events_applied FROM vigil_read.checkpoints WHERE projection = \(checkpointName)")
        if present == projection.tables.count, let applied = try saved.first?.int("events_applied") {
            return applied
        }
        try connection.withTransaction {
            for table in projection.tables {
                try connection.execute(
                    """
                    DROP TABLE IF EXISTS \(ProjectionTables.next.name(table));
                    CREATE TABLE \(ProjectionTables.next.name(table)) (LIKE \(ProjectionTables.live.name(table)) INCLUDING ALL);
                    """)
            }
            try connection.query("DELETE FROM vigil_read.checkpoints WHERE projection = \(checkpointName)")
            try connection.query("INSERT INTO vigil_read.checkpoints (projection) VALUES (\(checkpointName))")
            try forgetQuarantine(of: checkpointName)
        }
        return 0
    }

    /// Follows the log until `shouldStop` says so: catches every projection up, then waits for a
    /// notification (polling every `pollSeconds` as the fallback, since a notification can be missed
    /// while not listening). A batch in progress always finishes.
    public func follow(pollSeconds: Double = 1, shouldStop: () -> Bool, applied: ((String, Int) -> Void)? = nil) throws {
        let listener = try Connection(conninfo: nil, applicationName: EventStore.followerApplicationName)
        try listener.listen("vigil_events")
        while !shouldStop() {
            for projection in Projections.all {
                // One that another session keeps (an auditor comparing it, a rebuild's swap) waits for the
                // next round; the others, and a stop asked for meanwhile, do not wait behind it.
                let n: Int
                do {
                    n = try catchUpReturningCheckpoint(projection, until: Date().addingTimeInterval(ProjectionRunner.busySlice)).applied
                } catch is LockBusy {
                    continue
                }
                if n > 0 { applied?(projection.name, n) }
            }
            var waited = 0.0
            while waited < pollSeconds && !shouldStop() {
                if try listener.waitForNotification(timeout: 0.2) != nil {
                    while try listener.waitForNotification(timeout: 0) != nil {}
                    break
                }
                waited += 0.2
            }
        }
    }

    /// Replays the log in memory up to the projection's checkpoint, skipping the events that cannot be
    /// read as the runner does, and compares the result with the stored rows. The events skipped must be
    /// those the projection's quarantine holds: one set aside that this version reads (the runner that
    /// passed it was older: rebuild to apply it), or one unreadable that is not there, is a difference.
    /// Returns nil when they agree, else a description of the first difference.
    public func compareWithReplay(_ projection: some Projection) throws -> String? {
        try withLock(projection.name) {
            let target = try storedCheckpoint(of: projection.name)
            var model = projection.emptyModel()
            var skipped: [Int64: UnreadableEvent] = [:]
            var cursor = Checkpoint.start
            while true {
                let fetched = try store.readPayloads(after: cursor, limit: 5_000)
                guard let batch = LogBatch(fetched.filter { $0.checkpoint <= target }) else { break }
                for event in batch.events { projection.fold(&model, event) }
                for event in batch.unreadable { skipped[event.checkpoint.position] = event }
                cursor = batch.last
                if batch.count < fetched.count { break }
            }
            let quarantined = try quarantinedPositions(of: projection.name, through: target)
            if let difference = Self.quarantineDifference(projection.name, skipped: skipped, quarantined: quarantined) {
                return difference
            }
            let stored = try projection.loadAll(tables: .live, connection: connection)
            guard stored != model else { return nil }
            return Self.difference(stored: stored, replayed: model)
        }
    }

    static func difference<M>(stored: M, replayed: M) -> String {
        let a = String(describing: stored)
        let b = String(describing: replayed)
        let prefix = zip(a, b).prefix { $0 == $1 }.count
        let start = a.index(a.startIndex, offsetBy: max(0, prefix - 60))
        return "the stored rows differ from a replay of the log near: …\(a[start...].prefix(160))…"
    }
}

