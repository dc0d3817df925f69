import ArgumentParser
import EventStore
import Foundation
import PostgresClient
import VigilDomain
import VigilProjections
import VigilService

/// Peak resident memory of this process so far, in MiB.
func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// CPU seconds this process has used so far, user and system, every thread.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// A realistic mix of events in the shapes the domain stores them (every payload decodes as a domain
/// event): missions, campaigns, gatherings with their outcomes and readings, petitions with signatures
/// and deliveries.
struct EventMix {
    static let now = "2023-11-14T17:00:00Z"
    static let local = #"{"day":14,"hour":12,"minute":0,"month":11,"year":2023}"#

    /// A COPY row of one event, in the shape version `schema` of its type (1 unless the type changed).
    static func row(_ stream: String, _ version: Int, _ type: String, _ data: String, schema: Int = 1) -> [String?] {
        [stream, String(version), UUID().uuidString.lowercased(), type, String(schema), data, "bench", "\\x", "2"]
    }

    static func mission(_ id: String, country: String, city: String) -> String {
        #"{"city":"\#(city)","country":"\#(country)","kind":"embassy","missionId":"\#(id)","name":"Mission \#(id)","registeredAt":"\#(now)","sendingState":"CN","timeZone":"America/New_York"}"#
    }

    static func scheduled(_ id: String, mission: String, campaign: String?) -> String {
        let campaign = campaign.map { #""campaignId":"\#($0)","# } ?? ""
        return #"{\#(campaign)"expectedAttendance":40,"gatheringId":"\#(id)","kind":"vigil","localStart":\#(local),"missionId":"\#(mission)","scheduledAt":"\#(now)","startsAt":"\#(now)","timeZone":"America/New_York"}"#
    }

    /// Calls `emit` with COPY rows for about `count` events.
    static func generate(count: Int, emit: ([String?]) throws -> Void) throws {
        let missions = 300
        let campaigns = 60
        let countries = ["US", "KR", "GB", "JP", "AU", "CA", "DE", "FR"]
        for m in 0..<missions {
            try emit(row("mission-m\(m)", 1, "MissionRegistered", mission("m\(m)", country: countries[m % 8], city: "City \(m % 150)")))
        }
        for c in 0..<campaigns {
            try emit(row("campaign-c\(c)", 1, "CampaignLaunched",
                #"{"addressee":"President Xi Jinping","campaignId":"c\#(c)","cause":"Forced repatriation","coalition":"Coalition","demands":["Stop forced repatriation"],"launchedAt":"\#(now)","title":"Campaign \#(c)"}"#))
            try emit(row("petition-p\(c)", 1, "PetitionDrafted",
                #"{"campaignId":"c\#(c)","content":{"addressee":"President Xi Jinping","demands":[],"text":"Stop.","title":"Petition"},"draftedAt":"\#(now)","kind":"petition","petitionId":"p\#(c)"}"#))
        }
        var emitted = missions + 2 * campaigns
        var versions = [Int](repeating: 1, count: campaigns)
        var g = 0
        let outcomes = ["accepted", "refused", "blocked", "nobody-came-out"]
        while emitted < count {
            let m = g % missions
            let c = g % campaigns
            let stream = "gathering-g\(g)"
            try emit(row(stream, 1, "GatheringScheduled", scheduled("g\(g)", mission: "m\(m)", campaign: "c\(c)")))
            emitted += 1
            if g % 5 == 0 {
                try emit(row(stream, 2, "GatheringCancelled", #"{"cancelledAt":"\#(now)","gatheringId":"g\#(g)","reason":"rain"}"#))
                emitted += 1
            } else {
                try emit(row(stream, 2, "GatheringHeld", #"{"gatheringId":"g\#(g)","recordedAt":"\#(now)","reportedAttendance":35}"#))
                try emit(row(stream, 3, "NamesRead", #"{"gatheringId":"g\#(g)","listRef":"list-a","names":120,"readers":8,"recordedAt":"\#(now)"}"#))
                versions[c] += 1
                try emit(row("petition-p\(c)", versions[c], "DeliveryAttempted",
                    #"{"attemptedAt":"\#(now)","deliveryId":"d\#(g)","gatheringId":"g\#(g)","localTime":\#(local),"missionId":"m\#(m)","outcome":"\#(outcomes[g % 4])","petitionId":"p\#(c)","recordedAt":"\#(now)","timeZone":"America/New_York","version":1}"#))
                emitted += 3
            }
            for _ in 0..<2 {
                versions[c] += 1
                try emit(row("petition-p\(c)", versions[c], "SignatureRecorded",
                    #"{"channel":"online","country":"KR","petitionId":"p\#(c)","recordedAt":"\#(now)","subjectId":"\#(UUID().uuidString.lowercased())"}"#,
                    schema: SignatureRecorded.schemaVersion))
                emitted += 1
            }
            g += 1
        }
    }
}

extension Bench {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fill the log with a realistic mix of N events (COPY, 100,000 per transaction).",
            discussion: "The events are written straight to the log for speed: their hash chain is not computed."
        )

        @Option(help: "How many events.")
        var events = 1_000_000

        func run() throws {
            let connection = try Connection()
            var chunk: [[String?]] = []
            var written = 0
            let started = Date()
            func flush() throws {
                guard !chunk.isEmpty else { return }
                try connection.withTransaction {
                    _ = try connection.copyIn(
                        "COPY vigil.events (stream_id, stream_version, event_id, event_type, schema_version, data, actor, hash, hash_version) FROM STDIN",
                        rows: chunk)
                }
                written += chunk.count
                chunk.removeAll(keepingCapacity: true)
                FileHandle.standardError.write(Data("bench generate: \(written) events\n".utf8))
            }
            try EventMix.generate(count: events) { row in
                chunk.append(row)
                if chunk.count == 100_000 { try flush() }
            }
            try flush()
            try connection.execute("ANALYZE vigil.events")
            FileHandle.standardError.write(Data(String(format: "bench generate: %d events in %.1f s\n", written, Date().timeIntervalSince(started)).utf8))
        }
    }

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild all projections over the log vs plain keyset pages of 1,000 over the same rows.",
            discussion: "Run `generate` first. Prints both rates, their ratio, and this process's peak memory."
        )

        @Option(help: "Rounds, each a plain read then a rebuild; the median ratio is reported.")
        var rounds = 3
        @Option(help: "Write the figures as JSON to this file.")
        var json: String?

        func run() throws {
            let connection = try Connection()
            // The plain read: the same rows, the same client, keyset pages of 1,000; whole rows parsed into
            // events, and again with only the four columns a rebuild reads.
            func keysetRead(_ columns: String) throws -> (rate: Double, cpu: Double) {
                let started = Date()
                let cpu = cpuSeconds()
                var last: Int64 = 0
                var read = 0
                while true {
                    let rows = try connection.query(
                        """
                        SELECT \(unescaped: columns) FROM vigil.events WHERE global_position > \(last)
                         ORDER BY global_position LIMIT 1000
                        """, prepared: true)
                    guard let final = rows.last else { break }
                    last = try final.int64("global_position")
                    for row in rows { _ = try row.text("data") }
                    if columns == EventStore.columns { _ = try rows.map(EventStore.recordedEvent) }
                    read += rows.count
                }
                let seconds = Date().timeIntervalSince(started)
                let cpuPerRow = (cpuSeconds() - cpu) / Double(max(read, 1)) * 1_000_000
                FileHandle.standardError.write(Data(String(format: "bench rebuild: plain keyset read %d rows in %.1f s, client CPU %.1f µs a row\n", read, seconds, cpuPerRow).utf8))
                return (Double(read) / seconds, cpuPerRow)
            }
            // Rounds alternate the plain reads and the rebuild, so drift in the machine's speed hits both;
            // the round with the median ratio is reported, and the range beside it.
            let runner = ProjectionRunner(connection: connection)
            var results: [(rebuilt: Int, rebuildRate: Double, plainRate: Double, leanRate: Double, cpu: Double, plainCPU: Double)] = []
            for round in 1...rounds {
                let (plainRate, plainCPU) = try keysetRead(EventStore.columns)
                let leanRate = try keysetRead("global_position, transaction_id, event_type, data").rate
                let started = Date()
                let cpu = cpuSeconds()
                var lastLine = Date.distantPast
                let rebuilt = try runner.rebuildAll(Projections.all) { p in
                    if Date().timeIntervalSince(lastLine) > 5 {
                        lastLine = Date()
                        FileHandle.standardError.write(Data(String(format: "bench rebuild: round %d, %d/%d events, %.0f/s, %.0f MiB peak\n", round, p.done, p.total, p.rate, peakRSSMiB()).utf8))
                    }
                }
                let rebuildRate = Double(rebuilt) / Date().timeIntervalSince(started)
                // Client CPU per event, both threads: steadier than rates on a shared machine.
                let cpuPerEvent = (cpuSeconds() - cpu) / Double(max(rebuilt, 1)) * 1_000_000
                FileHandle.standardError.write(Data(String(format: "bench rebuild: round %d: %.0f events/s, ratio %.2f×, client CPU %.1f µs an event\n", round, rebuildRate, rebuildRate / plainRate, cpuPerEvent).utf8))
                results.append((rebuilt, rebuildRate, plainRate, leanRate, cpuPerEvent, plainCPU))
            }
            let ratios = results.map { $0.rebuildRate / $0.plainRate }.sorted()
            let median = results.sorted { $0.rebuildRate / $0.plainRate < $1.rebuildRate / $1.plainRate }[results.count / 2]
            let ratio = median.rebuildRate / median.plainRate
            let rss = peakRSSMiB()
            print(String(format: "rebuild all projections over %d events: %.0f events/s; plain keyset pages: %.0f rows/s; ratio %.2f× (median of %d rounds, %.2f–%.2f; target ≥ 0.50×); peak RSS %.0f MiB (target < 200); against pages of only the 4 columns a rebuild reads (%.0f rows/s): %.2f×; client CPU %.1f µs an event (the plain read's %.1f µs a row)",
                         median.rebuilt, median.rebuildRate, median.plainRate, ratio, rounds, ratios.first ?? 0, ratios.last ?? 0, rss,
                         median.leanRate, median.rebuildRate / median.leanRate, median.cpu, median.plainCPU))
            if let json {
                try writeJSON(["scenario": "rebuild", "events": median.rebuilt, "vigilPerSecond": median.rebuildRate,
                               "rawPerSecond": median.plainRate, "ratio": ratio, "ratios": ratios, "target": 0.5, "peakRSSMiB": rss,
                               "leanRawPerSecond": median.leanRate, "leanRatio": median.rebuildRate / median.leanRate,
                               "clientCPUMicrosPerEvent": median.cpu, "plainClientCPUMicrosPerRow": median.plainCPU], to: json)
            }
        }
    }

    struct Lag: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Commands at a steady rate with the projection runner following: delay from commit to visible.",
            discussion: "Appends gathering events at --rate per second for --seconds; a watcher sees each reach the read model."
        )

        @Option(help: "Commands per second.")
        var rate = 1_000
        @Option(help: "How long, in seconds.")
        var seconds = 30
        @Option(help: "Write the figures as JSON to this file.")
        var json: String?

        func run() throws {
            try VigilService().catchUpProjections()
            let setup = EventStore(connection: try Connection())
            // One mission to gather at.
            let tag = UUID().uuidString.prefix(8).lowercased()
            try setup.append(
                to: "mission-lag-\(tag)", expected: .noStream,
                events: [NewEvent(type: "MissionRegistered", data: EventMix.mission("lag-\(tag)", country: "US", city: "Washington"))],
                metadata: EventMetadata(commandId: UUID().uuidString, actor: "bench"))

            let stop = Locked(false)
            let commits = Locked<[(Checkpoint, Date)]>([])
            let delays = Locked<[Double]>([])
            // The runner, as `vigil projections run` does it.
            let runnerThread = Thread {
                do {
                    let runner = ProjectionRunner(connection: try Connection())
                    try runner.follow(pollSeconds: 1, shouldStop: { stop.value })
                } catch {
                    FileHandle.standardError.write(Data("bench lag: runner failed: \(error)\n".utf8))
                }
            }
            runnerThread.start()
            // The watcher: sees each committed command reach the activity read model.
            let watcher = Thread {
                do {
                    let runner = ProjectionRunner(connection: try Connection())
                    var pending: [(Checkpoint, Date)] = []
                    while !stop.value || !pending.isEmpty || !commits.value.isEmpty {
                        pending += commits.withLock { c in defer { c.removeAll() }; return c }
                        let visible = try runner.storedCheckpoint(of: "activity")
                        let now = Date()
                        let (done, waiting) = (pending.filter { $0.0 <= visible }, pending.filter { $0.0 > visible })
                        delays.withLock { $0 += done.map { now.timeIntervalSince($0.1) * 1000 } }
                        pending = waiting
                        if stop.value && now.timeIntervalSinceReferenceDate.truncatingRemainder(dividingBy: 1) < 0 { break }
                        usleep(500)
                    }
                } catch {
                    FileHandle.standardError.write(Data("bench lag: watcher failed: \(error)\n".utf8))
                }
            }
            watcher.start()

            let writer = EventStore(connection: try Connection())
            let interval = 1.0 / Double(rate)
            let started = Date()
            var sent = 0
            while Date().timeIntervalSince(started) < Double(seconds) {
                let due = started.addingTimeInterval(Double(sent) * interval)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
                let result = try writer.append(
                    to: "gathering-lag-\(tag)-\(sent)", expected: .noStream,
                    events: [NewEvent(type: "GatheringScheduled", data: EventMix.scheduled("lag-\(tag)-\(sent)", mission: "lag-\(tag)", campaign: nil))],
                    metadata: EventMetadata(commandId: UUID().uuidString, actor: "bench"))
                let committed = Date()
                if let checkpoint = result.checkpoint { commits.withLock { $0.append((checkpoint, committed)) } }
                sent += 1
            }
            let achieved = Double(sent) / Date().timeIntervalSince(started)
            // Let the watcher see the last ones, then stop everything.
            let deadline = Date().addingTimeInterval(10)
            while delays.value.count < sent && Date() < deadline { usleep(10_000) }
            stop.withLock { $0 = true }
            while !runnerThread.isFinished || !watcher.isFinished { usleep(10_000) }
            let sorted = delays.value.sorted()
            guard !sorted.isEmpty else { throw ValidationError("no command reached the read model") }
            func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            print(String(format: "projection lag at %.0f commands/s for %d s (%d commands, %d seen): p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 100 ms)",
                         achieved, seconds, sent, sorted.count, percentile(0.5), percentile(0.99), sorted[sorted.count - 1]))
            if let json {
                try writeJSON(["scenario": "lag", "commandsPerSecond": achieved, "p50ms": percentile(0.5), "p99ms": percentile(0.99),
                               "maxms": sorted[sorted.count - 1], "target": 100], to: json)
            }
        }
    }
}

/// Appends one JSON object to a JSON array file (created when missing).
func writeJSON(_ object: [String: Any], to path: String) throws {
    var all: [Any] = []
    if let data = FileManager.default.contents(atPath: path), let existing = try? JSONSerialization.jsonObject(with: data) as? [Any] {
        all = existing
    }
    all.append(object)
    try JSONSerialization.data(withJSONObject: all, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
}

/// A value shared between threads behind a lock.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private var value_: Value
    private let lock = NSLock()
    init(_ value: Value) { value_ = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value_)
    }
    var value: Value { withLock { $0 } }
}
