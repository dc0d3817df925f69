import EventStore
import Foundation
import PostgresClient
import Testing
import VigilTestSupport

/// The built `vigil` binary against a real database, read back as JSON.
@Suite("vigil CLI end to end", .serialized)
struct CLITests {
    let database: String

    init() throws {
        database = try TestDatabase.create("cli")
    }

    func vigil(_ arguments: String...) throws -> VigilBinary.Run {
        try VigilBinary.run(arguments, database: database)
    }

    func eventCount() throws -> Int64 { try EventStore(connection: try TestDatabase.connect(database)).eventCount() }

    func registerWashington() throws {
        let run = try vigil(
            "mission", "register", "prc-embassy-washington", "--name", "Embassy of the People's Republic of China",
            "--sending-state", "CN", "--kind", "embassy", "--city", "Washington", "--country", "US",
            "--zone", "America/New_York", "--idempotency-key", "register-washington")
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test("register, schedule, record as held and report, read back as JSON")
    func slice() throws {
        try registerWashington()
        let scheduled = try VigilBinary.json(
            ["gathering", "schedule", "dc-vigil-2004", "--mission", "prc-embassy-washington", "--kind", "vigil",
             "--at", "2004-12-22 12:00", "--expected", "100", "--organiser", "North Korea Freedom Coalition"],
            database: database) as? [String: Any]
        let events = try #require(scheduled?["events"] as? [[String: Any]])
        #expect(events.first?["type"] as? String == "GatheringScheduled")
        let data = try #require(events.first?["data"] as? [String: Any])
        #expect(data["startsAt"] as? String == "2004-12-22T17:00:00Z")
        #expect(data["timeZone"] as? String == "America/New_York")

        let held = try vigil("gathering", "held", "dc-vigil-2004", "--attendance", "100", "--notes", "탈북자 명단 낭독")
        #expect(held.status == 0, "\(held.stderr)")

        let report = try #require(try VigilBinary.json(["report", "missions"], database: database) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        let row = try #require(rows.first { ($0["mission"] as? [String: Any])?["missionId"] as? String == "prc-embassy-washington" })
        let figures = try #require(row["figures"] as? [String: Int])
        #expect(figures["gatheringsScheduled"] == 1)
        #expect(figures["gatheringsHeld"] == 1)
        #expect(figures["attendanceReported"] == 100)
        #expect(row["firstHeldLocal"] as? String == "2004-12-22 12:00")

        let table = try vigil("report", "missions")
        #expect(table.stdout.contains("prc-embassy-washington"))
        let csv = try vigil("report", "missions", "--format", "csv")
        #expect(csv.stdout.hasPrefix("mission,kind,city,country"))
        #expect(report["behindLog"] != nil)

        let verify = try vigil("audit", "verify", "--format", "json")
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("\"holds\":true"))
    }

    @Test("a command retried with its idempotency key prints the first result and appends nothing")
    func idempotency() throws {
        try registerWashington()
        let before = try eventCount()
        let again = try vigil(
            "mission", "register", "prc-embassy-washington", "--name", "Embassy of the People's Republic of China",
            "--sending-state", "CN", "--kind", "embassy", "--city", "Washington", "--country", "US",
            "--zone", "America/New_York", "--idempotency-key", "register-washington", "--format", "json")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\"duplicate\":true"))
        #expect(try eventCount() == before)
    }

    @Test(
        "bad input: a clear message, a non-zero exit, and the log unchanged",
        arguments: [
            (["gathering", "schedule", "g-unknown", "--mission", "no-such-mission", "--kind", "vigil", "--at", "2004-12-22 12:00"],
             "no mission \"no-such-mission\" is on record"),
            (["gathering", "held", "dc-vigil-2004", "--attendance=-1"], "a count cannot be negative"),
            (["mission", "register", "prc-consulate-nowhere", "--name", "X", "--sending-state", "CN", "--kind", "consulate",
              "--city", "Nowhere", "--country", "US", "--zone", "America/Nowhere"], "is not an IANA time zone"),
            (["gathering", "schedule", "g-bad-date", "--mission", "prc-embassy-washington", "--kind", "vigil", "--at", "22 Dec 2004"],
             "is not a local date and time"),
            (["gathering", "schedule", "g-gap", "--mission", "prc-embassy-washington", "--kind", "vigil", "--at", "2004-04-04 02:30"],
             "the clocks jump to 03:00"),
            (["gathering", "schedule", "g-kind", "--mission", "prc-embassy-washington", "--kind", "sit-in", "--at", "2004-12-22 12:00"],
             "is invalid for '--kind <kind>'"),
            (["gathering", "schedule", "Bad Id", "--mission", "prc-embassy-washington", "--kind", "vigil", "--at", "2004-12-22 12:00"],
             "is not an id"),
            (["gathering", "held", "never-scheduled"], "no gathering \"never-scheduled\""),
            (["mission", "register", "prc-embassy-washington", "--name", "Again", "--sending-state", "CN", "--kind", "embassy",
              "--city", "Washington", "--country", "US", "--zone", "America/New_York"], "already exists"),
            (["report", "missions", "--country", "XX"], "is not an ISO 3166 country code"),
        ])
    func badInput(arguments: [String], message: String) throws {
        try registerWashington()
        _ = try vigil(
            "gathering", "schedule", "dc-vigil-2004", "--mission", "prc-embassy-washington", "--kind", "vigil",
            "--at", "2004-12-22 12:00", "--idempotency-key", "schedule-dc")
        let before = try eventCount()
        let run = try VigilBinary.run(arguments, database: database)
        #expect(run.status != 0)
        #expect(run.stderr.contains(message), "stderr was: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(try eventCount() == before)
    }

    @Test("an unreachable database: one line naming the host or socket, never the password, non-zero exit")
    func unreachable() throws {
        let tcp = try VigilBinary.run(
            ["report", "missions"], database: database,
            environment: ["VIGIL_DATABASE_URL": "postgresql://organiser:hunter2-secret@127.0.0.1:1/vigil?connect_timeout=2"])
        #expect(tcp.status == 7)
        #expect(tcp.stderr.contains("127.0.0.1:1"))
        #expect(!tcp.stderr.contains("hunter2"))
        #expect(tcp.stderr.split(separator: "\n").count == 1)
        let socket = try VigilBinary.run(
            ["mission", "close", "prc-embassy-washington", "--reason", "x"], database: database,
            environment: ["PGHOST": "/nonexistent/socket-dir"])
        #expect(socket.status == 7)
        #expect(socket.stderr.contains("/nonexistent/socket-dir/.s.PGSQL"))
        // libpq's own parse errors quote the connection string they stumbled on, password and all.
        for url in ["postgresql://organiser:hunter2-secret@[::1/vigil", "host=/tmp password hunter2-secret", "postgresql://o:hunter2-secret@h/db?nope=1"] {
            let bad = try VigilBinary.run(["report", "missions"], database: database, environment: ["VIGIL_DATABASE_URL": url])
            #expect(bad.status == 7, "\(bad.stderr)")
            #expect(!bad.stderr.contains("hunter2"), "\(bad.stderr)")
            #expect(bad.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test("a login without the role a command needs is refused, naming the role; nothing is appended")
    func failsClosed() throws {
        let login = "\(database)_auditor"
        let owner = try TestDatabase.connect(database)
        try owner.execute("CREATE ROLE \(try owner.quoteIdentifier(login)) LOGIN IN ROLE vigil_auditor")
        defer { _ = try? owner.execute("DROP ROLE IF EXISTS \(try owner.quoteIdentifier(login))") }
        let before = try eventCount()
        let run = try VigilBinary.run(
            ["mission", "register", "prc-x", "--name", "X", "--sending-state", "CN", "--kind", "embassy", "--city", "W",
             "--country", "US", "--zone", "America/New_York"], database: database, environment: ["PGUSER": login])
        #expect(run.status == 9, "\(run.stderr)")
        #expect(run.stderr.contains("is not a member of vigil_writer"), "\(run.stderr)")
        #expect(try eventCount() == before)
        #expect(try VigilBinary.run(["audit", "log"], database: database, environment: ["PGUSER": login]).status == 0)
    }

    @Test("a login that holds vigil_writer alone records a command and is warned that the read models wait for vigil_projector")
    func writerWithoutProjector() throws {
        let login = "\(database)_writer_only"
        let owner = try TestDatabase.connect(database)
        try owner.execute("CREATE ROLE \(try owner.quoteIdentifier(login)) LOGIN IN ROLE vigil_writer")
        defer { _ = try? owner.execute("DROP ROLE IF EXISTS \(try owner.quoteIdentifier(login))") }
        let before = try eventCount()
        let run = try VigilBinary.run(
            ["mission", "register", "prc-writer-only", "--name", "X", "--sending-state", "CN", "--kind", "embassy", "--city", "W",
             "--country", "US", "--zone", "America/New_York"], database: database, environment: ["PGUSER": login])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("read models could not be brought up to date") && run.stderr.contains("vigil_projector"), "\(run.stderr)")
        #expect(try eventCount() == before + 1)
        // The event records the login that acted.
        let loginRecorded = try owner.query(
            "SELECT metadata ->> 'login' AS login FROM vigil.events WHERE stream_id = 'mission-prc-writer-only'").first?.string("login")
        #expect(loginRecorded == login)
    }

    @Test("CSV cells a spreadsheet would run as a formula are written as text")
    func csvFormulas() throws {
        _ = try vigil(
            "mission", "register", "prc-formula", "--name", "=HYPERLINK(\"http://x\")", "--sending-state", "CN", "--kind", "embassy",
            "--city", "=1+1", "--country", "US", "--zone", "America/New_York")
        let csv = try vigil("report", "missions", "--format", "csv")
        #expect(csv.status == 0)
        #expect(csv.stdout.contains(",'=1+1,"), "\(csv.stdout)")
        #expect(!csv.stdout.contains(",=1+1,"))
    }

    @Test("migrating twice through the CLI is a no-op")
    func migrateTwice() throws {
        let first = try vigil("db", "migrate")
        let second = try vigil("db", "migrate")
        #expect(first.status == 0 && second.status == 0)
        #expect(second.stdout == "schema is up to date\n")
    }
}
