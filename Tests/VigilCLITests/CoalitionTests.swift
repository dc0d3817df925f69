import Foundation
import PostgresClient
import Testing
import VigilTestSupport

/// A coalition's shared server end to end: `scripts/coalition init` makes a cluster of its own (TLS from its
/// own certificate authority, SCRAM passwords, no trust rule), the administrator adds logins with the CLI,
/// and organisers connect with `sslmode=verify-full`, the printed URL and the printed password.
@Suite("coalition server over TLS", .serialized)
struct CoalitionTests {
    /// One cluster for the suite's one test: made in a temporary folder on a port of its own, stopped and
    /// removed at the end.
    final class Server {
        let folder: URL
        let port: Int
        var ca: String { folder.appendingPathComponent("ca.crt").path }

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-coalition-test-\(UInt32.random(in: 0..<UInt32.max))")
            port = Int.random(in: 20_000..<60_000)
        }

        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["VIGIL_COALITION_DIR"] = folder.path
            environment["VIGIL_COALITION_PORT"] = String(port)
            environment["VIGIL_BIN"] = VigilBinary.url.path
            environment["VIGIL_SCHEMA_DIR"] = TestDatabase.schemaDirectory.path
            environment["VIGIL_MASTER_KEY"] = TestDatabase.masterKey
            return environment
        }

        /// Runs `scripts/coalition ARGS…`, its output captured.
        func script(_ arguments: [String], environment extra: [String: String] = [:]) throws -> VigilBinary.Run {
            let process = Process()
            process.executableURL = TestDatabase.projectFolder.appendingPathComponent("scripts/coalition")
            process.arguments = arguments
            process.environment = environment.merging(extra) { $1 }
            process.standardInput = FileHandle.nullDevice
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let errData = Locked(Data())
            let errDone = DispatchSemaphore(value: 0)
            Thread {
                errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() }
                errDone.signal()
            }.start()
            let outData = out.fileHandleForReading.readDataToEndOfFile()
            errDone.wait()
            process.waitUntilExit()
            return VigilBinary.Run(
                status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                stderr: errData.withLock { String(decoding: $0, as: UTF8.self) })
        }

        func stop() {
            _ = try? script(["stop"])
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// A login as `add-organiser` printed it.
    struct Handed {
        var url: String
        var password: String
    }

    static func handed(_ run: VigilBinary.Run) throws -> Handed {
        let lines = run.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let url = try #require(lines.firstIndex { $0.hasPrefix("connect with") }.map { lines[$0 + 1] })
        let password = try #require(lines.firstIndex { $0.hasPrefix("password (") }.map { lines[$0 + 1] })
        return Handed(url: url, password: password)
    }

    /// `vigil ARGS…` as an organiser would run it: the URL in VIGIL_DATABASE_URL, the password in PGPASSWORD.
    func vigil(_ login: Handed, _ arguments: [String], password: String? = nil, url: String? = nil) throws -> VigilBinary.Run {
        try VigilBinary.run(
            arguments, database: "vigil",
            environment: ["VIGIL_DATABASE_URL": url ?? login.url, "PGPASSWORD": password ?? login.password])
    }

    @Test("init, add logins, connect with verify-full; the login in the audit log; campaigns enforced; bad passwords, CAs, hosts and trust refused")
    func coalition() throws {
        let server = try Server()
        defer { server.stop() }
        let initialised = try server.script(["init"])
        try #require(initialised.status == 0, "scripts/coalition init: \(initialised.stderr)")

        // No trust rule anywhere, and TLS for every connection over TCP.
        let hba = try String(contentsOf: server.folder.appendingPathComponent("data/pg_hba.conf"), encoding: .utf8)
        let rules = hba.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(!rules.contains { $0.contains("trust") }, "\(rules)")
        #expect(rules.filter { $0.hasPrefix("host ") || $0.hasPrefix("hostssl") }.allSatisfy { $0.hasSuffix("scram-sha-256") })
        #expect(!FileManager.default.fileExists(atPath: server.folder.appendingPathComponent("data/ca.key").path))

        // The administrator adds an unlimited organiser, one limited to Tokyo's campaign, and an auditor.
        let admin = { (arguments: [String]) throws -> VigilBinary.Run in try server.script(["vigil"] + arguments) }
        let addWashington = try admin(["admin", "add-organiser", "washington_lee", "--role", "organiser"])
        try #require(addWashington.status == 0, "\(addWashington.stderr)")
        let washington = try Self.handed(addWashington)
        #expect(washington.url == "postgresql://washington_lee@localhost:\(server.port)/vigil?sslmode=verify-full&sslrootcert=\(server.ca)")
        #expect(washington.password.count == 32)
        #expect(!washington.url.contains(washington.password))
        let addTokyo = try admin(["admin", "add-organiser", "tokyo_kim", "--role", "organiser", "--campaign", "dad-tokyo"])
        try #require(addTokyo.status == 0, "\(addTokyo.stderr)")
        let tokyo = try Self.handed(addTokyo)
        #expect(tokyo.password != washington.password)
        let addAuditor = try admin(["admin", "add-organiser", "auditor_ana", "--role", "auditor"])
        try #require(addAuditor.status == 0, "\(addAuditor.stderr)")
        let auditor = try Self.handed(addAuditor)
        // For a failover pair, the URL names every node and keeps the one that accepts writes (here both
        // names lead to the one server, which is enough to show libpq takes the list).
        let addLondon = try admin(
            ["admin", "add-organiser", "london_ada", "--role", "organiser", "--host", "localhost:\(server.port),127.0.0.1:\(server.port)"])
        try #require(addLondon.status == 0, "\(addLondon.stderr)")
        let london = try Self.handed(addLondon)
        #expect(london.url == "postgresql://london_ada@localhost:\(server.port),127.0.0.1:\(server.port)/vigil?target_session_attrs=read-write&sslmode=verify-full&sslrootcert=\(server.ca)")

        // The server keeps a SCRAM verifier, never the password; the grants are there.
        let stored = try server.script(["psql", "-Atc", "SELECT string_agg(rolname || ':' || left(rolpassword, 14), ',' ORDER BY rolname) FROM pg_authid WHERE rolname LIKE '%\\_%' AND rolcanlogin"])
        #expect(stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            == "auditor_ana:SCRAM-SHA-256$,london_ada:SCRAM-SHA-256$,tokyo_kim:SCRAM-SHA-256$,washington_lee:SCRAM-SHA-256$", "\(stored.stdout) \(stored.stderr)")
        let grants = try admin(["admin", "grants"])
        #expect(grants.stdout.contains("tokyo_kim") && grants.stdout.contains("dad-tokyo") && !grants.stdout.contains("washington_lee"), "\(grants.stdout)")

        // Refused, with nothing made: a name that exists, a bad name, an unknown role, a reserved name.
        for (arguments, code, message) in [
            (["washington_lee", "--role", "organiser"], Int32(5), "exists already"),
            (["Tokyo Kim", "--role", "organiser"], 3, "is not a login name"),
            (["vigil_writer2", "--role", "auditor"], 3, "keeps for itself"),
            (["seoul_park", "--role", "superuser"], 64, "--role"),
            (["seoul_park", "--role", "auditor", "--campaign", "dad-tokyo"], 3, "records nothing"),
        ] {
            let refused = try admin(["admin", "add-organiser"] + arguments)
            #expect(refused.status == code, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
            #expect(!refused.stdout.contains("password"), "\(arguments): \(refused.stdout)")
        }
        let seoul = try vigil(washington, ["report", "missions"], url: washington.url.replacingOccurrences(of: "washington_lee", with: "seoul_park"))
        #expect(seoul.status == 7 && seoul.stderr.contains("refused the password"), "\(seoul.stderr)")

        // Organisers record over TLS, each under their own login.
        let register = { (id: String, city: String, country: String, zone: String) throws -> VigilBinary.Run in
            try self.vigil(
                washington,
                ["mission", "register", id, "--name", "Embassy in \(city)", "--sending-state", "CN", "--kind", "embassy",
                 "--city", city, "--country", country, "--zone", zone])
        }
        #expect(try register("prc-embassy-washington", "Washington", "US", "America/New_York").status == 0)
        #expect(try register("prc-embassy-tokyo", "Tokyo", "JP", "Asia/Tokyo").status == 0)
        let londonRecords = try vigil(
            london, ["mission", "register", "prc-embassy-london", "--name", "Embassy in London", "--sending-state", "CN", "--kind", "embassy",
                     "--city", "London", "--country", "GB", "--zone", "Europe/London"])
        #expect(londonRecords.status == 0, "\(londonRecords.stderr)")
        for (campaign, login) in [("dad-washington", washington), ("dad-tokyo", tokyo)] {
            let launched = try vigil(
                login, ["campaign", "launch", campaign, "--title", "Day of action", "--cause", "Repatriation", "--coalition", "NKFC",
                        "--addressee", "the PRC", "--demand", "Stop repatriations", "--actor", "label:\(campaign)"])
            #expect(launched.status == 0, "\(campaign): \(launched.stderr)")
        }
        let scheduleWashington = try vigil(
            washington, ["gathering", "schedule", "dc-vigil", "--mission", "prc-embassy-washington", "--campaign", "dad-washington",
                         "--kind", "vigil", "--at", "2025-12-22 12:00", "--actor", "label:washington"])
        #expect(scheduleWashington.status == 0, "\(scheduleWashington.stderr)")
        let scheduleTokyo = try vigil(
            tokyo, ["gathering", "schedule", "tokyo-vigil", "--mission", "prc-embassy-tokyo", "--campaign", "dad-tokyo",
                    "--kind", "vigil", "--at", "2025-12-22 12:00", "--actor", "label:tokyo"])
        #expect(scheduleTokyo.status == 0, "\(scheduleTokyo.stderr)")
        let heldTokyo = try vigil(tokyo, ["gathering", "held", "tokyo-vigil", "--attendance", "40", "--actor", "label:tokyo"])
        #expect(heldTokyo.status == 0, "\(heldTokyo.stderr)")

        // Tokyo cannot record Washington's gathering, nor a mission, through the CLI or a plain session.
        let log = { () throws -> [[String: Any]] in
            let run = try self.vigil(auditor, ["audit", "log", "--format", "json"])
            try #require(run.status == 0, "\(run.stderr)")
            return try run.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }
        let before = try log().count
        let trespass = try vigil(tokyo, ["gathering", "held", "dc-vigil", "--attendance", "35"])
        #expect(trespass.status == 9, "\(trespass.stderr)")
        #expect(trespass.stderr.contains("may not record in campaign dad-washington"), "\(trespass.stderr)")
        let mission = try vigil(tokyo, ["mission", "close", "prc-embassy-washington", "--reason", "moved"])
        #expect(mission.status == 9, "\(mission.stderr)")
        let plain = try Connection(
            conninfo: "host=localhost port=\(server.port) dbname=vigil user=tokyo_kim sslmode=verify-full sslrootcert=\(server.ca) password=\(tokyo.password)")
        func refusal(_ sql: PostgresQuery) -> SQLState? {
            do {
                try plain.query(sql)
                return nil
            } catch {
                return (error as? PostgresError)?.sqlState
            }
        }
        #expect(
            refusal(
                """
                SELECT * FROM vigil.append('gathering-dc-vigil', 1,
                    jsonb_build_array(jsonb_build_object('id', vigil.command_event_id('trespass-1', 0), 'type', 'GatheringHeld',
                                                         'data', '{"attendance": 1}'::jsonb)),
                    '{}', 'trespass-1', 'me', NULL, NULL)
                """) == .campaignNotAllowed)
        #expect(refusal("INSERT INTO vigil.campaign_grants (login, campaign_id) VALUES ('tokyo_kim', 'dad-washington')") == .insufficientPrivilege)
        #expect(refusal("SET ROLE vigil_log_owner") != nil)
        plain.close()
        let events = try log()
        #expect(events.count == before, "nothing appended by the refusals")

        // audit log shows who acted (the login) beside the label (the actor).
        let byStream = Dictionary(grouping: events) { $0["stream"] as? String ?? "" }
        #expect(byStream["gathering-dc-vigil"]?.map { $0["login"] as? String } == ["washington_lee"])
        #expect(byStream["gathering-dc-vigil"]?.first?["actor"] as? String == "label:washington")
        #expect(byStream["gathering-tokyo-vigil"]?.map { $0["login"] as? String } == ["tokyo_kim", "tokyo_kim"])
        #expect(byStream["gathering-tokyo-vigil"]?.first?["actor"] as? String == "label:tokyo")
        let table = try vigil(auditor, ["audit", "log", "--stream", "gathering-tokyo-vigil"])
        #expect(table.stdout.contains("login") && table.stdout.contains("tokyo_kim") && table.stdout.contains("label:tokyo"), "\(table.stdout)")

        // Allowed Washington's campaign too, Tokyo records there; an unknown login cannot be allowed anything.
        let unknown = try admin(["admin", "allow", "nobody_here", "--campaign", "dad-washington"])
        #expect(unknown.status == 4, "\(unknown.stderr)")
        let allowed = try admin(["admin", "allow", "tokyo_kim", "--campaign", "dad-washington"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let helping = try vigil(tokyo, ["gathering", "held", "dc-vigil", "--attendance", "35"])
        #expect(helping.status == 0, "\(helping.stderr)")
        #expect(try log().last?["login"] as? String == "tokyo_kim")

        // Wrong password: what failed and what to do, never the password or the connection string.
        let wrong = try vigil(tokyo, ["audit", "log"], password: "not-the-password-\(tokyo.password.prefix(4))")
        #expect(wrong.status == 7)
        #expect(wrong.stderr.contains("refused the password") && wrong.stderr.contains("PGPASSWORD"), "\(wrong.stderr)")
        for secret in [tokyo.password, "not-the-password", "postgresql://", "sslrootcert="] {
            #expect(!wrong.stderr.contains(secret) && !wrong.stdout.contains(secret), "\(wrong.stderr)")
        }
        #expect(wrong.stderr.split(separator: "\n").count == 1)

        // Another certificate authority: refused, naming sslrootcert.
        let otherCA = server.folder.appendingPathComponent("other-ca.crt").path
        let made = try runProgram(
            "/usr/bin/openssl",
            ["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", server.folder.appendingPathComponent("other-ca.key").path, "-out", otherCA, "-days", "2", "-subj", "/CN=Not the coalition"])
        try #require(made.status == 0)
        let foreign = try vigil(tokyo, ["audit", "log"], url: tokyo.url.replacingOccurrences(of: server.ca, with: otherCA))
        #expect(foreign.status == 7)
        #expect(foreign.stderr.contains("not signed by the certificate authority in sslrootcert"), "\(foreign.stderr)")
        #expect(!foreign.stderr.contains(tokyo.password))

        // The server's certificate expired: refused, saying so and what to do; renewed, organisers carry on
        // with the same ca.crt.
        let expiredServer = try server.script(["renew"], environment: ["VIGIL_COALITION_CERT_DAYS": "-1"])
        #expect(expiredServer.status == 0, "\(expiredServer.stderr)")
        let expired = try vigil(tokyo, ["audit", "log"])
        #expect(expired.status == 7, "\(expired.stderr)")
        #expect(expired.stderr.contains("or it has expired") && expired.stderr.contains("renew"), "\(expired.stderr)")
        let renewed = try server.script(["renew"])
        #expect(renewed.status == 0 && renewed.stderr.contains("renewed: valid until"), "\(renewed.stderr)")
        #expect(try vigil(auditor, ["audit", "log"]).status == 0)

        // A host name the certificate is not for.
        let mismatch = try vigil(
            tokyo, ["audit", "log"],
            url: "host=not-the-server.example hostaddr=127.0.0.1 port=\(server.port) dbname=vigil user=tokyo_kim sslmode=verify-full sslrootcert=\(server.ca)")
        #expect(mismatch.status == 7)
        #expect(mismatch.stderr.contains("not for the host name"), "\(mismatch.stderr)")

        // Without TLS, or as the administrator over TCP (no password exists for it): refused.
        let clear = try vigil(tokyo, ["audit", "log"], url: "host=localhost port=\(server.port) dbname=vigil user=tokyo_kim sslmode=disable")
        #expect(clear.status == 7)
        #expect(clear.stderr.contains("refuses this kind of connection"), "\(clear.stderr)")
        let owner = try vigil(
            tokyo, ["audit", "log"],
            url: "host=localhost port=\(server.port) dbname=vigil user=vigil sslmode=verify-full sslrootcert=\(server.ca)")
        #expect(owner.status == 7)
        #expect(owner.stderr.contains("refused the password"), "\(owner.stderr)")
        let elsewhere = try vigil(tokyo, ["audit", "log"], url: tokyo.url.replacingOccurrences(of: "/vigil?", with: "/postgres?"))
        #expect(elsewhere.status == 7, "\(elsewhere.stderr)")

        // The administrator takes Washington's campaign back: Tokyo is refused there again. The last
        // allowance is never taken (a login without one records everywhere), and nothing changes.
        let disallowed = try admin(["admin", "disallow", "tokyo_kim", "--campaign", "dad-washington"])
        #expect(disallowed.status == 0 && disallowed.stdout.contains("records only in: dad-tokyo"), "\(disallowed.stdout) \(disallowed.stderr)")
        let schedule = { (id: String, mission: String, campaign: String, password: String) throws -> VigilBinary.Run in
            try self.vigil(
                tokyo, ["gathering", "schedule", id, "--mission", mission, "--campaign", campaign, "--kind", "vigil", "--at", "2025-12-29 12:00"],
                password: password)
        }
        let refusedThere = try schedule("dc-vigil-2", "prc-embassy-washington", "dad-washington", tokyo.password)
        #expect(refusedThere.status == 9, "\(refusedThere.stderr)")
        let last = try admin(["admin", "disallow", "tokyo_kim", "--campaign", "dad-tokyo"])
        #expect(last.status == 3 && last.stderr.contains("only campaign tokyo_kim may record in"), "\(last.stderr)")
        #expect(try admin(["admin", "disallow", "washington_lee", "--campaign", "dad-tokyo"]).status == 4)
        let auditorAllowed = try admin(["admin", "allow", "auditor_ana", "--campaign", "dad-tokyo"])
        #expect(auditorAllowed.status == 3 && auditorAllowed.stderr.contains("not an organiser"), "\(auditorAllowed.stderr)")
        #expect(try admin(["admin", "grants"]).stdout.contains("dad-tokyo"))
        let stillHome = try schedule("tokyo-vigil-2", "prc-embassy-tokyo", "dad-tokyo", tokyo.password)
        #expect(stillHome.status == 0, "\(stillHome.stderr)")
        // A login in two group roles is listed once, in its strongest role, and stays an organiser for allow.
        #expect(try server.script(["psql", "-qc", "GRANT vigil_reporter TO tokyo_kim"]).status == 0)
        let logins = try admin(["admin", "logins", "--format", "csv"])
        #expect(logins.stdout.contains("tokyo_kim,organiser,active,dad-tokyo"), "\(logins.stdout)")
        #expect(logins.stdout.components(separatedBy: "tokyo_kim,").count == 2, "\(logins.stdout)")
        #expect(!logins.stdout.contains("vigil,"), "the administrator is not a coalition login: \(logins.stdout)")
        #expect(logins.stdout.contains("washington_lee,organiser,active,every campaign") && logins.stdout.contains("auditor_ana,auditor,active,\n"), "\(logins.stdout)")

        // A new password: the old one is refused at once, the new one works, and the server keeps a verifier.
        let reset = try admin(["admin", "reset-password", "tokyo_kim"])
        #expect(reset.status == 0, "\(reset.stderr)")
        let newPassword = try #require(reset.stdout.split(separator: "\n").dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(newPassword.count == 32 && newPassword != tokyo.password)
        #expect(try vigil(tokyo, ["report", "missions"]).status == 7)
        let withNew = try schedule("tokyo-vigil-4", "prc-embassy-tokyo", "dad-tokyo", newPassword)
        #expect(withNew.status == 0, "\(withNew.stderr)")
        for (name, code) in [("vigil", Int32(3)), ("vigil_writer", 3), ("nobody_here", 4), ("postgres", 3)] {
            let refused = try admin(["admin", "reset-password", name])
            #expect(refused.status == code && !refused.stdout.contains("password"), "\(name): \(refused.stderr)")
        }

        // A lost laptop: the login is disabled and its open session ended; enabled again, it logs in.
        let open = try Connection(
            conninfo: "host=localhost port=\(server.port) dbname=vigil user=tokyo_kim sslmode=verify-full sslrootcert=\(server.ca) password=\(newPassword)")
        let disabled = try admin(["admin", "disable", "tokyo_kim"])
        #expect(disabled.status == 0 && disabled.stdout.contains("1 open session ended"), "\(disabled.stdout) \(disabled.stderr)")
        #expect(throws: (any Error).self) { try open.query("SELECT 1") }
        open.close()
        let locked = try schedule("tokyo-vigil-3", "prc-embassy-tokyo", "dad-tokyo", newPassword)
        #expect(locked.status == 7 && locked.stderr.contains("this login is disabled") && !locked.stderr.contains(newPassword), "\(locked.stderr)")
        #expect(!locked.stderr.contains("scripts/db start"), "\(locked.stderr)")
        #expect(try admin(["admin", "logins"]).stdout.contains("disabled"))
        #expect(try admin(["admin", "enable", "tokyo_kim"]).status == 0)
        let unlocked = try schedule("tokyo-vigil-3", "prc-embassy-tokyo", "dad-tokyo", newPassword)
        #expect(unlocked.status == 0, "\(unlocked.stderr)")

        // No password reached the server's log.
        let serverLog = (try? String(contentsOf: server.folder.appendingPathComponent("log/server.log"), encoding: .utf8)) ?? ""
        #expect(!serverLog.isEmpty)
        for password in [washington.password, tokyo.password, auditor.password, newPassword] { #expect(!serverLog.contains(password)) }
    }
}
