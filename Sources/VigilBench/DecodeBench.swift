import ArgumentParser
import EventStore
import Foundation
import PostgresClient
import VigilCodec

extension Bench {
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode the log's payloads in memory: the codec's CPU an event, apart from reading and folding.",
            discussion: "Run `generate` first. Reads up to --events payloads once, then decodes them all in each round."
        )

        @Option(help: "How many payloads to hold in memory.")
        var events = 1_000_000
        @Option(help: "Rounds; each decodes every payload once.")
        var rounds = 3

        func run() throws {
            let store = EventStore(connection: try Connection())
            var payloads: [LoggedPayload] = []
            var cursor = Checkpoint.start
            while payloads.count < events {
                let batch = try store.readPayloads(after: cursor, limit: 5_000)
                guard let last = batch.last else { break }
                payloads += batch
                cursor = last.checkpoint
            }
            for round in 1...rounds {
                let started = Date()
                let cpu = cpuSeconds()
                for payload in payloads { _ = try EventCodec.decode(type: payload.type, schemaVersion: payload.schemaVersion, data: payload.data) }
                let seconds = Date().timeIntervalSince(started)
                let micros = (cpuSeconds() - cpu) / Double(max(payloads.count, 1)) * 1_000_000
                print(String(format: "decode, round %d: %d payloads, %.0f events/s, %.1f µs of CPU an event",
                             round, payloads.count, Double(payloads.count) / seconds, micros))
            }
        }
    }
}
