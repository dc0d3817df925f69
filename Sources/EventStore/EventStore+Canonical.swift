import VigilEncoding
import Foundation
import PostgresClient
import VigilAudit

extension EventStore {
    /// The canonical text of the event row aliased `e`: the text whose UTF-8 bytes its hash covers,
    /// after the previous hash of its stream (`vigil.event_hash`).
    ///
    /// Every query of anchors, exports and verification takes the canonical text from here and nowhere
    /// else. It is the database's own `vigil.event_canonical` (schema/0014), which knows both formulas:
    /// version 2 begins with the global position, version 1 (events appended before 0014) leaves it out.
    public static let canonicalSQL = "vigil.event_canonical(e)"

    /// Up to `limit` events after position `after` and at or before `through`, in position order, each
    /// with its canonical text and stored hash: the page that anchors, exports and verification read.
    public func canonicalEvents(after: Int64, through: Int64, limit: Int) throws -> [CanonicalEvent] {
        let rows = try connection.query(
            """
            SELECT e.global_position, e.stream_id, e.stream_version, e.event_type,
                   \(unescaped: EventStore.canonicalSQL) AS canonical, encode(e.hash, 'hex') AS hash
              FROM vigil.events e
             WHERE e.global_position > \(after) AND e.global_position <= \(through)
             ORDER BY e.global_position
             LIMIT \(limit)
            """, prepared: true)
        return try rows.map { row in
            let position = try row.int64("global_position")
            guard let hash = Hex.decode(try row.string("hash")) else {
                throw EventStoreError.corruptEvent(position: position, reason: "its hash is not hex")
            }
            return CanonicalEvent(
                position: position, stream: try row.string("stream_id"), version: try row.int64("stream_version"),
                type: try row.string("event_type"), canonical: try row.string("canonical"), hash: hash)
        }
    }

    /// Calls `body` with every event at or before `through` in position order, read in pages of
    /// `pageSize` by position (the primary key), so the log is never held in memory; stops when `body`
    /// returns false.
    func forEachCanonicalEvent(through: Int64, pageSize: Int, _ body: (CanonicalEvent) throws -> Bool) throws {
        var after: Int64 = 0
        while after < through {
            let page = try canonicalEvents(after: after, through: through, limit: pageSize)
            for event in page {
                guard try body(event) else { return }
            }
            guard page.count == pageSize, let last = page.last else { return }
            after = last.position
        }
    }

    /// The last position P of the log such that every event at or before P has committed and no
    /// transaction still open can add one: the end of a prefix that will never change.
    ///
    /// Positions are drawn before commit, so a smaller one can commit after a larger one. A position
    /// at or below the largest visible one was drawn by a transaction that had its id before that
    /// position was drawn (vigil.append takes its transaction id after its locks and before drawing a position, 0024), so it is either
    /// visible already or open now; this waits, up to `timeout` seconds, for the transactions open
    /// now to end. Call it outside an explicit transaction: inside one, the next read would not see
    /// what they committed.
    ///
    /// The end is then moved back before any transaction whose events lie on both sides of it: a
    /// command of several events draws its positions one by one, so another writer's event can commit
    /// between them, and an anchor or export that ended there would hold half the command (which its
    /// first event's count, 0037, names as removed).
    ///
    /// - Throws: `AuditError.transactionsStillOpen` after `timeout`, and
    ///   `AuditError.insideWritingTransaction` when this session's own transaction has written.
    public func settledPosition(timeout: Int = 60) throws -> Int64 {
        try endBeforeSplitTransactions(try visibleSettledPosition(timeout: timeout))
    }

    /// `position`, or the position before the first event of a transaction that has events on both
    /// sides of it (and so on, until none has).
    func endBeforeSplitTransactions(_ position: Int64) throws -> Int64 {
        var end = position
        while end > 0 {
            let rows = try connection.query(
                """
                SELECT min(e.global_position) AS first FROM vigil.events e
                 WHERE e.global_position <= \(end)
                   AND e.transaction_id IN (SELECT l.transaction_id FROM vigil.events l WHERE l.global_position > \(end))
                """, prepared: true)
            guard let first = try rows.first?.optionalInt64("first") else { return end }
            end = first - 1
        }
        return end
    }

    /// The largest position visible once every transaction open at the time has ended.
    func visibleSettledPosition(timeout: Int) throws -> Int64 {
        let rows = try connection.query(
            """
            SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS own, pg_current_snapshot()::text AS snapshot,
                   current_setting('transaction_isolation') <> 'read committed' AS one_snapshot,
                   coalesce((SELECT max(global_position) FROM vigil.events), 0) AS p
            """)
        guard let row = rows.first else { return 0 }
        if try row.bool("own") { throw AuditError.insideWritingTransaction }
        // Outside a transaction block each statement takes its own snapshot, whatever the isolation.
        if try row.bool("one_snapshot"), !connection.isIdle { throw AuditError.insideSnapshotTransaction }
        let position = try row.int64("p")
        let snapshot = try row.string("snapshot")
        // xmin:xmax:xip,… — nothing after the second colon means no transaction was open.
        guard let last = snapshot.split(separator: ":", omittingEmptySubsequences: false).last, !last.isEmpty else {
            return position
        }
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        while true {
            // pg_xact_status reads the commit log, not a snapshot, so it sees transactions end.
            let open = try connection.query(
                """
                SELECT count(*) AS n FROM pg_snapshot_xip(\(snapshot)::pg_snapshot) x
                 WHERE pg_xact_status(x) = 'in progress'
                """, prepared: true)
            if try open.first?.int64("n") ?? 0 == 0 { return position }
            guard Date() < deadline else { throw AuditError.transactionsStillOpen(seconds: timeout) }
            usleep(5_000)
        }
    }
}
