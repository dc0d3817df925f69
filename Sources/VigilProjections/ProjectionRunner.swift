import EventStore
import Foundation
import PostgresClient

/// Brings projections up to date with the log, in commit order, one batch per transaction.
///
/// Each batch's rows and the checkpoint move together in one transaction; the checkpoint is moved by
/// compare-and-set, and a session advisory lock per projection keeps a single runner at a time, so a
/// crash or a second runner never applies an event twice or skips one.
public final class ProjectionRunner {
    public let connection: Connection
    let store: EventStore
    /// How many times a rebuild's swap tries, a second apart, to get its live tables from their readers
    /// (see `swapIn`).
    public var swapTries = 30
    /// Told once what a long wait waits for (see `withLock`); the CLI prints it on standard error.
    public var waiting: ((String) -> Void)?

    public init(connection: Connection) {
        self.connection = connection
        self.store = EventStore(connection: connection)
    }

    /// Raised when the checkpoint moved under a runner that held the lock: something is badly wrong.
    public struct CheckpointMoved: Error, CustomStringConvertible {
        public var projection: String
        public var description: String {
            "the checkpoint of projection \(projection) moved while this runner held its lock; nothing was applied"
        }
    }

    /// Applies every event committed after the projection's checkpoint, setting aside in the quarantine
    /// those it cannot read; returns how many it passed (applied or set aside).
    @discardableResult
    public func catchUp(_ projection: any Projection, batchSize: Int = 1_000, progress: ((Int) throws -> Void)? = nil)
        throws -> Int
    {
        try catchUpReturningCheckpoint(projection, batchSize: batchSize, progress: progress).applied
    }

    func catchUpReturningCheckpoint(_ projection: any Projection, batchSize: Int = 1_000, until deadline: Date? = nil,
                                    progress: ((Int) throws -> Void)? = nil) throws -> (applied: Int, checkpoint: Checkpoint) {
        try withLock(projection.name, until: deadline) {
            try run(projection, checkpointName: projection.name, tables: .live, batchSize: batchSize, progress: progress)
        }
    }

    /// Holds the session advisory lock `name` while `body` runs.
    /// - With a `deadline`, waits for it at most until then and throws `LockBusy` (nothing done) if another
    ///   session still holds it: a command's catch-up and a second rebuild must not wait for good behind
    ///   an auditor's comparison or a rebuild, which hold it for as long as they replay the log.
    /// - With `announce`, waits as long as it takes, but after a second hands `announce` who holds it (a
    ///   rebuild's swap behind an audit: its administrator should know what it waits for).
    /// - Otherwise, waits as long as it takes (a follower, an audit: the same work would be done twice).
    /// The first two ask again, a growing pause apart, rather than queue under a lock_timeout: that setting
    /// is the login's own to choose, and a queued request would make every later command's catch-up
    /// queue behind it.
    func withLock<R>(_ name: String, until deadline: Date? = nil, announce: ((String) -> Void)? = nil, _ body: () throws -> R) throws -> R {
        let key = ProjectionRunner.lockKey(name)
        if deadline != nil || announce != nil {
            let started = Date()
            var pause: UInt32 = 1_000
            var told = false
            while try connection.query("SELECT pg_try_advisory_lock(\(key)) AS got").first?.bool("got") != true {
                if let deadline, Date() >= deadline { throw LockBusy(lock: name, holders: try lockHolders(name)) }
                if let announce, !told, Date().timeIntervalSince(started) >= 1 {
                    told = true
                    announce("\(LockBusy(lock: name, holders: try lockHolders(name))); waiting for it (Ctrl-C stops here, and a rebuild run again resumes where it stopped)")
                }
                usleep(pause)
                pause = min(pause * 2, deadline == nil ? 200_000 : 50_000)
            }
        } else {
            try connection.query("SELECT pg_advisory_lock(\(key))")
        }
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(key))") }
        return try body()
    }

    /// Another session held the advisory lock `lock` (a projection's, or its rebuild's) past the deadline.
    public struct LockBusy: Error, CustomStringConvertible {
        public var lock: String
        /// The sessions holding it when the wait ended (see `sessions(_:)`).
        public var holders: [String]
        public var description: String {
            let who = holders.isEmpty ? "a session that has since let go" : holders.joined(separator: "; ")
            if lock.hasSuffix(ProjectionRunner.rebuildSuffix) {
                return "projection \(lock.dropLast(ProjectionRunner.rebuildSuffix.count)) is being rebuilt by another session (\(who)); "
                    + "nothing was changed: wait for that rebuild to end, or end it with SELECT pg_terminate_backend(pid) "
                    + "(rebuilt again, it resumes where it stopped)"
            }
            return "projection \(lock) is kept busy by another session (\(who)), comparing it with a replay or catching it up"
        }
    }

    /// What a projection's name takes to name its rebuild's checkpoint and lock.
    static let rebuildSuffix = "#rebuild"

    /// The other sessions holding the advisory lock `name` (see `sessions(_:)`).
    func lockHolders(_ name: String) throws -> [String] {
        let key = UInt64(bitPattern: ProjectionRunner.lockKey(name))
        // A bigint key shows in pg_locks as its high half (classid) and low half (objid), objsubid 1.
        return try sessions(connection.query(
            """
            SELECT DISTINCT pid FROM pg_locks
             WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND objsubid = 1
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND classid = \(Int64(key >> 32))::bigint::oid AND objid = \(Int64(key & 0xffff_ffff))::bigint::oid
            """).map { try $0.int64("pid") })
    }

    /// One batch's transaction. Its key lookups plan with `random_page_cost` 1.1 rather than 4: read models
    /// are small and cached, and at 4 the planner chose to scan a 50,000-row table once per batch over
    /// 700 index lookups (measured on a rebuild of 300,000 events: 143 of 150 batches scanned it; at 1.1,
    /// 28 did, the first ones, before there were statistics; 0.33–0.39× → 0.41–0.45× of keyset reads).
    func batchTransaction<R>(_ body: () throws -> R) throws -> R {
        try connection.withTransaction {
            try connection.execute("SET LOCAL random_page_cost = 1.1")
            return try body()
        }
    }

    /// Refreshes the planner's statistics of a rebuild's tables after batches 1, 2, 4, 8, …: a table made
    /// empty has none, so looking up a batch's rows by key scanned the whole table, every batch (4 million
    /// rows read to rebuild 300,000 events, growing with the square of the log).
    func analyzeAsTheyGrow(_ projection: some Projection, tables: ProjectionTables, batches: Int) throws {
        guard batches & (batches - 1) == 0 else { return }
        for table in projection.tables { try connection.execute("ANALYZE \(tables.name(table))") }
    }

    /// The loop shared by catching up and rebuilding: read a batch in commit order, apply it to `tables`,
    /// set aside the events that cannot be read (the quarantine, under `checkpointName`) and move the
    /// checkpoint `checkpointName` by compare-and-set, in one transaction; until the log ends.
    /// Returns how many events it passed (applied or set aside) and the checkpoint it ends at.
    func run(_ projection: some Projection, checkpointName: String, tables: ProjectionTables, batchSize: Int,
             progress: ((Int) throws -> Void)?) throws -> (applied: Int, checkpoint: Checkpoint) {
        var checkpoint = try self.checkpoint(of: checkpointName)
        var applied = 0
        var batches = 0
        while true {
            let read = try store.readPayloads(after: checkpoint, limit: batchSize)
            guard let batch = LogBatch(read) else { break }
            try batchTransaction {
                if !batch.events.isEmpty { try projection.apply(batch.events, tables: tables, connection: connection) }
                try setAside(batch.unreadable, for: checkpointName)
                try moveCheckpoint(checkpointName, from: checkpoint, to: batch.last, count: batch.count)
            }
            checkpoint = batch.last
            applied += batch.count
            batches += 1
            if tables == .next { try analyzeAsTheyGrow(projection, tables: tables, batches: batches) }
            try progress?(applied)
            if read.count < batchSize { break }
        }
        return (applied, checkpoint)
    }

    func moveCheckpoint(_ name: String, from: Checkpoint, to: Checkpoint, count: Int) throws {
        let moved = try connection.query(
            """
            UPDATE vigil_read.checkpoints
               SET transaction_id = \(String(to.transactionId))::xid8, global_position = \(to.position),
                   events_applied = events_applied + \(count), updated_at = now()
             WHERE projection = \(name)
               AND transaction_id = \(String(from.transactionId))::xid8 AND global_position = \(from.position)
            """, prepared: true)
        guard moved.affectedRows == 1 else { throw CheckpointMoved(projection: name) }
    }

    /// Brings `projections` past `target` (a command's own events) within `timeout` seconds, waiting for
    /// older transactions (anywhere in the cluster: snapshots are cluster-wide) to end, and going round
    /// the projections so that one another session keeps busy does not use up the others' time. While
    /// there is time, each try waits a tenth of a second for a projection's lock; past the deadline, a
    /// last round waits up to a second for all the locks together, so that a sibling command's catch-up
    /// (milliseconds) is never called busy.
    /// Returns those that did not get there: held back by an older open transaction (`lagging`), or kept
    /// busy by another session (`busy`, with `busyWith`, the sessions), each in the order given.
    public func catchUp(_ projections: [any Projection], through target: Checkpoint, timeout: Double) throws
        -> (lagging: [String], busy: [String], busyWith: [String])
    {
        let deadline = Date().addingTimeInterval(timeout)
        var pending = projections
        var holders: [String: [String]] = [:]
        var pause: UInt32 = 1_000
        while true {
            let last = Date() >= deadline
            let lastEnd = Date().addingTimeInterval(ProjectionRunner.busyAfter)
            var still: [any Projection] = []
            for projection in pending {
                holders[projection.name] = nil
                do {
                    let until = last ? lastEnd : Date().addingTimeInterval(ProjectionRunner.busySlice)
                    if try catchUpReturningCheckpoint(projection, until: until).checkpoint >= target { continue }
                } catch let error as LockBusy {
                    holders[projection.name] = error.holders
                }
                still.append(projection)
            }
            pending = still
            if pending.isEmpty || last { break }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        let busy = pending.map(\.name).filter { holders[$0] != nil }
        var busyWith: [String] = []
        for name in busy { busyWith += (holders[name] ?? []).filter { !busyWith.contains($0) } }
        return (pending.map(\.name).filter { holders[$0] == nil }, busy, busyWith)
    }

    /// How long `catchUp(_:through:timeout:)` waits for a projection's lock on each round, and for all of
    /// them on the last.
    static let busySlice = 0.1
    static let busyAfter = 1.0

    /// The open transactions that hold a catch-up back from `target`: those older than its transaction,
    /// which could still add events before it, in any database of the cluster. Each as its session (see
    /// `sessions(_:)`), or as a prepared transaction (never its id, which is anybody's text).
    public func holdingBack(_ target: Checkpoint) throws -> [String] {
        let rows = try connection.query(
            """
            WITH open AS (
                SELECT x::xid AS x FROM pg_snapshot_xip(pg_current_snapshot()) x
                 WHERE x < \(String(target.transactionId))::xid8 AND pg_xact_status(x) = 'in progress')
            SELECT l.pid, NULL AS database FROM pg_locks l
             WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted AND l.pid IS NOT NULL
               AND l.transactionid IN (SELECT x FROM open)
            UNION ALL
            SELECT NULL, regexp_replace(p.database::text, '[[:cntrl:]]', '?', 'g')
              FROM pg_prepared_xacts p WHERE p.transaction IN (SELECT x FROM open)
            """)
        let pids = try rows.compactMap { try $0.optionalInt64("pid") }
        let prepared = try rows.filter { try $0.optionalInt64("pid") == nil }
            .map { "a prepared transaction in database \(try $0.text("database") ?? "?")" }
        return try sessions(pids) + prepared
    }

    /// The sessions `pids` as any login may see them: pid, login, application and database from
    /// pg_stat_activity, never a query's text, control characters as `?`. A server process (an
    /// autovacuum worker) has no login, and what it is shows only to a privileged login.
    func sessions(_ pids: [Int64]) throws -> [String] {
        guard !pids.isEmpty else { return [] }
        return try connection.query(
            """
            SELECT p.pid, regexp_replace(a.usename::text, '[[:cntrl:]]', '?', 'g') AS login,
                   regexp_replace(coalesce(nullif(a.application_name, ''), 'no application name'), '[[:cntrl:]]', '?', 'g') AS application,
                   regexp_replace(coalesce(a.datname::text, '?'), '[[:cntrl:]]', '?', 'g') AS database, a.backend_type AS kind
              FROM unnest(\(pids.map(String.init))::int[]) p(pid) LEFT JOIN pg_stat_activity a ON a.pid = p.pid
             ORDER BY p.pid
            """).map { row in
            let pid = try row.int("pid")
            guard let login = try row.text("login") else { return "pid \(pid), \(try row.text("kind") ?? "a server process")" }
            return "pid \(pid), login \(login), \(try row.text("application") ?? ""), database \(try row.text("database") ?? "?")"
        }
    }

    /// The projection's checkpoint, created at the start of the log on first use (read first: it exists
    /// on every call but the first, and this runs for every projection on every command).
    public func checkpoint(of name: String) throws -> Checkpoint {
        if let stored = try readCheckpoint(name) { return stored }
        try connection.query(
            "INSERT INTO vigil_read.checkpoints (projection) VALUES (\(name)) ON CONFLICT (projection) DO NOTHING")
        return try storedCheckpoint(of: name)
    }

    /// The projection's checkpoint as stored, without creating it (for read-only roles): the start of the
    /// log when there is none.
    public func storedCheckpoint(of name: String) throws -> Checkpoint {
        try readCheckpoint(name) ?? .start
    }

    func readCheckpoint(_ name: String) throws -> Checkpoint? {
        let rows = try connection.query(
            "SELECT transaction_id::text AS xid, global_position FROM vigil_read.checkpoints WHERE projection = \(name)",
            prepared: true)
        guard let row = rows.first else { return nil }
        guard let xid = UInt64(try row.string("xid")) else {
            throw PostgresError(kind: .client, message: "projection \(name) has a malformed checkpoint")
        }
        return Checkpoint(transactionId: xid, position: try row.int64("global_position"))
    }

    /// A stable advisory-lock key for a projection's name.
    static func lockKey(_ name: String) -> Int64 {
        Int64(bitPattern: StableHash.fnv1a64("vigil.projection.\(name)"))
    }
}
