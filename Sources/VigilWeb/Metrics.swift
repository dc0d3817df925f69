import CoreMetrics
import Foundation
import Hummingbird
import Logging
import Prometheus
import Synchronization
import VigilProjections
import VigilService

/// What an operator watches, in Prometheus's text format at /metrics: how far each projection is behind
/// the log (events and seconds), how many events it set aside, and the commands every Vigil process
/// handled (by kind and outcome, and their lost races), read when scraped; and what this process counted
/// through swift-metrics (HTTP requests by status, events applied by projection). No label carries an id
/// or a person: projection names, kinds, outcomes, statuses.
public final class VigilMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The command counts as last scraped, so that the registry's counters move by what was added since.
    private let countedCommands = Mutex<[String: Int64]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// A metric's name and help text (no namespace, no unit: the names carry them).
    static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The process's metrics: swift-metrics bootstrapped to Prometheus, once per process.
    public static func bootstrap() -> VigilMetrics {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return VigilMetrics(registry: registry)
    }

    /// Metrics of their own (for tests): swift-metrics is not touched.
    public static func standalone() -> VigilMetrics { VigilMetrics(registry: PrometheusCollectorRegistry()) }

    /// The scrape: the projections' lag and the command counts read now, then everything in the registry.
    func scrape(_ lag: [ProjectionLag], standby: StandbyLag? = nil, commands: [CommandCount] = []) -> String {
        // The counts are kept in the database by every process that handles commands (the CLI's included);
        // a Prometheus counter only goes up, so each moves by what was added since the last scrape. A count
        // read lower than before (a standby a moment behind, or a database restored from a backup) moves
        // nothing until it passes what was shown. One scrape at a time, so that two never add one rise twice.
        var conflictsByKind: [String: Int64] = [:]
        for count in commands {
            let (sum, overflow) = conflictsByKind[count.kind, default: 0].addingReportingOverflow(count.conflicts)
            conflictsByKind[count.kind] = overflow ? Int64.max : sum
        }
        countedCommands.withLock { seen in
            func move(_ name: String, _ labels: [(String, String)], to total: Int64, help: String) {
                let key = ([name] + labels.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1f}")
                let shown = seen[key] ?? 0
                let counter = registry.makeCounter(descriptor: Self.named(name, help: help), labels: labels)
                guard total > shown else { return }
                seen[key] = total
                counter.increment(by: total - shown)
            }
            for count in commands {
                move("vigil_commands_total", [("kind", count.kind), ("outcome", count.outcome)], to: count.commands,
                     help: "Commands handled by any Vigil process, by kind and outcome.")
            }
            for (kind, conflicts) in conflictsByKind {
                move("vigil_command_conflicts_total", [("kind", kind)], to: conflicts,
                     help: "Decisions that lost a race with another command and were decided again, by kind.")
            }
        }
        if let standby {
            registry.makeGauge(descriptor: Self.named("vigil_standby_lag_bytes", help: "WAL the primary wrote that the report standby has not replayed (-1: the primary could not be asked)."), labels: [])
                .set(Double(standby.bytesBehind ?? -1))
            registry.makeGauge(descriptor: Self.named("vigil_standby_lag_seconds", help: "Seconds since the report standby replayed its last transaction, while it is behind."), labels: [])
                .set(standby.secondsBehind ?? -1)
        }
        for line in lag {
            let labels = [("projection", line.projection)]
            registry.makeGauge(descriptor: Self.named("vigil_projection_lag_events", help: "Events committed after the projection's checkpoint."), labels: labels)
                .set(Double(line.eventsBehind))
            registry.makeGauge(descriptor: Self.named("vigil_projection_lag_seconds", help: "Age of the oldest event the projection has not applied."), labels: labels)
                .set(line.secondsBehind)
            registry.makeGauge(descriptor: Self.named("vigil_projection_quarantined_events", help: "Events the projection could not read and set aside."), labels: labels)
                .set(Double(line.quarantined))
        }
        return registry.emitToString()
    }

    /// The /metrics route on `router`, reading the lag through `pool`.
    func route<Context: RequestContext>(on router: Router<Context>, pool: ServicePool) {
        router.get("/metrics") { _, _ in
            let (lag, standby, commands) = try await pool.run { service in
                (try service.projectionStatus(), try service.standbyStatus(), try service.commandCounts())
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: self.scrape(lag, standby: standby, commands: commands))))
        }
    }
}

/// A server with /metrics only, for `vigil projections run --metrics-port`: the runner has no web pages.
public struct MetricsServer: Sendable {
    let pool: ServicePool
    let metrics: VigilMetrics
    let host: String
    let port: Int

    public init(pool: ServicePool, metrics: VigilMetrics, host: String, port: Int) {
        self.pool = pool
        self.metrics = metrics
        self.host = host
        self.port = port
    }

    public func application(logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        metrics.route(on: router, pool: pool)
        return Application(
            router: router, server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}

/// Counts HTTP responses by method and status (swift-metrics; a no-op unless bootstrapped).
enum HTTPMetrics {
    static func response(method: String, status: Int) {
        Counter(label: "vigil_http_requests_total", dimensions: [("method", method), ("status", String(status))]).increment()
    }
}
