import Foundation
import PostgresClient
import Testing
import VigilTestSupport

@Suite("PostgreSQL client")
struct PostgresClientTests {
    let database: String

    init() throws {
        database = try TestDatabase.create("client")
    }

    func connect() throws -> Connection { try TestDatabase.connect(database) }

    @Test("values round-trip as bound parameters, whatever their script or quotes")
    func parametersRoundTrip() throws {
        let db = try connect()
        let texts = [
            "탈북자 강제북송 중단하라", "停止遣返脱北者", "O'Brien; DROP TABLE vigil.events; --", "\\x00 \"quoted\" $1",
            "tab\there\nnewline", "",
        ]
        for text in texts {
            let rows = try db.query("SELECT \(text)::text AS t, length(\(text)::text) AS n")
            #expect(try rows[0].string("t") == text)
            #expect(try rows[0].int("n") == text.count)
        }
        let nothing: String? = nil
        #expect(try db.query("SELECT \(nothing)::text AS t")[0].text("t") == nil)
        // The events table is still there: the metacharacters above were data, not SQL.
        #expect(try db.query("SELECT count(*) AS n FROM vigil.events")[0].int("n") == 0)
    }

    @Test("an array literal round-trips quotes, backslashes, braces, commas, NULL, \"NULL\" and other scripts")
    func arrayLiteral() throws {
        let db = try connect()
        let values: [String?] = ["탈북자 \"강제\"", "back\\slash\\", "{a,b}", "NULL", nil, "", " spaced ", "😀,\n"]
        let rows = try db.query("SELECT v FROM unnest(\(PostgresArray.literal(values))::text[]) WITH ORDINALITY AS u(v, i) ORDER BY i")
        #expect(try rows.map { try $0.text("v") } == values)
    }

    @Test("a server error carries its SQLSTATE, constraint and message")
    func typedErrors() throws {
        let db = try connect()
        try db.execute("CREATE TABLE t_unique (id int CONSTRAINT t_unique_pk PRIMARY KEY)")
        try db.query("INSERT INTO t_unique VALUES (\(1))")
        let error = try #require(throws: PostgresError.self) { try db.query("INSERT INTO t_unique VALUES (\(1))") }
        #expect(error.sqlState == .uniqueViolation)
        #expect(error.constraint == "t_unique_pk")
        #expect(error.kind == .server)
        let syntax = try #require(throws: PostgresError.self) { try db.query("SELEC 1") }
        #expect(syntax.sqlState?.errorClass == "42")
        // The connection is still usable after an error.
        #expect(try db.query("SELECT 1 AS one")[0].int("one") == 1)
    }

    @Test("withTransaction commits, or rolls back when the body throws")
    func transactions() throws {
        let db = try connect()
        try db.execute("CREATE TABLE t_tx (n int)")
        try db.withTransaction { try db.query("INSERT INTO t_tx VALUES (\(1))") }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.withTransaction {
                try db.query("INSERT INTO t_tx VALUES (\(2))")
                throw Boom()
            }
        }
        #expect(try db.query("SELECT array_agg(n)::text AS a FROM t_tx")[0].string("a") == "{1}")
    }

    @Test("withTransaction runs at the level it names, whatever the session's default (a login's PGOPTIONS)")
    func transactionLevelNamed() throws {
        let db = try connect()
        try db.execute("SET default_transaction_isolation = 'repeatable read'")
        #expect(try db.withTransaction { try db.query("SHOW transaction_isolation")[0].string("transaction_isolation") } == "read committed")
        #expect(try db.withTransaction(.serializable) { try db.query("SHOW transaction_isolation")[0].string("transaction_isolation") } == "serializable")
    }

    @Test("a pipeline returns every result in order, and is all-or-nothing")
    func pipeline() throws {
        let db = try connect()
        try db.execute("CREATE TABLE t_pipe (n int PRIMARY KEY)")
        let inserts: [PostgresQuery] = (1...1_000).map { "INSERT INTO t_pipe VALUES (\($0)) RETURNING n" }
        let results = try db.pipeline(inserts)
        #expect(results.count == 1_000)
        #expect(try results[999][0].int("n") == 1_000)
        // One failing statement (a duplicate key) and nothing of the batch stays.
        let failing: [PostgresQuery] = [
            "INSERT INTO t_pipe VALUES (\(5001))", "INSERT INTO t_pipe VALUES (\(1))", "INSERT INTO t_pipe VALUES (\(5002))",
        ]
        let error = try #require(throws: PostgresError.self) { try db.pipeline(failing) }
        #expect(error.sqlState == .uniqueViolation)
        #expect(try db.query("SELECT count(*) AS n FROM t_pipe")[0].int("n") == 1_000)
        #expect(try db.query("SELECT 2 AS two")[0].int("two") == 2)
    }

    @Test("COPY FROM STDIN streams rows with tabs, newlines, backslashes and NULLs intact")
    func copyIn() throws {
        let db = try connect()
        try db.execute("CREATE TABLE t_copy (n int, s text)")
        let rows = (0..<20_000).lazy.map { i -> [String?] in [String(i), i % 7 == 0 ? nil : "행 \(i)\t\\N\n\\"] }
        let copied = try db.copyIn("COPY t_copy (n, s) FROM STDIN", rows: rows)
        #expect(copied == 20_000)
        let check = try db.query(
            "SELECT count(*) FILTER (WHERE s IS NULL) AS nulls, max(s) FILTER (WHERE n = 1) AS one FROM t_copy")
        #expect(try check[0].int("nulls") == (0..<20_000).filter { $0 % 7 == 0 }.count)
        #expect(try check[0].string("one") == "행 1\t\\N\n\\")
        // A bad row aborts the COPY with the server's error, and nothing is kept.
        #expect(throws: PostgresError.self) {
            try db.copyIn("COPY t_copy (n, s) FROM STDIN", rows: [["1", "a"], ["not a number", "b"]])
        }
        #expect(try db.query("SELECT count(*) AS n FROM t_copy")[0].int("n") == 20_000)
    }

    @Test("COPY in binary: uuid, bytea, boolean, text and NULL arrive as they were, pieces one after another")
    func copyInBinary() throws {
        let db = try connect()
        try db.execute("CREATE TABLE t_copy_binary (id uuid, b bytea, f boolean, s text)")
        let id = UUID()
        var first = BinaryCopyRows()
        first.startRow(fields: 4)
        first.append(uuid: id)
        first.append([0, 1, 0xFF, 0x5C, 0x0A] as [UInt8])
        first.append(bool: true)
        first.append(text: "행\t\\N")
        var second = BinaryCopyRows()
        for i in 0..<3 {
            second.startRow(fields: 4)
            second.append(uuid: UUID())
            second.append([UInt8]())
            second.append(bool: false)
            if i == 1 { second.appendNull() } else { second.append(text: "row \(i)") }
        }
        #expect(try db.copyIn("COPY t_copy_binary FROM STDIN WITH (FORMAT binary)", binary: [first, second]) == 4)
        let row = try db.query("SELECT encode(b, 'hex') AS b, f, s FROM t_copy_binary WHERE id = \(id)")[0]
        #expect(try row.string("b") == "0001ff5c0a")
        #expect(try row.bool("f"))
        #expect(try row.string("s") == "행\t\\N")
        #expect(try db.query("SELECT count(*) AS n FROM t_copy_binary WHERE s IS NULL AND b = ''::bytea")[0].int("n") == 1)
        // A row with a field too few is refused by the server, and nothing is kept.
        var short = BinaryCopyRows()
        short.startRow(fields: 4)
        short.append(uuid: UUID())
        #expect(throws: PostgresError.self) { try db.copyIn("COPY t_copy_binary FROM STDIN WITH (FORMAT binary)", binary: [short]) }
        #expect(try db.query("SELECT count(*) AS n FROM t_copy_binary")[0].int("n") == 4)
    }

    @Test("LISTEN/NOTIFY delivers after commit, and a wait with nothing to hear times out")
    func listenNotify() throws {
        let listener = try connect()
        let sender = try connect()
        try listener.listen("vigil_test_channel")
        #expect(try listener.waitForNotification(timeout: 0.2) == nil)
        try sender.withTransaction {
            try sender.notify("vigil_test_channel", payload: "탈북자")
            #expect(try listener.waitForNotification(timeout: 0.2) == nil)
        }
        let heard = try #require(try listener.waitForNotification(timeout: 5))
        #expect(heard.channel == "vigil_test_channel")
        #expect(heard.payload == "탈북자")
        #expect(heard.senderPID == sender.backendPID)
    }

    @Test("a connection that fails says where it tried in one line, never the password")
    func connectionFailure() throws {
        let error = try #require(throws: PostgresError.self) {
            try Connection(conninfo: "postgresql://organiser:hunter2-secret@127.0.0.1:1/vigil", connectTimeoutSeconds: 2)
        }
        #expect(error.kind == .connection)
        #expect(error.message.contains("127.0.0.1:1"))
        #expect(!error.message.contains("hunter2"))
        #expect(!error.description.contains("hunter2"))
        #expect(!error.message.contains("\n"))
        let socket = try #require(throws: PostgresError.self) { try Connection(conninfo: "host=/nonexistent/dir") }
        #expect(socket.message.contains("/nonexistent/dir/.s.PGSQL"))
    }

    @Test("a URL naming several servers, none of them up, names each host tried, never the password")
    func multiHostFailure() throws {
        let error = try #require(throws: PostgresError.self) {
            try Connection(
                conninfo: "postgresql://organiser:hunter2-secret@127.0.0.1:1,127.0.0.1:2/vigil?target_session_attrs=read-write",
                connectTimeoutSeconds: 2)
        }
        #expect(error.kind == .connection)
        #expect(error.message.contains("any of the 2 servers named"))
        #expect(error.message.contains("port 1") && error.message.contains("port 2"))
        #expect(!error.message.contains("hunter2"))
        #expect(!error.description.contains("hunter2"))
        #expect(!error.message.contains("\n"))
    }

    @Test("a closed connection refuses work with an error, and closing twice is safe")
    func closedConnection() throws {
        let db = try connect()
        db.close()
        db.close()
        #expect(throws: PostgresError.self) { try db.query("SELECT 1") }
    }

    @Test("timestamps come back as the instants that went in")
    func timestamps() throws {
        let db = try connect()
        let instant = Date(timeIntervalSince1970: 1_103_734_800.123456)  // 2004-12-22 17:00:00.123456 UTC
        let row = try db.query("SELECT \(instant)::timestamptz AS t, \(instant)::timestamptz::text AS s")[0]
        #expect(abs(try row.date("t").timeIntervalSince1970 - instant.timeIntervalSince1970) < 0.000_01)
        #expect(try row.string("s") == "2004-12-22 17:00:00.123456+00")
        // Before 1970 and after 2100 too, to the microsecond.
        for seconds in [0, -14_182_940.5, 7_258_118_399.999999, 1_700_000_000.000001] {
            let date = Date(timeIntervalSince1970: seconds)
            let back = try db.query("SELECT \(date)::timestamptz AS t")[0].date("t")
            #expect(abs(back.timeIntervalSince1970 - seconds) < 0.000_001, "\(seconds) came back as \(back.timeIntervalSince1970)")
        }
    }
}
