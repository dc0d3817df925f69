import Foundation
import PostgresClient
import Testing
import VigilTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `vigil projections run --metrics-port 0` as an operator runs it: the address on stderr, then
/// /metrics answers with the projections' lag and the events the runner applied.
@Suite("Metrics from the projection runner")
struct MetricsCLITests {
    @Test("the runner serves its lag, set-aside events and applied events at /metrics while it follows the log")
    func runnerMetrics() async throws {
        let database = try TestDatabase.create("metrics")
        let (process, text) = try VigilBinary.startReading(
            ["projections", "run", "--metrics-port", "0"], database: database, stderr: true) { $0.contains("/metrics\n") }
        defer { process.interrupt(); process.waitUntilExit() }
        let address = try #require(text.split(separator: "\n").first { $0.contains("metrics at ") }.map {
            String($0[$0.range(of: "http://")!.lowerBound...])
        })
        // Commands handled by other processes (the one-shot CLI) show here: appended, repeated, refused.
        let registration = [
            "mission", "register", "prc-embassy-oslo", "--name", "Embassy", "--sending-state", "CN", "--kind", "embassy",
            "--city", "Oslo", "--country", "NO", "--zone", "Europe/Oslo", "--at", "59.93,10.71",
        ]
        let register = try VigilBinary.run(registration + ["--idempotency-key", "oslo-1"], database: database)
        #expect(register.status == 0, "\(register.stderr)")
        let again = try VigilBinary.run(registration + ["--idempotency-key", "oslo-1"], database: database)
        #expect(again.status == 0, "\(again.stderr)")
        let refused = try VigilBinary.run(registration + ["--idempotency-key", "oslo-2"], database: database)
        #expect(refused.status != 0)
        let scrape = { () async throws -> String in
            String(decoding: try await URLSession.shared.data(from: URL(string: address)!).0, as: UTF8.self)
        }
        var body = ""
        for _ in 0..<50 {
            body = try await scrape()
            if body.contains("vigil_projection_lag_events") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(body.contains("vigil_projection_lag_events{projection=\"missions\"}"))
        #expect(body.contains("vigil_projection_quarantined_events{projection=\"activity\"} 0"))
        #expect(body.contains("vigil_projection_lag_seconds{projection=\"campaigns\"}"))
        #expect(body.contains("# TYPE vigil_commands_total counter"), "\(body)")
        for outcome in ["appended", "repeated", "refused"] {
            #expect(body.contains("vigil_commands_total{kind=\"mission.register\",outcome=\"\(outcome)\"} 1"), "\(outcome): \(body)")
        }
        #expect(body.contains("vigil_command_conflicts_total{kind=\"mission.register\"} 0"), "\(body)")

        // A counter only goes up, by what was counted since the last scrape.
        let third = try VigilBinary.run(registration + ["--idempotency-key", "oslo-1"], database: database)
        #expect(third.status == 0)
        body = try await scrape()
        #expect(body.contains("vigil_commands_total{kind=\"mission.register\",outcome=\"repeated\"} 2"), "\(body)")
        #expect(body.contains("vigil_commands_total{kind=\"mission.register\",outcome=\"appended\"} 1"), "\(body)")
    }

    @Test("organisers add to the command counts only through the counting function: one command at a time, closed labels, at most 500")
    func countsCannotBeForged() throws {
        let database = try TestDatabase.create("metrics-forge")
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        defer { writer.close() }
        func refused(_ sql: PostgresQuery) -> SQLState? {
            do {
                try writer.query(sql)
                return nil
            } catch {
                return (error as? PostgresError)?.sqlState ?? SQLState("00000")
            }
        }
        try writer.query("SELECT vigil_ops.count_command('gathering.schedule', 'appended', 2)")
        #expect(refused("UPDATE vigil_ops.command_counts SET conflicts = 9223372036854775807") == .insufficientPrivilege)
        #expect(refused("INSERT INTO vigil_ops.command_counts VALUES ('gathering.schedule', 'failed', 5, 0)") == .insufficientPrivilege)
        #expect(refused("SELECT vigil_ops.count_command('alice.livesNearEmbassy', 'appended', 0)") == .checkViolation)
        #expect(refused("SELECT vigil_ops.count_command('gathering.schedule dc-vigil', 'appended', 0)") == .checkViolation)
        #expect(refused("SELECT vigil_ops.count_command('gathering.schedule', 'deleted', 0)") == .checkViolation)
        try writer.query("SELECT vigil_ops.count_command('gathering.schedule', 'appended', 100000)")
        for number in 0..<600 {
            let letters = String(String(number, radix: 26).map { Character(UnicodeScalar(UInt8(Int(String($0), radix: 26)! + 97))) })
            try writer.query("SELECT vigil_ops.count_command(\("mission.k" + letters), 'failed', 0)")
        }
        let owner = try TestDatabase.connect(database)
        defer { owner.close() }
        let row = try #require(try owner.query("SELECT commands, conflicts FROM vigil_ops.command_counts WHERE kind = 'gathering.schedule'").first)
        #expect(try row.int64("commands") == 1 && row.int64("conflicts") == 2, "a count of 100,000 lost races is not taken")
        let kinds = try #require(try owner.query("SELECT count(*) AS n FROM vigil_ops.command_counts").first).int64("n")
        #expect(kinds <= 500, "the labels stay a small set: \(kinds) rows")
    }
}

@Suite("Session options")
struct SessionOptionTests {
    @Test("PGOPTIONS reaches every session beside Vigil's own settings: read-only sessions refuse a command")
    func pgoptions() throws {
        let database = try TestDatabase.create("pgoptions")
        let readOnly = try VigilBinary.run(
            ["mission", "register", "prc-embassy-oslo", "--name", "E", "--sending-state", "CN", "--kind", "embassy", "--city", "Oslo",
             "--country", "NO", "--zone", "Europe/Oslo"],
            database: database, environment: ["PGOPTIONS": "-c default_transaction_read_only=on"])
        #expect(readOnly.status != 0)
        #expect(readOnly.stderr.contains("read-only"), "\(readOnly.stderr)")
        let audit = try VigilBinary.run(["audit", "log"], database: database)
        #expect(audit.status == 0 && !audit.stdout.contains("prc-embassy-oslo"), "nothing appended")
    }

    @Test("PGCLIENTENCODING in the environment changes nothing: text and keys go as UTF-8, and a key's event id is the server's")
    func clientEncoding() throws {
        let database = try TestDatabase.create("clientencoding")
        let name = "Botschaft in München, 北京"
        let key = "schlüssel-ü-北"
        let registered = try VigilBinary.run(
            ["mission", "register", "prc-embassy-munich", "--name", name, "--sending-state", "CN", "--kind", "embassy", "--city", "München",
             "--country", "DE", "--zone", "Europe/Berlin", "--idempotency-key", key],
            database: database, environment: ["PGCLIENTENCODING": "LATIN1"])
        #expect(registered.status == 0, "\(registered.stderr)")
        let row = try #require(try TestDatabase.connect(database).query(
            """
            SELECT data ->> 'name' AS name, command_id, event_id = vigil.command_event_id(command_id, 0) AS derived
              FROM vigil.events WHERE stream_id = 'mission-prc-embassy-munich'
            """).first)
        #expect(try row.string("name") == name)
        #expect(try row.string("command_id") == key)
        #expect(try row.bool("derived"))
    }
}
