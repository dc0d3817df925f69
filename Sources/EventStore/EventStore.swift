import Foundation
import PostgresClient
import VigilAudit

/// The event log on PostgreSQL: append with an expected version, read a stream, read the whole log in
/// commit order. It knows events as types and JSON, never the domain's types.
public final class EventStore {
    /// The connection this store talks through; one store per connection, one thread at a time.
    public let connection: Connection

    /// Whether a follower (a projection runner) was listening for appends when this store last looked,
    /// and when that was; nil until it has looked.
    var followers: (listening: Bool, seen: Date)?

    /// Whether the database gives a command's events their ids (0037), once an append has seen that it
    /// does; until then each append asks (one query), because a database can be migrated under a running
    /// store. Against an older one the store chooses random ids, as the binaries before 0037 did: ids of
    /// the command's kind in a log that has not reached 0037 would read, offline, as ids the commands
    /// gave them, beside commands' records that an export does not carry.
    var databaseDerivesIds = false

    /// The question `derivesIds` asks the database (a test asks another, to put 0037's arrival between the
    /// question and the append).
    var derivesIdsQuestion: PostgresQuery =
        "SELECT to_regprocedure('vigil.command_event_id(text, integer)') IS NOT NULL AS derives"

    /// A store appending and reading through `connection`.
    public init(connection: Connection) {
        self.connection = connection
    }

    // MARK: Appending

    /// Appends `events` to `stream` in one round trip, if its version is what `expected` says and each
    /// stream in `conditions` (the other streams the decision read) is still at the version it was read at.
    ///
    /// `fingerprint` (a SHA-256 of the command's content, made by the caller) is stored with
    /// `metadata.commandId`, so that a retry of the same command is told apart from another command
    /// sent under the same id. Nil matches only nil.
    ///
    /// - Throws: `EventStoreError.wrongExpectedVersion` when another writer got there first (on `stream` or
    ///   on a condition's stream: decide again), `EventStoreError.duplicateCommand` (carrying the first
    ///   result) when `metadata.commandId` was handled before with the same fingerprint, and
    ///   `EventStoreError.keyReused` when it was handled before with another one. Nothing is appended.
    @discardableResult
    public func append(
        to stream: String, expected: ExpectedVersion, events: [NewEvent], metadata: EventMetadata,
        conditions: [StreamCondition] = [], fingerprint: [UInt8]? = nil
    ) throws -> AppendResult {
        guard !events.isEmpty else {
            throw PostgresError(kind: .client, message: "an append needs at least one event")
        }
        let derived = try derivesIds()
        do {
            return try appendOnce(to: stream, expected: expected, events: events, metadata: metadata, conditions: conditions,
                                  fingerprint: fingerprint, derived: derived)
        } catch let error as PostgresError where !derived && error.sqlState == SQLState("22023") && connection.isIdle && (try? derivesIds()) == true {
            // 0037 was applied between the question and the append, which refused random ids before drawing
            // a position: once more, with the ids the command gives its events.
            return try appendOnce(to: stream, expected: expected, events: events, metadata: metadata, conditions: conditions,
                                  fingerprint: fingerprint, derived: true)
        }
    }

    /// Whether the database gives a command's events their ids (0037); asked until it does.
    func derivesIds() throws -> Bool {
        if !databaseDerivesIds {
            databaseDerivesIds = try connection.query(derivesIdsQuestion).first?.bool("derives") ?? false
        }
        return databaseDerivesIds
    }

    private func appendOnce(
        to stream: String, expected: ExpectedVersion, events: [NewEvent], metadata: EventMetadata,
        conditions: [StreamCondition], fingerprint: [UInt8]?, derived: Bool
    ) throws -> AppendResult {
        let eventsJSON = EventStore.eventsJSON(events, commandId: derived ? metadata.commandId : nil)
        let append: PostgresQuery = """
            SELECT global_position, stream_version, transaction_id::text AS transaction_id
              FROM vigil.append(\(stream), \(expected.parameter), \(eventsJSON)::jsonb,
                                \(EventStore.metadataJSON(metadata))::jsonb, \(metadata.commandId),
                                \(metadata.actor), \(metadata.correlationId), \(metadata.causationId),
                                \(fingerprint.map(PostgresBytes.init))::bytea,
                                \(EventStore.conditionsJSON(conditions))::jsonb)
            """
        // The wake-up for followers goes in a transaction of its own after the append (a NOTIFY inside
        // the append would serialise every writer's commit), in the same round trip, and only while a
        // follower listens: with none, it cost a sixth to a quarter of an append's throughput (pgbench,
        // 1 and 4 clients, CPU-bound). Whether one listens is looked up at most once a second, in the
        // same round trip; until the first answer, the store wakes.
        let now = Date()
        let look = followers.map { now.timeIntervalSince($0.seen) >= EventStore.followersLookInterval } ?? true
        // Inside the caller's transaction a refusal would leave it failed, and the refusal's reading (the
        // first outcome of a command handled before) could not be made: the append goes under a
        // savepoint there, rolled back to when it is refused.
        let guarded = connection.isInTransaction
        var queries = guarded ? [EventStore.beforeAppend, append] : [append]
        if followers?.listening ?? true { queries.append(EventStore.wakeFollowers) }
        if look { queries.append(EventStore.lookForFollowers) }
        let outcome: Result<Rows, PostgresError>
        if queries.count == 1 {
            outcome = Result { try connection.query(append, prepared: true) }.mapError {
                $0 as? PostgresError ?? PostgresError(kind: .client, message: "\($0)")
            }
        } else {
            // Each statement's own outcome: a failed wake-up or look must not hide that the append
            // committed.
            let outcomes = try connection.pipelineEach(queries)
            outcome = outcomes[guarded ? 1 : 0]
            if look, let last = outcomes.last, case .success(let rows) = last, let listening = try? rows.first?.bool("listening") {
                followers = (listening, now)
            }
        }
        let rows: Rows
        switch outcome {
        case .success(let appended): rows = appended
        case .failure(let error):
            if guarded { try connection.execute("ROLLBACK TO SAVEPOINT vigil_append") }
            throw try translate(error, stream: stream, expected: expected, commandId: metadata.commandId)
        }
        return try EventStore.appendResult(stream: stream, rows: rows)
    }

    /// Wakes followers listening on `vigil_events` (projection runners); they poll as well, so a lost
    /// notification only delays them. A utility statement, not `SELECT pg_notify(…)`: no plan and no row
    /// to copy back (backend CPU per notification 43 → 30 µs). It writes no WAL before its commit record,
    /// so its commit does not wait for a flush (300 appends with their notifications: 300 WAL syncs).
    static let wakeFollowers: PostgresQuery = "NOTIFY vigil_events"

    /// The savepoint an append inside the caller's transaction goes under (see `appendOnce`).
    static let beforeAppend: PostgresQuery = "SAVEPOINT vigil_append"

    /// The application name a follower's listening connection carries (`ProjectionRunner.follow`).
    public static let followerApplicationName = "vigil-projections"

    /// How long a store trusts what it saw of followers: one that starts listening is woken within this
    /// long, and polls meanwhile.
    static let followersLookInterval: TimeInterval = 1

    /// Whether any follower of this database is listening: application and database names are visible to
    /// every role. A NOTIFY reaches only listeners of its own database, so a runner following another
    /// database on the same server is no reason to send one (nor was it, before this looked at datname).
    static let lookForFollowers: PostgresQuery =
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = \(followerApplicationName) AND datname = current_database()) AS listening"

    /// Maps the server's refusals to the store's typed errors, told apart by SQLSTATE.
    func translate(_ error: PostgresError, stream: String, expected: ExpectedVersion, commandId: String) throws
        -> Error
    {
        switch error.sqlState {
        case SQLState.wrongExpectedVersion?:
            // The detail names the stream that moved: this one, or one of the conditions.
            var refused = (stream: stream, expected: expected, actual: Int64(-1))
            if let detail = error.detail?.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: detail) as? [String: Any]
            {
                if let n = object["actual"] as? NSNumber { refused.actual = n.int64Value }
                if let named = object["stream"] as? String, named != stream {
                    let version = (object["expected"] as? NSNumber)?.int64Value ?? 0
                    refused = (named, version == 0 ? .noStream : .exact(version), refused.actual)
                }
            }
            return EventStoreError.wrongExpectedVersion(stream: refused.stream, expected: refused.expected, actual: refused.actual)
        case SQLState.duplicateCommand?:
            // Handled before, perhaps on another stream or connection: report what it did then.
            return EventStoreError.duplicateCommand(commandId: commandId, first: try firstResult(of: commandId))
        case SQLState.keyReused?:
            return EventStoreError.keyReused(commandId: commandId)
        default:
            return error
        }
    }

    /// What a command appended when it was first handled.
    public func firstResult(of commandId: String) throws -> AppendResult {
        let rows = try connection.query(EventStore.commandVersions(commandId, select: """
            SELECT e.global_position, e.stream_version, e.stream_id, e.transaction_id::text AS transaction_id
              FROM versions v
              JOIN vigil.events e ON e.stream_id = v.stream_id AND e.stream_version = v.stream_version
             ORDER BY e.stream_version
            """))
        guard let first = rows.first else {
            throw PostgresError(kind: .client, message: "command \(commandId) is not in the log")
        }
        return try EventStore.appendResult(stream: try first.string("stream_id"), rows: rows)
    }

    static func appendResult(stream: String, rows: Rows) throws -> AppendResult {
        var appended: [AppendResult.Appended] = []
        var version: Int64 = 0
        var transaction: UInt64?
        for row in rows {
            let v = try row.int64("stream_version")
            version = max(version, v)
            if let position = try row.optionalInt64("global_position") {
                appended.append(.init(position: position, version: v))
            }
            if let xid = try row.text("transaction_id") { transaction = UInt64(xid) }
        }
        return AppendResult(streamId: stream, version: version, events: appended, transactionId: transaction)
    }

    /// The events as the jsonb array vigil.append takes, each with the id its command gives it (nil:
    /// a random one, for a database before 0037).
    static func eventsJSON(_ events: [NewEvent], commandId: String?) -> String {
        var out = "["
        for (i, event) in events.enumerated() {
            if i > 0 { out += "," }
            let id = commandId.map { CommandEventId.derive(commandId: $0, index: i) } ?? UUID()
            out += "{\"id\":\"\(id.uuidString.lowercased())\",\"type\":\(jsonString(event.type)),"
            out += "\"schemaVersion\":\(event.schemaVersion),\"data\":\(event.data)}"
        }
        return out + "]"
    }

    /// The conditions as the jsonb array vigil.append takes: `[{"stream": …, "version": n}, …]`.
    static func conditionsJSON(_ conditions: [StreamCondition]) -> String {
        "[" + conditions.map { "{\"stream\":\(jsonString($0.stream)),\"version\":\($0.version)}" }.joined(separator: ",") + "]"
    }

    static func metadataJSON(_ metadata: EventMetadata) -> String {
        let pairs = metadata.extra.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    // MARK: Reading

    public static let columns = """
        global_position, transaction_id, stream_id, stream_version, event_id, event_type, schema_version,
        data, metadata, command_id, actor, recorded_at
        """

    /// The events of one stream from `version` on (1 is the first), in order: all of them, read in pages
    /// of `pageSize` (a petition can hold far more events than one page).
    public func readStream(_ stream: String, from version: Int64 = 1, pageSize: Int = 10_000) throws
        -> [RecordedEvent]
    {
        var events: [RecordedEvent] = []
        var next = version
        while true {
            let rows = try connection.query(
                """
                SELECT \(unescaped: EventStore.columns) FROM vigil.events
                 WHERE stream_id = \(stream) AND stream_version >= \(next)
                 ORDER BY stream_version LIMIT \(pageSize)
                """, prepared: true)
            events += try rows.map(EventStore.recordedEvent)
            guard rows.count == pageSize, let last = events.last else { return events }
            next = last.version + 1
        }
    }

    /// The stream's current version (its last event's), or 0 when it does not exist.
    public func version(of stream: String) throws -> Int64 {
        let rows = try connection.query(
            """
            SELECT stream_version FROM vigil.events WHERE stream_id = \(stream)
             ORDER BY stream_version DESC LIMIT 1
            """, prepared: true)
        return try rows.first?.int64("stream_version") ?? 0
    }

    /// Up to `limit` events after `checkpoint`, in commit order.
    ///
    /// Only events of transactions older than every transaction still open are returned, ordered by
    /// (transaction id, position). An event that commits later can then never sort before the last one
    /// returned, so a reader that checkpoints the pair neither skips nor repeats an event.
    public func readAll(after checkpoint: Checkpoint = .start, limit: Int = 1_000) throws -> [RecordedEvent] {
        try readCommitted(EventStore.columns, after: checkpoint, limit: limit).map(EventStore.recordedEvent)
    }

    /// `readAll` with only what a projection folds: each event's place, type and payload. Reading and
    /// parsing the other eight columns was a fifth of a rebuild's reading thread.
    public func readPayloads(after checkpoint: Checkpoint = .start, limit: Int = 1_000) throws -> [LoggedPayload] {
        let rows = try readCommitted("global_position, transaction_id, event_type, schema_version, data", after: checkpoint, limit: limit)
        return try rows.map { row in
            LoggedPayload(
                checkpoint: try EventStore.checkpoint(row), type: try row.string("event_type"), schemaVersion: try row.int("schema_version"),
                data: try row.string("data"))
        }
    }

    /// Committed events after `checkpoint` in commit order: only below the oldest running transaction.
    private func readCommitted(_ columns: String, after checkpoint: Checkpoint, limit: Int) throws -> Rows {
        try connection.query(
            """
            SELECT \(unescaped: columns) FROM vigil.events
             WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
               AND (transaction_id, global_position) > (\(String(checkpoint.transactionId))::xid8, \(checkpoint.position))
             ORDER BY transaction_id, global_position
             LIMIT \(limit)
            """, prepared: true)
    }

    /// The events a command appended, in order (empty when it appended none or is unknown).
    public func events(ofCommand commandId: String) throws -> [RecordedEvent] {
        let rows = try connection.query(EventStore.commandVersions(commandId, select: """
            SELECT \(EventStore.columns.replacingOccurrences(of: "\n", with: " ")) FROM vigil.events
             WHERE (stream_id, stream_version) IN (SELECT stream_id, stream_version FROM versions)
             ORDER BY stream_version
            """))
        return try rows.map(EventStore.recordedEvent)
    }

    /// `select` over `versions (stream_id, stream_version)`: every event command `commandId` appended.
    /// Since 0037 its first event is found by the id its command gives it, then the next versions of its
    /// stream while they are the same command's (a command's events are consecutive); before, by its
    /// record in vigil.commands.
    static func commandVersions(_ commandId: String, select: String) -> PostgresQuery {
        PostgresQuery(
            sql: """
                WITH RECURSIVE walk AS (
                    SELECT f.stream_id, f.stream_version FROM vigil.events f
                     WHERE f.event_id = $2::uuid AND f.command_id = $1::text
                    UNION ALL
                    SELECT n.stream_id, n.stream_version FROM walk w
                      JOIN vigil.events n ON n.stream_id = w.stream_id AND n.stream_version = w.stream_version + 1
                     WHERE n.command_id = $1::text
                ), versions AS (
                    SELECT stream_id, stream_version FROM walk
                    UNION ALL
                    SELECT c.stream_id, v FROM vigil.commands c, generate_series(c.first_version, c.last_version) v
                     WHERE c.command_id = $1::text
                )
                """ + "\n" + select,
            parameters: [commandId, CommandEventId.derive(commandId: commandId, index: 0).uuidString.lowercased()])
    }

    /// Whether a command id was handled already: false when it was not; true when it was, with
    /// `fingerprint` (the same command again).
    ///
    /// - Throws: `EventStoreError.keyReused` when it was handled with another fingerprint (or, before
    ///   fingerprints were stored, with none): another command under the same id.
    public func wasHandled(_ commandId: String, fingerprint: [UInt8]?) throws -> Bool {
        let first = CommandEventId.derive(commandId: commandId, index: 0)
        let rows = try connection.query(
            """
            SELECT CASE WHEN jsonb_typeof(e.metadata -> 'commandFingerprint') = 'string'
                        THEN decode(e.metadata ->> 'commandFingerprint', 'hex') END IS NOT DISTINCT FROM \(fingerprint.map(PostgresBytes.init))::bytea AS same
              FROM vigil.events e WHERE e.event_id = \(first) AND e.command_id = \(commandId)
            UNION ALL
            SELECT fingerprint IS NOT DISTINCT FROM \(fingerprint.map(PostgresBytes.init))::bytea FROM vigil.commands WHERE command_id = \(commandId)
            """)
        guard let row = rows.first else { return false }
        guard try row.bool("same") else { throw EventStoreError.keyReused(commandId: commandId) }
        return true
    }

    /// The raw history for auditors: events of the given streams (all when nil), recorded in the given
    /// window, in log order, at most `limit` of them.
    public func history(streams: [String]?, since: Date?, until: Date?, limit: Int) throws -> [RecordedEvent] {
        try connection.query(
            """
            SELECT \(unescaped: EventStore.columns) FROM vigil.events
             WHERE (\(streams)::text[] IS NULL OR stream_id = ANY(\(streams)::text[]))
               AND (\(since)::timestamptz IS NULL OR recorded_at >= \(since)::timestamptz)
               AND (\(until)::timestamptz IS NULL OR recorded_at <= \(until)::timestamptz)
             ORDER BY global_position LIMIT \(limit)
            """
        ).map(EventStore.recordedEvent)
    }

    /// The streams that hold an event whose payload has `field` equal to the string `value`, such as
    /// every stream with `"campaignId": "dad-2004"`.
    public func streams(whereField field: String, equals value: String) throws -> [String] {
        let json = "{\(jsonString(field)):\(jsonString(value))}"
        return try connection.query("SELECT DISTINCT stream_id FROM vigil.events WHERE data @> \(json)::jsonb ORDER BY stream_id")
            .map { try $0.string("stream_id") }
    }

    /// A stream's events as they stood at `asOf` (recorded then or before) or at `position` (inclusive).
    public func readStream(_ stream: String, asOf: Date?, position: Int64?) throws -> [RecordedEvent] {
        try connection.query(
            """
            SELECT \(unescaped: EventStore.columns) FROM vigil.events
             WHERE stream_id = \(stream)
               AND (\(asOf)::timestamptz IS NULL OR recorded_at <= \(asOf)::timestamptz)
               AND (\(position)::bigint IS NULL OR global_position <= \(position)::bigint)
             ORDER BY stream_version
            """
        ).map(EventStore.recordedEvent)
    }

    /// How many events the log holds.
    public func eventCount() throws -> Int64 {
        try connection.query("SELECT count(*) AS n FROM vigil.events").first?.int64("n") ?? 0
    }

    /// A row's place in commit order, from its `global_position` and `transaction_id`.
    static func checkpoint(_ row: Row) throws -> Checkpoint {
        let position = try row.int64("global_position")
        guard let xid = UInt64(try row.string("transaction_id")) else {
            throw EventStoreError.corruptEvent(position: position, reason: "transaction id is not a number")
        }
        return Checkpoint(transactionId: xid, position: position)
    }

    public static func recordedEvent(_ row: Row) throws -> RecordedEvent {
        let place = try checkpoint(row)
        return RecordedEvent(
            position: place.position, transactionId: place.transactionId, streamId: try row.string("stream_id"),
            version: try row.int64("stream_version"), id: try row.uuid("event_id"),
            type: try row.string("event_type"), schemaVersion: try row.int("schema_version"),
            data: try row.string("data"), metadata: try row.string("metadata"),
            commandId: try row.text("command_id"), actor: try row.string("actor"),
            recordedAt: try row.date("recorded_at"))
    }
}
