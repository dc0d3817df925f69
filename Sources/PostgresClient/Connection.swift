import Foundation
internal import CLibPQ

/// One connection to PostgreSQL over libpq. It owns its handle and frees it exactly once.
///
/// A connection is used by one thread at a time; open one per thread or task that talks to the server.
public final class Connection {
    var handle: OpaquePointer?
    var preparedNames: [String: String] = [:]
    /// Where this connection goes, for messages: a socket path or host and port, never a password.
    public let endpoint: String

    /// Connects with `conninfo` (a `postgresql://` URL or `key=value` pairs); without it, with
    /// `VIGIL_DATABASE_URL`, and without that, with libpq's `PG*` environment variables.
    ///
    /// Sessions run in UTC with ISO dates; a transaction left idle for a minute is ended by the server, so
    /// that one stuck client cannot hold back every reader of the log; and a statement (a lock wait
    /// included) is cancelled after `statementTimeoutSeconds`.
    public init(
        conninfo: String? = nil, applicationName: String = "vigil", connectTimeoutSeconds: Int = 10,
        statementTimeoutSeconds: Int = 300
    ) throws {
        let target = conninfo ?? ProcessInfo.processInfo.environment["VIGIL_DATABASE_URL"]
        // Later entries override earlier ones, so a URL that names its own options wins over these defaults.
        var pairs: [(String, String)] = [
            ("connect_timeout", String(connectTimeoutSeconds)),
            ("application_name", applicationName),
            // Swift's strings are UTF-8, and so is what Vigil hashes (a command's event ids, 0037): the
            // server converts to and from the database's encoding, whatever the environment says.
            ("client_encoding", "UTF8"),
            // libpq reads PGOPTIONS only when no `options` is given, so it is added after these (a later
            // -c wins): `vigil serve` makes its sessions read-only that way.
            ("options", "-c TimeZone=UTC -c DateStyle=ISO -c idle_in_transaction_session_timeout=60000 -c client_min_messages=warning -c statement_timeout=\(statementTimeoutSeconds * 1000)"
                + (ProcessInfo.processInfo.environment["PGOPTIONS"].map { " " + $0 } ?? "")),
            // No wait on the network is unbounded: a dead peer is noticed by keepalives within a minute,
            // and unacknowledged data times out after as long.
            ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
            ("tcp_user_timeout", "60000"),
        ]
        if let target, !target.isEmpty {
            // libpq's parse errors quote the text they stumbled on, which can be a password
            // (`missing "=" after "hunter2"`): check the syntax first and say only what is wrong.
            var error: UnsafeMutablePointer<CChar>?
            guard let options = PQconninfoParse(target, &error) else {
                if let error { PQfreemem(error) }
                throw PostgresError(
                    kind: .connection, sqlState: .connectionFailure,
                    message: "cannot connect to PostgreSQL: the connection string is not valid libpq syntax",
                    hint: "check VIGIL_DATABASE_URL: postgresql://USER@HOST:PORT/DB or key=value pairs")
            }
            PQconninfoFree(options)
            pairs.append(("dbname", target))
        }
        let conn: OpaquePointer? = withCStrings(pairs.map(\.0)) { keys in
            withCStrings(pairs.map(\.1)) { values in
                PQconnectdbParams(keys, values, 1)
            }
        }
        guard let conn else {
            throw PostgresError(kind: .connection, message: "cannot connect to PostgreSQL: libpq is out of memory")
        }
        endpoint = Connection.describeEndpoint(conn)
        guard PQstatus(conn) == CONNECTION_OK else {
            // libpq says `connection to server on socket "…" failed: reason`; the endpoint is named already.
            // A URL that names several hosts (failover) gets one such line per host tried, each naming its
            // host and port: keep them all, since the endpoint is only the last one tried.
            var reason = Connection.oneLine(PQerrorMessage(conn), separator: "; ")
            let tried = reason.components(separatedBy: "connection to server").count - 1
            if tried <= 1, let range = reason.range(of: "failed: ") { reason = String(reason[range.upperBound...]) }
            PQfinish(conn)
            var (what, next) = Connection.explain(reason)
            if tried > 1 && next == Connection.startTheServer {
                next = "none of the servers the URL names is up: start them (with pg_auto_failover, scripts/failover status says which is down), then retry the command with the same --idempotency-key"
            }
            let place = tried > 1 ? "any of the \(tried) servers named" : endpoint
            throw PostgresError(
                kind: .connection, sqlState: .connectionFailure,
                message: "cannot connect to PostgreSQL at \(place): \(what)", hint: next)
        }
        // libpq prints notices and some server messages ("FATAL: terminating connection…") to stderr
        // itself; Vigil reports what matters in its own one-line errors instead.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        handle = conn
    }

    deinit { close() }

    /// Closes the connection. Safe to call more than once; the handle is freed the first time.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        preparedNames = [:]
    }

    /// The connection's handle, or an error when it was closed.
    func live() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .client, message: "the connection to \(endpoint) is closed")
        }
        return handle
    }

    /// Whether the server is still there as far as libpq knows.
    public var isOpen: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Whether the connection is open and outside any transaction (no statement running, none open).
    public var isIdle: Bool { isOpen && handle.map { PQtransactionStatus($0) == PQTRANS_IDLE } ?? false }

    /// Whether a transaction block is open on this connection and has not failed.
    public var isInTransaction: Bool { isOpen && handle.map { PQtransactionStatus($0) == PQTRANS_INTRANS } ?? false }

    /// The backend process id, for cancelling or terminating this session from another one.
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    // MARK: Statements

    /// Runs one statement with bound parameters and returns its rows.
    ///
    /// With `prepared`, the statement is parsed once per connection and reused: use it for statements
    /// that run many times.
    @discardableResult
    public func query(_ query: PostgresQuery, prepared: Bool = false) throws -> Rows {
        let conn = try live()
        if prepared {
            let name = try prepare(query.sql)
            let result = withCStrings(query.parameters) { values in
                PQexecPrepared(conn, name, Int32(query.parameters.count), values, nil, nil, 0)
            }
            return try consume(result)
        }
        let result = withCStrings(query.parameters) { values in
            PQexecParams(conn, query.sql, Int32(query.parameters.count), nil, values, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs SQL text that may hold several statements and no parameters (migrations, `BEGIN`, `SET`).
    public func execute(_ sql: String) throws {
        let conn = try live()
        _ = try consume(PQexec(conn, sql))
    }

    /// Prepares `sql` once on this connection and returns the statement's name.
    func prepare(_ sql: String) throws -> String {
        if let name = preparedNames[sql] { return name }
        let conn = try live()
        let name = "vigil_\(preparedNames.count + 1)"
        _ = try consume(PQprepare(conn, name, sql, 0, nil))
        preparedNames[sql] = name
        return name
    }

    /// Quotes an identifier (a table, channel or role name) so that it is taken as one name.
    public func quoteIdentifier(_ name: String) throws -> String {
        let conn = try live()
        guard let quoted = PQescapeIdentifier(conn, name, name.utf8.count) else {
            throw lastError(conn, "cannot quote identifier")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    // MARK: Results

    /// Checks a result, copies its rows out and clears it. Every `PGresult` goes through here or
    /// through `check`, so each is cleared exactly once and no C pointer outlives the call.
    func consume(_ result: OpaquePointer?) throws -> Rows {
        guard let result else { throw lastError(handle, "no result from the server") }
        defer { PQclear(result) }
        try check(result)
        return Connection.copyRows(result)
    }

    /// Throws the server's error when `result` is not a success.
    func check(_ result: OpaquePointer) throws {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_EMPTY_QUERY,
            PGRES_PIPELINE_SYNC, PGRES_SINGLE_TUPLE:
            return
        case PGRES_PIPELINE_ABORTED:
            throw PostgresError(kind: .server, message: "statement skipped: an earlier statement in the pipeline failed")
        default:
            let error = Connection.serverError(result)
            // A connection lost mid-statement ("server closed the connection unexpectedly", a failover or
            // a restart) is libpq's own error, with no SQLSTATE: say it is the connection, so that whoever
            // reconnects on a lost connection (projections run) does so.
            if error.sqlState == nil, let handle, PQstatus(handle) != CONNECTION_OK {
                throw PostgresError(
                    kind: .connection, sqlState: .connectionFailure, message: "the connection to \(endpoint) was lost: \(error.message)",
                    hint: "what was being done may or may not have taken effect: retry the command with the same --idempotency-key (nothing is appended twice)")
            }
            throw error
        }
    }

    static func serverError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let message = field(Int32(UInt8(ascii: "M"))) ?? oneLine(PQresultErrorMessage(result))
        return PostgresError(
            kind: .server,
            sqlState: field(Int32(UInt8(ascii: "C"))).map(SQLState.init),
            constraint: field(Int32(UInt8(ascii: "n"))),
            table: field(Int32(UInt8(ascii: "t"))),
            message: message,
            detail: field(Int32(UInt8(ascii: "D"))),
            hint: field(Int32(UInt8(ascii: "H"))))
    }

    static func copyRows(_ result: OpaquePointer) -> Rows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var columns: [String] = []
        columns.reserveCapacity(columnCount)
        for c in 0..<columnCount { columns.append(String(cString: PQfname(result, Int32(c)))) }
        var values: [[String?]] = []
        values.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var row: [String?] = []
            row.reserveCapacity(columnCount)
            for c in 0..<columnCount {
                if PQgetisnull(result, Int32(r), Int32(c)) != 0 {
                    row.append(nil)
                } else {
                    let length = Int(PQgetlength(result, Int32(r), Int32(c)))
                    let bytes = UnsafeRawPointer(PQgetvalue(result, Int32(r), Int32(c))!)
                    row.append(String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self))
                }
            }
            values.append(row)
        }
        let tuples = String(cString: PQcmdTuples(result))
        return Rows(columns: columns, values: values, affectedRows: Int(tuples))
    }

    func lastError(_ conn: OpaquePointer?, _ fallback: String) -> PostgresError {
        let text = conn.map { Connection.oneLine(PQerrorMessage($0)) } ?? ""
        let lost = conn.map { PQstatus($0) != CONNECTION_OK } ?? true
        return PostgresError(
            kind: lost ? .connection : .client, sqlState: lost ? .connectionFailure : nil,
            message: text.isEmpty ? fallback : text)
    }

    /// libpq's messages span lines ("…failed: …\n\tIs the server running…"); a CLI prints one.
    static func oneLine(_ text: UnsafePointer<CChar>?, separator: String = " ") -> String {
        guard let text else { return "" }
        return String(cString: text)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: separator)
    }

    /// What a failed connection's reason (libpq's words, which name the login and the host, never a
    /// password or the connection string) means, and what to do about it.
    static func explain(_ reason: String) -> (what: String, next: String) {
        let cases: [(String, String, String)] = [
            ("password authentication failed", "the server refused the password for this login",
             "check the password you were given (PGPASSWORD or ~/.pgpass); the coalition's administrator can set a new one"),
            ("is not permitted to log in", "this login is disabled (vigil admin disable)",
             "ask the coalition's administrator: a disabled login records nothing until it is enabled again"),
            ("no password supplied", "the server asks for a password and none was given",
             "give your password in PGPASSWORD or ~/.pgpass, never in the URL"),
            ("certificate verify failed", "the server's certificate is not signed by the certificate authority in sslrootcert (or it has expired)",
             "point sslrootcert at the coalition's ca.crt from its administrator; if that is the one, ask them to renew the server's certificate"),
            ("does not match host name", "the server's certificate is not for the host name you connected to",
             "connect with the host name the administrator gave you (the one in the server's certificate)"),
            ("root certificate file", "the certificate authority's file named by sslrootcert cannot be read",
             "save the coalition's ca.crt and point sslrootcert at it"),
            ("rejects connection", "the server refuses this kind of connection",
             "connect over TLS with sslmode=verify-full to the database you were given; the server accepts nothing else"),
            ("no pg_hba.conf entry", "the server has no rule letting this login into this database from here",
             "connect over TLS with sslmode=verify-full to the database you were given, or ask the administrator to allow your address"),
            ("SSL SYSCALL error", closedDuringTLS.what, closedDuringTLS.next),
            ("SSL connection has been closed unexpectedly", closedDuringTLS.what, closedDuringTLS.next),
            ("server does not support SSL", "the server does not speak TLS",
             "check the host and port: a coalition's server always speaks TLS"),
        ]
        // target_session_attrs=read-write (the failover URL) skips a standby: if it is the only server
        // up, no server accepts writes until the monitor promotes it.
        if reason.contains("session is read-only") || reason.contains("server is in hot standby mode") {
            return ("no server accepts writes: the one that answered is a standby (\(reason))",
                    "a failover may be under way: retry the command with the same --idempotency-key in a few seconds (nothing is appended twice); if this lasts, check the failover monitor (scripts/failover status)")
        }
        for (mark, what, next) in cases where reason.contains(mark) { return ("\(what) (\(reason))", next) }
        return (reason, startTheServer)
    }

    /// A server that went away while TLS was being set up: libpq says so in two ways.
    static let closedDuringTLS = (
        what: "the server closed the connection while TLS was being set up (it may be shutting down, or a failover under way)",
        next: "retry in a few seconds, with the same --idempotency-key for a command (nothing is appended twice); if this lasts, ask the server's administrator")

    /// What to do when no server answered and libpq's reason says nothing more particular.
    static let startTheServer = "start the server (scripts/db start) or set VIGIL_DATABASE_URL"

    static func describeEndpoint(_ conn: OpaquePointer) -> String {
        let host = PQhost(conn).map { String(cString: $0) } ?? ""
        let port = PQport(conn).map { String(cString: $0) } ?? ""
        if host.hasPrefix("/") || host.isEmpty {
            let dir = host.isEmpty ? "the default socket directory" : host
            return "socket \(dir)/.s.PGSQL.\(port.isEmpty ? "5432" : port)"
        }
        return port.isEmpty ? host : "\(host):\(port)"
    }
}

/// Calls `body` with a C array of NUL-terminated copies of `strings` (nil stays NULL), valid only inside it.
func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { for copy in copies { free(copy) } }
    return try body(copies.map { $0.map { UnsafePointer($0) } })
}

func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for copy in copies { free(copy) } }
    return try body(copies.map { $0.map { UnsafePointer($0) } })
}
