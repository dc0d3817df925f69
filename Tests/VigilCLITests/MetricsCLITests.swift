import Foundation
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
        let register = try VigilBinary.run(
            ["mission", "register", "prc-embassy-oslo", "--name", "Embassy", "--sending-state", "CN", "--kind", "embassy",
             "--city", "Oslo", "--country", "NO", "--zone", "Europe/Oslo", "--at", "59.93,10.71"],
            database: database)
        #expect(register.status == 0)
        var body = ""
        for _ in 0..<50 {
            let (data, _) = try await URLSession.shared.data(from: URL(string: address)!)
            body = String(decoding: data, as: UTF8.self)
            if body.contains("vigil_projection_lag_events") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(body.contains("vigil_projection_lag_events{projection=\"missions\"}"))
        #expect(body.contains("vigil_projection_quarantined_events{projection=\"activity\"} 0"))
        #expect(body.contains("vigil_projection_lag_seconds{projection=\"campaigns\"}"))
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
}
