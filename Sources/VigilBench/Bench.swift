import ArgumentParser
import EventStore
import Foundation
import PostgresClient

/// `vigil-bench`: Vigil's rates side by side with raw PostgreSQL doing the same rows, in the same run,
/// over the same kind of connection. Figures are ratios, because the machines are shared and noisy.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-bench",
        abstract: "Benchmarks of Vigil against raw PostgreSQL in the same run.",
        subcommands: [Append.self, Writers.self, HotStream.self, Generate.self, Rebuild.self, Decode.self, Lag.self, Sign.self]
    )

    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "N single-event appends through the store API vs N single-row INSERTs of the same bytes.",
            discussion: """
                Both sides run on one connection each, autocommit, with prepared statements; the rounds alternate
                (raw, store, store, raw, …) so that drift in the machine's speed hits both alike.
                """
        )

        @Option(help: "How many appends on each side.")
        var count = 20_000
        @Option(help: "How many alternating rounds to split them into.")
        var rounds = 4
        @Option(help: "Write the figures as JSON to this file.")
        var json: String?

        func run() throws {
            let store = EventStore(connection: try Connection())
            try store.connection.execute("SET ROLE vigil_writer")
            let raw = try Connection()
            try RawEvents.create(raw)
            let payload = #"{"gatheringId": "dad-2004-washington", "missionId": "prc-embassy-washington", "kind": "vigil", "expectedAttendance": 100, "timeZone": "America/New_York", "startsAt": "2004-12-22T17:00:00Z"}"#
            let streams = 1_000
            var versions = [Int64](repeating: 0, count: streams)
            let tag = UUID().uuidString.prefix(8)
            var storeSeconds = 0.0
            var rawSeconds = 0.0
            var done = 0
            let perRound = count / rounds
            func rawRound(_ n: Int, offset: Int) throws {
                for i in 0..<n {
                    try raw.query(RawEvents.insert(stream: "bench-\(tag)-\((offset + i) % streams)", payload: payload), prepared: true)
                }
            }
            func storeRound(_ n: Int, offset: Int) throws {
                for i in 0..<n {
                    let s = (offset + i) % streams
                    let expected: ExpectedVersion = versions[s] == 0 ? .noStream : .exact(versions[s])
                    let result = try store.append(
                        to: "bench-\(tag)-\(s)", expected: expected,
                        events: [NewEvent(type: "GatheringScheduled", data: payload)],
                        metadata: EventMetadata(commandId: UUID().uuidString, actor: "bench"))
                    versions[s] = result.version
                }
            }
            // Warm both sides up (prepared statements, caches) before timing.
            try rawRound(200, offset: 0)
            try storeRound(200, offset: 0)
            for round in 0..<rounds {
                let offset = 200 + round * perRound
                // Which side goes first alternates too (raw, store, store, raw, …), so that neither always
                // runs right after the other's burst of WAL.
                for side in round % 2 == 0 ? [0, 1] : [1, 0] {
                    let start = Date()
                    if side == 0 {
                        try rawRound(perRound, offset: offset)
                        rawSeconds += Date().timeIntervalSince(start)
                    } else {
                        try storeRound(perRound, offset: offset)
                        storeSeconds += Date().timeIntervalSince(start)
                    }
                }
                done += perRound
                FileHandle.standardError.write(Data("bench append: round \(round + 1)/\(rounds)\n".utf8))
            }
            let storeRate = Double(done) / storeSeconds
            let rawRate = Double(done) / rawSeconds
            let ratio = storeRate / rawRate
            print(String(format: "append, 1 writer, 1 event per command: store %.0f/s, raw INSERT %.0f/s, ratio %.2f× (target ≥ 0.75×, issue 10), n=%d",
                         storeRate, rawRate, ratio, done))
            if let json {
                let object: [String: Any] = [
                    "scenario": "append-1-writer", "n": done, "vigilPerSecond": storeRate, "rawPerSecond": rawRate,
                    "ratio": ratio, "target": 0.75,
                ]
                try writeJSON(object, to: json)
            }
            try RawEvents.drop(raw)
        }
    }
}
