import Foundation
import Testing
import VigilTestSupport

/// Reports from a streaming standby: a small primary and its pg_basebackup standby made by the project's
/// scripts, reports pointed at the standby with VIGIL_REPORT_DATABASE_URL.
@Suite("Reports from a streaming standby", .serialized)
struct StandbyTests {
    let cluster = "standby\(UInt32.random(in: 0..<UInt32.max))"
    var script: String { TestDatabase.projectFolder.appendingPathComponent("scripts/db").path }

    func db(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        try runProgram("/bin/bash", [script] + arguments, environment: ["VIGIL_CLUSTER": cluster, "VIGIL_DATABASE": "vigil"])
    }

    @Test("a report read from the standby says so and how far behind it is; a standby that is down is a clear error")
    func reportsFromStandby() throws {
        let start = try db(["standby", "start"])
        defer {
            _ = try? db(["standby", "stop"])
            _ = try? db(["stop"])
            let url = try? db(["standby", "url"]).stdout
            if let home = url?.components(separatedBy: "host=").last?.components(separatedBy: "/\(cluster)-standby/").first {
                try? FileManager.default.removeItem(atPath: "\(home)/\(cluster)")
                try? FileManager.default.removeItem(atPath: "\(home)/\(cluster)-standby")
            }
        }
        try #require(start.status == 0, "scripts/db standby start failed")
        let line = try #require(start.stdout.split(separator: "\n").first { $0.contains("VIGIL_REPORT_DATABASE_URL=") })
        let report = String(line.split(separator: "'")[1])
        let standbySocket = try #require(report.components(separatedBy: "host=").last?.components(separatedBy: " ").first)
        let primarySocket = standbySocket.replacingOccurrences(of: "/\(cluster)-standby/run", with: "/\(cluster)/run")
        let primary = ["PGHOST": primarySocket, "PGPORT": "5432", "PGUSER": "vigil"]
        #expect(try VigilBinary.run(["db", "migrate", "--quiet"], database: "vigil", environment: primary).status == 0)
        let register = try VigilBinary.run(
            ["mission", "register", "prc-embassy-oslo", "--name", "Embassy", "--sending-state", "CN", "--kind", "embassy",
             "--city", "Oslo", "--country", "NO", "--zone", "Europe/Oslo"], database: "vigil", environment: primary)
        #expect(register.status == 0, "\(register.stderr)")

        // The standby replays within moments: the report from it lists the mission and says where it read.
        var run = try VigilBinary.run(["report", "missions"], database: "vigil", environment: primary.merging(["VIGIL_REPORT_DATABASE_URL": report]) { $1 })
        for _ in 0..<50 where !run.stdout.contains("prc-embassy-oslo") {
            Thread.sleep(forTimeInterval: 0.1)
            run = try VigilBinary.run(["report", "missions"], database: "vigil", environment: primary.merging(["VIGIL_REPORT_DATABASE_URL": report]) { $1 })
        }
        #expect(run.status == 0 && run.stdout.contains("prc-embassy-oslo"))
        #expect(run.stdout.contains("read from a standby"), "\(run.stdout)")
        let json = try VigilBinary.run(
            ["report", "missions", "--format", "json"], database: "vigil", environment: primary.merging(["VIGIL_REPORT_DATABASE_URL": report]) { $1 })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let standby = try #require(object["standby"] as? [String: Any])
        #expect(standby["isStandby"] as? Bool == true)
        #expect(standby["bytesBehind"] as? Int != nil)
        // Without the setting, reports read from the primary and say nothing of a standby.
        let fromPrimary = try VigilBinary.run(["report", "missions"], database: "vigil", environment: primary)
        #expect(fromPrimary.status == 0 && !fromPrimary.stdout.contains("standby"))

        #expect(try db(["standby", "stop"]).status == 0)
        let down = try VigilBinary.run(["report", "missions"], database: "vigil", environment: primary.merging(["VIGIL_REPORT_DATABASE_URL": report]) { $1 })
        #expect(down.status == 7)
        #expect(down.stderr.contains("the standby reports read from (VIGIL_REPORT_DATABASE_URL) cannot be reached"))
        #expect(down.stderr.contains("scripts/db standby start") && !down.stderr.contains("user=vigil"), "\(down.stderr)")
        // Commands still go to the primary.
        let close = try VigilBinary.run(["mission", "close", "prc-embassy-oslo", "--reason", "moved"], database: "vigil", environment: primary.merging(["VIGIL_REPORT_DATABASE_URL": report]) { $1 })
        #expect(close.status == 0, "\(close.stderr)")
    }
}
