import CoreMetrics
import Foundation
import Hummingbird
import Logging
import Prometheus
import VigilProjections
import VigilService

/// What an operator watches, in Prometheus's text format at /metrics: how far each projection is behind
/// the log (events and seconds) and how many events it set aside, read when scraped; and what this
/// process counted through swift-metrics (commands and conflicts by kind, HTTP requests by status,
/// events applied by projection). No label carries an id or a person: projection names, kinds, statuses.
public final class VigilMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// The process's metrics: swift-metrics bootstrapped to Prometheus, once per process.
    public static func bootstrap() -> VigilMetrics {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return VigilMetrics(registry: registry)
    }

    /// Metrics of their own (for tests): swift-metrics is not touched.
    public static func standalone() -> VigilMetrics { VigilMetrics(registry: PrometheusCollectorRegistry()) }

    /// The scrape: the projections' lag read now, then everything in the registry.
    func scrape(_ lag: [ProjectionLag], standby: StandbyLag? = nil) -> String {
        if let standby {
            registry.makeGauge(name: "vigil_standby_lag_bytes", labels: [], help: "WAL the primary wrote that the report standby has not replayed (-1: the primary could not be asked).")
                .set(Double(standby.bytesBehind ?? -1))
            registry.makeGauge(name: "vigil_standby_lag_seconds", labels: [], help: "Seconds since the report standby replayed its last transaction, while it is behind.")
                .set(standby.secondsBehind ?? -1)
        }
        for line in lag {
            let labels = [("projection", line.projection)]
            registry.makeGauge(name: "vigil_projection_lag_events", labels: labels, help: "Events committed after the projection's checkpoint.")
                .set(Double(line.eventsBehind))
            registry.makeGauge(name: "vigil_projection_lag_seconds", labels: labels, help: "Age of the oldest event the projection has not applied.")
                .set(line.secondsBehind)
            registry.makeGauge(name: "vigil_projection_quarantined_events", labels: labels, help: "Events the projection could not read and set aside.")
                .set(Double(line.quarantined))
        }
        return registry.emitToString()
    }

    /// The /metrics route on `router`, reading the lag through `pool`.
    func route<Context: RequestContext>(on router: Router<Context>, pool: ServicePool) {
        router.get("/metrics") { _, _ in
            let (lag, standby) = try await pool.run { service in (try service.projectionStatus(), try service.standbyStatus()) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: self.scrape(lag, standby: standby))))
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
