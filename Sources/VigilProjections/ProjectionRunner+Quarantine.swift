import EventStore
import PostgresClient

/// The quarantine: events a projection could not read, set aside with the reason so it moves on
/// (`vigil_read.quarantine`, schema/0020). The log is append-only, so an event that stopped a projection
/// would stop it for good; set aside, it is recorded once per projection and reported.
extension ProjectionRunner {
    /// Records `events` as set aside by the projection (or rebuild) `name`, inside the batch's transaction,
    /// so they are recorded exactly when the checkpoint moves past them. Recording one twice changes nothing.
    func setAside(_ events: [UnreadableEvent], for name: String) throws {
        for event in events {
            // The stream is read from the log here (projections read only what they fold, and an unreadable
            // event is rare); an event not in the log would leave it NULL, which the table refuses. The
            // conflict is only the same event recorded a second time by the same name.
            try connection.query(
                """
                INSERT INTO vigil_read.quarantine (global_position, transaction_id, projection, event_type, stream_id, reason)
                VALUES (\(event.checkpoint.position), \(String(event.checkpoint.transactionId))::xid8, \(name), \(event.type),
                        (SELECT stream_id FROM vigil.events WHERE global_position = \(event.checkpoint.position)), \(event.reason))
                ON CONFLICT (global_position, projection) DO NOTHING
                """)
        }
    }

    /// Forgets what an abandoned rebuild `name` had set aside (a rebuild starting from the beginning).
    func forgetQuarantine(of name: String) throws {
        try connection.query("DELETE FROM vigil_read.quarantine WHERE projection = \(name)")
    }

    /// Hands a rebuild's quarantine to its projection when the rebuild's tables are swapped in (inside that
    /// transaction): the projection now holds what the rebuild set aside, no more and no less. An event
    /// set aside before keeps the time it was first set aside.
    func handOverQuarantine(from rebuildName: String, to name: String) throws {
        try connection.query(
            """
            UPDATE vigil_read.quarantine r SET quarantined_at = l.quarantined_at
              FROM vigil_read.quarantine l
             WHERE r.projection = \(rebuildName) AND l.projection = \(name)
               AND l.global_position = r.global_position AND l.quarantined_at < r.quarantined_at
            """)
        try connection.query("DELETE FROM vigil_read.quarantine WHERE projection = \(name)")
        try connection.query("UPDATE vigil_read.quarantine SET projection = \(name) WHERE projection = \(rebuildName)")
    }

    /// The positions the projection `name` has set aside, up to `target` in commit order.
    func quarantinedPositions(of name: String, through target: Checkpoint) throws -> [Int64: String] {
        var out: [Int64: String] = [:]
        for row in try connection.query(
            """
            SELECT global_position, event_type FROM vigil_read.quarantine
             WHERE projection = \(name)
               AND (transaction_id, global_position) <= (\(String(target.transactionId))::xid8, \(target.position))
            """)
        {
            out[try row.int64("global_position")] = try row.string("event_type")
        }
        return out
    }

    /// Where the events a replay skipped and those the projection's quarantine holds disagree, the first
    /// such event (in log position), described; nil when they agree.
    static func quarantineDifference(_ name: String, skipped: [Int64: UnreadableEvent], quarantined: [Int64: String]) -> String? {
        let positions = Set(skipped.keys).symmetricDifference(quarantined.keys).sorted()
        guard let position = positions.first else { return nil }
        if let event = skipped[position] {
            return "the event at position \(position) (\(event.type)) cannot be read (\(event.reason)) but is not in the "
                + "quarantine of \(name): the stored rows were not built by setting it aside; rebuild \(name)"
        }
        let type = quarantined[position] ?? "?"
        return "the event at position \(position) (\(type)) is in the quarantine of \(name) but this version of Vigil "
            + "reads it: rebuild \(name) to apply it"
    }
}
