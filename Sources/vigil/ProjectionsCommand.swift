import ArgumentParser
import CoreMetrics
import Foundation
import Logging
import Synchronization
import VigilDomain
import VigilService
import VigilWeb

/// `vigil projections …`: the read models' runner.
struct ProjectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "Follow the log into the read models, show how far behind they are, rebuild them.",
        subcommands: [Run.self, Status.self, Rebuild.self]
    )

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow the log: catch up in batches, then wait for new events, until SIGINT or SIGTERM.",
            discussion: """
                LISTEN/NOTIFY wakes it; it also polls every second, so nothing waits on a missed notification.
                On SIGINT or SIGTERM it finishes the batch in hand and exits 0. With --metrics-port it serves \
                Prometheus metrics at /metrics meanwhile: each projection's lag in events and seconds, events set \
                aside, events applied, connections lost. Example: vigil projections run --metrics-port 9464
                """
        )

        @Option(name: .customLong("metrics-port"), help: "Serve Prometheus metrics on this port while following (0: any free port, printed).")
        var metricsPort: Int?
        @Option(name: .customLong("metrics-host"), help: "The address the metrics listen on.")
        var metricsHost = "127.0.0.1"

        func validate() throws {
            if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be 0 to 65535") }
        }

        func run() throws {
            try CLI.run {
                Signals.install()
                let metricsTask = try metricsPort.map { try serveMetrics(port: $0) }
                defer { metricsTask?.cancel() }
                FileHandle.standardError.write(Data("vigil: following the log (stop with Ctrl-C)\n".utf8))
                try VigilService().followProjections(shouldStop: { Signals.stopRequested }) { event in
                    switch event {
                    case .applied(let name, let n):
                        Counter(label: "vigil_projection_events_applied_total", dimensions: [("projection", name)]).increment(by: n)
                        FileHandle.standardError.write(Data("vigil: \(name): applied \(n) events\n".utf8))
                    case .connectionLost(let message):
                        Counter(label: "vigil_projection_connections_lost_total").increment()
                        FileHandle.standardError.write(Data("vigil: \(message); retrying in 2 s\n".utf8))
                    }
                }
                FileHandle.standardError.write(Data("vigil: stopped\n".utf8))
            }
        }

        /// The metrics server, on its own task and connection; the runner's own signal handling stops
        /// the process, so the server installs none.
        func serveMetrics(port: Int) throws -> Task<Void, Never> {
            let metrics = VigilMetrics.bootstrap()
            let server = MetricsServer(pool: ServicePool(size: 1) { VigilService() }, metrics: metrics, host: metricsHost, port: port)
            let host = metricsHost
            return Task {
                do {
                    try await server.application(logger: Logger(label: "vigil.metrics")) { port in
                        FileHandle.standardError.write(Data("vigil: metrics at http://\(host):\(port)/metrics\n".utf8))
                    }.runService(gracefulShutdownSignals: [])
                } catch {
                    FileHandle.standardError.write(Data("vigil: the metrics server stopped: \(error)\n".utf8))
                }
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each projection's checkpoint, how far it is behind the log, and the events it set aside as unreadable.",
            discussion: "Example: vigil projections status --format json"
        )

        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let service = VigilService()
                let lag = try service.projectionStatus()
                Output.printRows(
                    ["projection", "checkpoint (xid/position)", "events behind", "seconds behind", "set aside"],
                    lag.map {
                        [$0.projection, $0.checkpoint, String($0.eventsBehind), String(format: "%.1f", $0.secondsBehind), String($0.quarantined)]
                    },
                    json: try Output.jsonValue(lag), format: format)
                // The events set aside, with why: a person can act on them (an upgrade, then a rebuild).
                if format == .table {
                    for event in try service.quarantine() {
                        print("set aside: position \(event.position), \(event.type) in \(event.stream): \(event.reason)")
                    }
                }
            }
        }
    }

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay the log into fresh tables and swap them in, in one transaction.",
            discussion: """
                Reports keep reading the old tables until the swap. A progress line goes to stderr. After a crash or
                kill, running it again resumes where it stopped. Needs the tables' owner (the login that migrates).
                Several projections named are rebuilt in one pass over the log, as --all does.
                Example: vigil projections rebuild --all; vigil projections rebuild activity weekly
                """
        )

        @Argument(help: "The projections, one or more of: \(VigilService.projectionNames.joined(separator: ", ")).")
        var names: [String] = []
        @Flag(help: "Rebuild every projection.")
        var all = false

        func validate() throws {
            guard all == names.isEmpty else { throw ValidationError("name one projection or more, or give --all") }
            for name in names where !VigilService.projectionNames.contains(name) {
                throw ValidationError("no projection \"\(name)\"; the projections are \(VigilService.projectionNames.joined(separator: ", "))")
            }
            if Set(names).count != names.count { throw ValidationError("a projection is named twice; name each once") }
        }

        func run() throws {
            try CLI.run {
                let progress = ProgressLine()
                let (rebuilt, n) = try VigilService().rebuildProjections(all ? nil : names, waiting: { progress.finish($0) }) { progress.show($0) }
                progress.finish("rebuilt \(rebuilt.joined(separator: ", ")): \(n) events")
            }
        }
    }
}

/// A progress line on stderr: rewritten in place on a terminal, else printed every two seconds.
final class ProgressLine {
    var lastPrinted = Date.distantPast
    let terminal = isatty(2) == 1

    func show(_ p: RebuildProgress) {
        guard terminal || Date().timeIntervalSince(lastPrinted) >= 2 else { return }
        lastPrinted = Date()
        let line = String(format: "rebuild %@: %d/%d events, %.0f/s, %.0f s left", p.projection, p.done, p.total, p.rate, p.secondsLeft)
        FileHandle.standardError.write(Data((terminal ? "\r\u{1b}[K" + line : line + "\n").utf8))
    }

    /// A line of its own ("vigil: message"), also in the middle (what a rebuild waits for).
    func finish(_ message: String) {
        FileHandle.standardError.write(Data(((terminal ? "\r\u{1b}[K" : "") + "vigil: \(message)\n").utf8))
    }
}

/// SIGINT and SIGTERM ask a long-running command to stop after its current batch.
enum Signals {
    static let flag = Atomic<Bool>(false)

    static var stopRequested: Bool { flag.load(ordering: .relaxed) }

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in Signals.flag.store(true, ordering: .relaxed) }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent may have started us with these signals blocked (test runners do): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
