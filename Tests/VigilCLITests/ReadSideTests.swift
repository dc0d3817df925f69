import EventStore
import Foundation
import PostgresClient
import Testing
import VigilTestSupport

@Suite("The read side through the CLI", .serialized)
struct ReadSideTests {
    let database: String

    init() throws {
        database = try TestDatabase.create("readside")
        let load = try VigilBinary.run(["seed", "load", "--dir", BadInput.fixtures.path], database: database)
        guard load.status == 0 else { throw TestFailure("fixture: \(load.stderr)") }
    }

    @Test("on a database whose projections never ran, status and reports say every read model is behind, not up to date")
    func neverRun() throws {
        let fresh = try TestDatabase.create("never_run")
        let store = EventStore(connection: try TestDatabase.connect(fresh, as: "vigil_writer"))
        let registered = #"{"missionId": "prc-embassy-oslo", "name": "Embassy", "sendingState": "CN", "kind": "embassy", "city": "Oslo", "country": "NO", "timeZone": "Europe/Oslo"}"#
        try store.append(
            to: "mission-prc-embassy-oslo", expected: .noStream, events: [NewEvent(type: "MissionRegistered", data: registered)],
            metadata: EventMetadata(commandId: UUID().uuidString, actor: "test"))
        let status = try #require(try VigilBinary.json(["projections", "status"], database: fresh) as? [[String: Any]])
        #expect(Set(status.compactMap { $0["projection"] as? String }) == ["activity", "campaigns", "missions", "weekly"], "\(status)")
        #expect(status.allSatisfy { ($0["eventsBehind"] as? Int) == 1 }, "\(status)")
        let report = try VigilBinary.run(["report", "missions"], database: fresh)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(!report.stdout.contains("up to date") && report.stdout.contains("behind"), "\(report.stdout)")
    }

    @Test("projections rebuild takes one name or several (one pass) or --all, and refuses an unknown, repeated or missing name without touching anything")
    func rebuildNames() throws {
        let two = try VigilBinary.run(["projections", "rebuild", "activity", "weekly"], database: database)
        #expect(two.status == 0 && two.stderr.contains("rebuilt activity, weekly:"), "\(two.stderr)")
        for (arguments, says) in [
            (["projections", "rebuild"], "name one projection or more, or give --all"),
            (["projections", "rebuild", "--all", "activity"], "name one projection or more, or give --all"),
            (["projections", "rebuild", "activity", "activity"], "a projection is named twice"),
            (["projections", "rebuild", "activity", "nonesuch"], "no projection \"nonesuch\""),
        ] {
            let refused = try VigilBinary.run(arguments, database: database)
            #expect(refused.status != 0 && refused.stderr.contains(says), "\(arguments): \(refused.stderr)")
            #expect(!refused.stderr.contains("rebuilt"), "\(arguments): \(refused.stderr)")
        }
        let owner = try TestDatabase.connect(database)
        #expect(try owner.query("SELECT count(*) AS n FROM vigil_read.checkpoints WHERE projection LIKE '%#rebuild'")[0].int("n") == 0)
    }

    @Test("projections run follows events written behind its back, and stops cleanly on SIGTERM")
    func runnerFollowsAndStops() throws {
        let process = try VigilBinary.start(["projections", "run"], database: database)
        defer { if process.isRunning { process.terminate() } }

        // An event appended straight to the log, bypassing the commands that would catch up inline.
        let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        let held = #"{"gatheringId": "g-scheduled", "reportedAttendance": 12, "recordedAt": "2024-12-22T23:00:00Z"}"#
        let version = try store.version(of: "gathering-g-scheduled")
        try store.append(
            to: "gathering-g-scheduled", expected: .exact(version), events: [NewEvent(type: "GatheringHeld", data: held)],
            metadata: EventMetadata(commandId: UUID().uuidString, actor: "test"))
        // (up to 20 s: another suite's open transaction can hold the horizon back)
        #expect(try VigilBinary.projectionsCaughtUp(database: database, seconds: 20, follow: false))
        let report = try VigilBinary.json(["report", "mission", "prc-embassy-washington"], database: database) as? [String: Any]
        let rows = try #require(report?["rows"] as? [[String: Any]])
        #expect((rows.first?["figures"] as? [String: Int])?["gatheringsHeld"] == 1)

        process.terminate()  // SIGTERM
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
    }

    @Test("two commands answer what was known then and whether anything changed since")
    func auditorsQuestion() throws {
        let owner = try TestDatabase.connect(database)
        let position = try owner.query(
            "SELECT max(global_position) AS p FROM vigil.events WHERE stream_id = 'gathering-g-scheduled'")[0].int64("p")
        _ = try VigilBinary.run(["gathering", "held", "g-scheduled", "--attendance", "20"], database: database)
        let then = try VigilBinary.run(["audit", "replay", "gathering", "g-scheduled", "--position", String(position)], database: database)
        #expect(then.status == 0)
        #expect(then.stdout.contains("\nstatus: scheduled\n"), "\(then.stdout)")
        let now = try VigilBinary.run(["audit", "replay", "gathering", "g-scheduled", "--as-of", "2100-01-01"], database: database)
        #expect(now.stdout.contains("\nstatus: held\n"), "\(now.stdout)")
        let verify = try VigilBinary.run(["audit", "verify"], database: database)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("every hash chain holds"))
        #expect(verify.stdout.contains("projection activity: equals a replay of the log"))
    }

    @Test("--as-of takes the instant audit log prints (that whole second); with neither --as-of nor --position, now")
    func asOfWhatAuditLogPrints() throws {
        usleep(1_100_000)  // so that the gathering was scheduled in an earlier second than it is held
        let run = try VigilBinary.run(["gathering", "held", "g-scheduled", "--attendance", "20"], database: database)
        #expect(run.status == 0, "\(run.stderr)")
        let log = try VigilBinary.run(["audit", "log", "--stream", "gathering-g-scheduled", "--format", "json"], database: database)
        let lines = log.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let held = try #require(lines.last { ($0["type"] as? String) == "GatheringHeld" })
        let printed = try #require(held["recordedAt"] as? String)
        #expect(printed.hasSuffix("Z") && printed.count == 20, "\(printed)")
        // As of the second it was recorded: held. As of the second before: not yet.
        let atIt = try VigilBinary.run(["audit", "replay", "gathering", "g-scheduled", "--as-of", printed], database: database)
        #expect(atIt.status == 0, "\(atIt.stderr)")
        #expect(atIt.stdout.contains("\nstatus: held\n"))
        let instant = try #require(ISO8601DateFormatter().date(from: printed))
        let before = ISO8601DateFormatter().string(from: instant.addingTimeInterval(-1))
        let earlier = try VigilBinary.run(["audit", "replay", "gathering", "g-scheduled", "--as-of", before], database: database)
        #expect(earlier.status == 0, "\(earlier.stderr)")
        #expect(earlier.stdout.contains("\nstatus: scheduled\n"), "\(earlier.stdout)")
        // Neither: now.
        let now = try VigilBinary.run(["audit", "replay", "gathering", "g-scheduled"], database: database)
        #expect(now.status == 0, "\(now.stderr)")
        #expect(now.stdout.contains("\nstatus: held\n"), "\(now.stdout)")
        let both = try VigilBinary.run(["audit", "replay", "gathering", "g-scheduled", "--as-of", printed, "--position", "1"], database: database)
        #expect(both.status == 64)
        let help = try VigilBinary.run(["audit", "replay", "--help"], database: database)
        let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("a date (YYYY-MM-DD) is the whole day") && words.contains("2026-11-23T07:17:34Z"), "\(words)")
    }

    @Test("verify finds an event changed behind the triggers' back, and a read model changed by hand")
    func verifyFindsTampering() throws {
        let owner = try TestDatabase.connect(database)
        try owner.execute(
            """
            ALTER TABLE vigil.events DISABLE TRIGGER events_append_only;
            UPDATE vigil.events SET data = jsonb_set(data, '{reportedAttendance}', '3000') WHERE event_type = 'GatheringHeld';
            ALTER TABLE vigil.events ENABLE TRIGGER events_append_only;
            """)
        let verify = try VigilBinary.run(["audit", "verify"], database: database)
        #expect(verify.status == 8)
        #expect(verify.stdout.contains("the log was altered: event at position"))
        #expect(verify.stdout.contains("stream gathering-g-held"))

        let other = try TestDatabase.create("readside_rm")
        _ = try VigilBinary.run(["seed", "load", "--dir", BadInput.fixtures.path], database: other)
        try TestDatabase.connect(other).execute("UPDATE vigil_read.activity SET gatherings_held = gatherings_held + 1")
        let second = try VigilBinary.run(["audit", "verify", "--format", "json"], database: other)
        #expect(second.status == 8)
        #expect(second.stdout.contains("\"matchesReplay\":false"))
        #expect(second.stdout.contains("\"holds\":false"))
    }

    @Test("reports say how far behind the log they are, in every format; a reporter-only login runs them and cannot read the log")
    func reportsStateLag() throws {
        let json = try VigilBinary.json(["report", "campaign", "dad-test"], database: database) as? [String: Any]
        let lag = try #require(json?["behindLog"] as? [[String: Any]])
        #expect(Set(lag.compactMap { $0["projection"] as? String }) == ["activity", "campaigns", "missions", "weekly"])
        let table = try VigilBinary.run(["report", "day", "dad-test"], database: database)
        #expect(table.stdout.contains("read models up to date with the log"))
        #expect(table.stdout.contains("2024-12-22 18:00"))
        let unknown = try VigilBinary.run(["report", "campaign", "no-such-campaign"], database: database)
        #expect(unknown.status == 4)

        // A login that holds only the reporter role runs every report, and is refused the log itself.
        let login = "\(database)_reporter"
        let owner = try TestDatabase.connect(database)
        try owner.execute("CREATE ROLE \(try owner.quoteIdentifier(login)) LOGIN IN ROLE vigil_reporter")
        defer { _ = try? owner.execute("DROP ROLE IF EXISTS \(try owner.quoteIdentifier(login))") }
        let asReporter = ["PGUSER": login]
        for report in [["report", "campaign", "dad-test"], ["report", "day", "dad-test"], ["report", "missions"], ["projections", "status"]] {
            let run = try VigilBinary.run(report, database: database, environment: asReporter)
            #expect(run.status == 0, "\(report): \(run.stderr)")
        }
        let log = try VigilBinary.run(["audit", "log"], database: database, environment: asReporter)
        #expect(log.status == 9)
        #expect(log.stderr.contains("is not a member of vigil_auditor"), "\(log.stderr)")
    }

    @Test("an event no projection can read is set aside: commands go on, and status, reports and verify say so")
    func quarantined() throws {
        let database = try TestDatabase.create("quarantine_cli")
        #expect(try VigilBinary.run(["seed", "load", "--dir", BadInput.fixtures.path], database: database).status == 0)
        let writer = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        try writer.append(
            to: "gathering-teleport", expected: .noStream, events: [NewEvent(type: "GatheringTeleported", data: "{}")],
            metadata: EventMetadata(commandId: "bogus-1", actor: "intruder"))
        let command = try VigilBinary.run(
            ["mission", "register", "prc-after", "--name", "X", "--sending-state", "CN", "--kind", "embassy", "--city", "W",
             "--country", "US", "--zone", "America/New_York"], database: database)
        #expect(command.status == 0, "\(command.stderr)")
        let status = try VigilBinary.run(["projections", "status"], database: database)
        #expect(status.stdout.contains("GatheringTeleported in gathering-teleport"), "\(status.stdout)")
        let report = try VigilBinary.run(["report", "missions"], database: database)
        #expect(report.stdout.contains("1 events no projection can read are set aside"), "\(report.stdout)")
        #expect(report.stdout.contains("prc-after"))
        let verify = try VigilBinary.run(["audit", "verify"], database: database)
        #expect(verify.stdout.contains("set aside: 1 events no projection can read"), "\(verify.stdout)")
    }
}
