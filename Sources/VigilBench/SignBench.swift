import ArgumentParser
import EventStore
import Foundation
import PostgresClient
import VigilCodec
import VigilDomain
import VigilService

extension Bench {
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One petition sign through the service on a petition after a big import vs on an empty one.",
            discussion: """
                The same open petition in two databases on the same server: --imported after an import, --empty fresh.
                The signs alternate (empty, imported, empty, …), each a distinct signer, so that drift in the machine's
                speed hits both alike; each is timed from the call to its return, the read models brought up to
                date included, as `vigil petition sign` does it. Loading the petition (its stream read and folded) is
                timed apart, on each side, after the signs. Needs the master key (VIGIL_MASTER_KEY).
                """
        )

        @Option(help: "The petition's id, in both databases.")
        var petition = "bench-petition"
        @Option(help: "The database whose petition had the import.")
        var imported: String
        @Option(help: "The database whose petition is empty.")
        var empty: String
        @Option(help: "Signatures on each side.")
        var count = 200
        @Option(help: "Write the figures as JSON to this file.")
        var json: String?

        func run() throws {
            let sides = [("empty", empty), ("imported", imported)].map { (name: $0.0, database: $0.1, service: VigilService(conninfo: "dbname=\($0.1)")) }
            func sign(_ service: VigilService, _ signer: String) throws -> Double {
                let command = RecordSignature(petitionId: petition, identity: .email("\(signer)@example.org"), country: "KR")
                let start = ContinuousClock.now
                let outcome = try service.handle(.petition(.sign(command)), CommandRequest(client: "vigil-bench"))
                let elapsed = milliseconds(since: start)
                guard outcome.events.count == 1, outcome.warnings.isEmpty else { throw ValidationError("a sign did not record one event: \(outcome)") }
                return elapsed
            }
            // Warm up both sides (connections, prepared statements, the petitions' keys) before timing.
            for side in sides { for i in 0..<5 { _ = try sign(side.service, "warm-up-\(i)") } }
            var times: [[Double]] = [[], []]
            for i in 0..<count {
                for (s, side) in sides.enumerated() { times[s].append(try sign(side.service, "bench-sign-\(i)")) }
                if (i + 1) % 50 == 0 { FileHandle.standardError.write(Data("bench sign: \(i + 1)/\(count) on each side\n".utf8)) }
            }
            let loads = try sides.map { try PetitionLoad.measure(petition, database: $0.database) }
            let (empty, imported) = (Percentiles(times[0]), Percentiles(times[1]))
            print(String(format: "one petition sign after an import: %.2f ms median, %.2f ms p90; on an empty petition %.2f ms, %.2f ms; "
                    + "ratio %.2f× the median (target ≤ 1.2×), %.2f× the p90, n=%d each",
                imported.median, imported.p90, empty.median, empty.p90, imported.median / empty.median, imported.p90 / empty.p90, count))
            print(String(format: "  loading the petition (its stream read and folded): %.2f ms for %d events after the import, %.2f ms for %d on the empty one",
                loads[1].milliseconds, loads[1].events, loads[0].milliseconds, loads[0].events))
            if let json {
                try writeJSON([
                    "scenario": "sign-after-import", "n": count, "vigilMedianMs": imported.median, "vigilP90Ms": imported.p90,
                    "emptyMedianMs": empty.median, "emptyP90Ms": empty.p90, "ratio": imported.median / empty.median,
                    "ratioP90": imported.p90 / empty.p90, "target": 1.2,
                    "loadMs": loads[1].milliseconds, "loadEvents": loads[1].events, "emptyLoadMs": loads[0].milliseconds,
                    "emptyLoadEvents": loads[0].events,
                ], to: json)
            }
        }
    }
}

/// The median and 90th percentile of some timings.
struct Percentiles {
    let median: Double
    let p90: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        func at(_ q: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] }
        median = at(0.5)
        p90 = at(0.9)
    }
}

/// What a command on a petition does first: its stream read and folded into the state, timed (the
/// median of 20 rounds) on its own connection.
enum PetitionLoad {
    static func measure(_ petition: String, database: String) throws -> (milliseconds: Double, events: Int) {
        let store = EventStore(connection: try Connection(conninfo: "dbname=\(database)"))
        try store.connection.execute("SET ROLE vigil_writer")
        var times: [Double] = []
        var events = 0
        for _ in 0..<20 {
            let start = ContinuousClock.now
            let recorded = try store.readStream(PetitionState.stream(petition))
            var state = PetitionState()
            for event in recorded {
                guard let decoded = try EventCodec.decode(PetitionEvent.self, type: event.type, schemaVersion: event.schemaVersion, data: event.data) else {
                    throw ValidationError("\(event.type) is not a petition event")
                }
                PetitionState.apply(&state, decoded)
            }
            times.append(milliseconds(since: start))
            events = recorded.count
        }
        return (Percentiles(times).median, events)
    }
}

/// Milliseconds since `start`, on the monotonic clock.
func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}
