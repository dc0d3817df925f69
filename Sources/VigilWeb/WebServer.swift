import Foundation
import Hummingbird
import Logging
import VigilDomain
import VigilEncoding
import VigilProjections
import VigilService

/// The web report server: the reports as pages, JSON (described by an OpenAPI document) and CSV,
/// read-only, as the reporter role, through the service's report calls. No SQL of its own.
public struct ReportServer: Sendable {
    /// Where it listens and how it reads.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        /// How long a rendered page or document is served again before it is read anew (0: never kept).
        /// Figures then lag the read models by at most this much; the footer says how far the read
        /// models lag the log.
        public var cacheSeconds: Double
        /// A folder whose files are served at /bench/NAME from memory: the baseline of `scripts/bench web`
        /// (the same server returning a static file of the same size as a page).
        public var benchStaticFolder: String?

        public init(host: String = "127.0.0.1", port: Int = 8080, cacheSeconds: Double = 1, benchStaticFolder: String? = nil) {
            self.host = host
            self.port = port
            self.cacheSeconds = cacheSeconds
            self.benchStaticFolder = benchStaticFolder
        }
    }

    let pool: ServicePool
    let options: Options
    let cache: PageCache
    let metrics: VigilMetrics

    /// `metrics`: what /metrics serves (the process's, once bootstrapped; standalone ones by default).
    public init(pool: ServicePool, options: Options, metrics: VigilMetrics = .standalone()) {
        self.pool = pool
        self.options = options
        self.metrics = metrics
        cache = PageCache(seconds: options.cacheSeconds)
    }

    /// The application, ready to run (`runService()`) or to test (`test(.router)`). `onRunning` is
    /// told the port it listens on once it does (the one the system chose, for port 0).
    public func application(logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        throws -> some ApplicationProtocol
    {
        Application(
            router: try router(),
            // A connection idle for a minute is closed, so idle sockets cannot pile up.
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) },
            logger: logger)
    }

    /// Every route. Pages and documents go through `cached`, which maps the service's refusals to
    /// statuses: an unknown campaign or mission is 404, a malformed id or query 400.
    func router() throws -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLog())
        let links = SiteLinks.server

        router.get("/") { request, _ in
            try await respond(request, query: []) { service in
                .html(Pages.index(try SiteReads.index(service), links: links))
            }
        }
        router.get("/map") { request, _ in
            try await respond(request, query: []) { service in .html(Pages.map(try SiteReads.map(service), links: links)) }
        }
        router.get("/campaigns/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await respond(request, query: []) { service in
                .html(Pages.campaign(try SiteReads.campaign(service, id), links: links))
            }
        }
        router.get("/campaigns/{id}/day") { request, context in
            let id = try context.parameters.require("id")
            return try await respond(request, query: []) { service in
                .html(Pages.day(try SiteReads.campaign(service, id), links: links))
            }
        }
        router.get("/campaigns/{id}/day.csv") { request, context in
            let id = try context.parameters.require("id")
            return try await respond(request, query: []) { service in .csv(Downloads.day(try service.dayReport(id).rows), name: "day-\(id).csv") }
        }
        router.get("/campaigns/{id}/calendar.ics") { request, context in
            let id = try context.parameters.require("id")
            return try await respond(request, query: []) { service in .calendar(try service.campaignCalendar(id), name: "\(id).ics") }
        }
        router.get("/upcoming") { request, _ in
            try await respond(request, query: ["days"]) { service in
                let days = try Rendered.days(request.uri.queryParameters.get("days"))
                let report = try service.upcoming(days: days)
                return .html(Pages.upcoming(report.rows, days: days, lag: report.lag.map(LagLine.init), standby: report.standby, links: links))
            }
        }
        router.get("/weekly/{id}/calendar.ics") { request, context in
            let id = try context.parameters.require("id")
            return try await respond(request, query: []) { service in .calendar(try service.weeklyCalendar(id), name: "\(id).ics") }
        }
        router.get("/missions/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await respond(request, query: []) { service in
                .html(Pages.mission(try SiteReads.mission(service, id), links: links))
            }
        }
        router.get("/missions.csv") { request, _ in
            try await respond(request, query: []) { service in
                .csv(Downloads.missions(try service.missionsReport().rows.map(Publication.mission)), name: "missions.csv")
            }
        }
        router.get("/campaigns.csv") { request, _ in
            try await respond(request, query: []) { service in .csv(Downloads.campaigns(try service.campaignsReport().rows), name: "campaigns.csv") }
        }
        metrics.route(on: router, pool: pool)
        router.get("/style.css") { _, _ in
            Rendered(status: .ok, contentType: "text/css; charset=utf-8", body: Stylesheet.css).response(cacheable: true)
        }

        // The same data for machines.
        router.get("/api/openapi.json") { _, _ in
            Rendered(status: .ok, contentType: "application/json", body: OpenAPIDocument.json).response(cacheable: true)
        }
        router.get("/api/campaigns") { request, _ in
            try await respond(request, query: []) { service in try .api(service.campaignsReport()) }
        }
        router.get("/api/campaigns/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await respond(request, query: []) { service in try .api(service.campaignsReport(id).map { $0[0] }) }
        }
        router.get("/api/campaigns/{id}/day") { request, context in
            let id = try context.parameters.require("id")
            return try await respond(request, query: []) { service in try .api(service.dayReport(id)) }
        }
        router.get("/api/missions") { request, _ in
            try await respond(request, query: ["country", "campaign"]) { service in
                let country = request.uri.queryParameters.get("country")
                let campaign = request.uri.queryParameters.get("campaign")
                return try .api(Publication.missions(service.missionsReport(country: country, campaign: campaign)))
            }
        }
        router.get("/api/upcoming") { request, _ in
            try await respond(request, query: ["days"]) { service in
                try .api(service.upcoming(days: try Rendered.days(request.uri.queryParameters.get("days"))))
            }
        }
        router.get("/api/missions/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await respond(request, query: []) { service in
                try .api(service.missionReport(id).map(Publication.mission))
            }
        }

        if let folder = options.benchStaticFolder {
            var files: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
                files[name] = try String(contentsOfFile: (folder as NSString).appendingPathComponent(name), encoding: .utf8)
            }
            let served = files
            router.get("/bench/{name}") { _, context in
                guard let body = served[try context.parameters.require("name")] else { throw HTTPError(.notFound) }
                return Rendered(status: .ok, contentType: "text/html; charset=utf-8", body: body).response(cacheable: false)
            }
        }
        return router
    }

    /// Serves `request` from the cache, or reads it through a pooled service off the event loop and keeps
    /// it. Query parameters other than `allowed` are a 400, so that a typo is not silently ignored.
    func respond(_ request: Request, query allowed: Set<String>, read: @escaping @Sendable (VigilService) throws -> Rendered)
        async throws -> Response
    {
        let given = Set(request.uri.queryParameters.map { String($0.key) }.filter { !$0.isEmpty })
        if let unknown = given.subtracting(allowed).sorted().first {
            let accepted = allowed.isEmpty ? "this address takes no query parameters" : "it takes \(allowed.sorted().joined(separator: ", "))"
            return Rendered.problem(request, status: .badRequest, "Unknown query parameter \"\(unknown)\": \(accepted).").response(cacheable: false)
        }
        // The key is the path and the parameters a route takes, in order: `?`, `?&` or a reordering
        // are the same page, not a new entry and a new read.
        let parameters = allowed.sorted().compactMap { name in request.uri.queryParameters.get(name).map { "\(name)=\($0)" } }
        let key = request.uri.path + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
        let pool = self.pool
        let rendered = await cache.page(key) {
            do {
                return try await pool.run(read)
            } catch ServicePool.Busy.busy {
                var busy = Rendered.problem(request, status: .serviceUnavailable, "The server is busy; try again in a few seconds.")
                busy.retryAfter = 5
                return busy
            } catch {
                return Rendered.failure(request, error)
            }
        }
        return rendered.response(cacheable: rendered.status == .ok)
    }
}

/// A rendered page or document: what a response carries, kept by the cache.
struct Rendered: Sendable {
    var status: HTTPResponse.Status
    var contentType: String
    var body: String
    var filename: String?
    /// Seconds a client should wait before asking again (a 503 when the pool is full).
    var retryAfter: Int?

    /// `?days=N` of /upcoming: 1 to 366, 14 when absent.
    static func days(_ raw: String?) throws -> Int {
        guard let raw else { return 14 }
        guard let days = Int(raw), (1...366).contains(days) else {
            throw DomainError.invalid(field: "days", reason: "\"\(raw.prefix(20))\" is not a number of days: give 1 to 366")
        }
        return days
    }

    static func html(_ page: String) -> Rendered { Rendered(status: .ok, contentType: "text/html; charset=utf-8", body: page) }
    static func csv(_ text: String, name: String) -> Rendered {
        Rendered(status: .ok, contentType: "text/csv; charset=utf-8", body: text, filename: name)
    }
    static func calendar(_ text: String, name: String) -> Rendered {
        Rendered(status: .ok, contentType: "text/calendar; charset=utf-8", body: text, filename: name)
    }

    /// A report as `{"rows": …, "behindLog": […], "view": "reporter"}`, the shape `--format json` prints.
    static func api<Rows: Encodable & Sendable>(_ report: Report<Rows>) throws -> Rendered {
        let text = String(decoding: try VigilService.json(APIBody(rows: report.rows, behindLog: report.lag, view: report.view.rawValue)), as: UTF8.self)
        return Rendered(status: .ok, contentType: "application/json", body: text)
    }

    /// What went wrong, for a person (an HTML page) or a machine (JSON under /api/).
    static func problem(_ request: Request, status: HTTPResponse.Status, _ message: String) -> Rendered {
        if request.uri.path.hasPrefix("/api/") {
            let text = String(decoding: (try? VigilService.json(APIProblem(status: status.code, error: message))) ?? Data(), as: UTF8.self)
            return Rendered(status: status, contentType: "application/json", body: text)
        }
        let title = status == .notFound ? "Not found" : status == .badRequest ? "Bad request" : "Reports unavailable"
        return Rendered(status: status, contentType: "text/html; charset=utf-8", body: Pages.problem(title: title, message: message, links: .server))
    }

    /// A failure of the service as a status: a refusal of the request is 4xx with the service's words;
    /// anything else is a 503 that says no more than that (the log has the detail, never a connection string).
    static func failure(_ request: Request, _ error: any Error) -> Rendered {
        switch error {
        case DomainError.notFound(let kind, let id):
            return problem(request, status: .notFound, "No \(kind) \"\(id)\" is on record.")
        case let error as DomainError:
            return problem(request, status: .badRequest, "\(error)")
        case let error as VigilError where error.kind == .invalidInput:
            return problem(request, status: .badRequest, error.message)
        case let error as VigilError where error.kind == .notFound:
            return problem(request, status: .notFound, error.message)
        default:
            // The service's messages never carry a connection string or a password; the log gets the
            // detail, the reader only that the reports are unavailable.
            Logger(label: "vigil.serve").error(
                "a report could not be read", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return problem(request, status: .serviceUnavailable, "The reports cannot be read just now; try again in a minute.")
        }
    }

    func response(cacheable: Bool) -> Response {
        var headers: HTTPFields = [
            .contentType: contentType,
            .init("Content-Security-Policy")!: "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            .init("X-Content-Type-Options")!: "nosniff",
            .init("Referrer-Policy")!: "no-referrer",
        ]
        if let filename { headers[.contentDisposition] = "attachment; filename=\"\(filename)\"" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if status != .ok { headers[.cacheControl] = "no-store" } else if cacheable { headers[.cacheControl] = "max-age=1" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

struct APIBody<Rows: Encodable>: Encodable {
    var rows: Rows
    var behindLog: [ProjectionLag]
    var view: String
}

struct APIProblem: Encodable {
    var status: Int
    var error: String
}

/// Rendered pages kept for a short while, so that a burst of requests reads the database once a second
/// rather than once a request. One read per address at a time: while it runs, others asking for the
/// same address get the page it replaces (if that is under `staleLimit` old) or wait for it, instead of
/// piling onto the pool. Only successes are kept; a read that fails drops the page it would replace, so
/// an error is not hidden behind an old page. At most `capacity` pages, the oldest dropped first.
actor PageCache {
    let seconds: Double
    let capacity: Int
    let staleLimit: Duration
    private var kept: [String: (page: Rendered, read: ContinuousClock.Instant)] = [:]
    private var reading: [String: Task<Rendered, Never>] = [:]

    init(seconds: Double, capacity: Int = 500, staleLimit: Duration = .seconds(30)) {
        self.seconds = seconds
        self.capacity = capacity
        self.staleLimit = staleLimit
    }

    func page(_ key: String, read: @escaping @Sendable () async -> Rendered) async -> Rendered {
        guard seconds > 0 else { return await read() }
        let now = ContinuousClock.now
        let fresh = Duration.milliseconds(Int(seconds * 1000))
        let stale = kept[key].flatMap { now - $0.read < staleLimit ? $0.page : nil }
        if let entry = kept[key], now - entry.read < fresh { return entry.page }
        if let running = reading[key] {
            if let stale { return stale }
            return await running.value
        }
        let task = Task { await read() }
        reading[key] = task
        if let stale {
            Task { await self.finish(key, task) }
            return stale
        }
        return await finish(key, task)
    }

    @discardableResult
    private func finish(_ key: String, _ task: Task<Rendered, Never>) async -> Rendered {
        let page = await task.value
        reading[key] = nil
        guard page.status == .ok else {
            kept[key] = nil
            return page
        }
        if kept[key] == nil, kept.count >= capacity, let oldest = kept.min(by: { $0.value.read < $1.value.read })?.key {
            kept[oldest] = nil
        }
        kept[key] = (page, .now)
        return page
    }

    /// How many pages are kept (for tests).
    var count: Int { kept.count }
}

/// Logs each request with swift-log: method, path, status and time. Never the query string, which could
/// carry whatever someone typed, nor any header.
struct RequestLog<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func log(_ status: Int) {
            let ms = (ContinuousClock.now - start) / .milliseconds(1)
            context.logger.info(
                "request", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(status)", "ms": "\(String(format: "%.1f", ms))"])
            HTTPMetrics.response(method: "\(request.method)", status: status)
        }
        do {
            let response = try await next(request, context)
            log(Int(response.status.code))
            return response
        } catch let error as any HTTPResponseError where error.status == .notFound {
            // An address no route answers: the same page, headers and words as an unknown campaign.
            log(404)
            return Rendered.problem(request, status: .notFound, "Nothing is published at this address.").response(cacheable: false)
        } catch let error as any HTTPResponseError {
            log(Int(error.status.code))
            throw error
        } catch {
            log(500)
            throw error
        }
    }
}

/// The CSV downloads: the same columns as the CLI's `--format csv` of the same report.
enum Downloads {
    static func day(_ rows: [DayRow]) -> String {
        CSVText.document(
            headers: ["starts_utc", "local_start", "zone", "city", "country", "mission", "gathering", "kind", "status", "delivery", "expected", "reported"],
            rows: rows.map {
                [Pages.iso($0.startsAtUTC), $0.localStart, $0.timeZone, $0.city, $0.country, $0.missionId, $0.gatheringId, $0.kind, $0.status,
                 $0.delivery ?? "", $0.attendanceExpected.description, $0.attendanceReported?.description ?? ""]
            })
    }

    static func missions(_ rows: [MissionReportRow]) -> String {
        CSVText.document(
            headers: ["mission", "name", "kind", "city", "country", "latitude", "longitude", "status", "held", "reported", "accepted", "refused", "blocked", "nobody_out"],
            rows: rows.map {
                let f = $0.figures
                return [$0.mission.missionId, $0.mission.name, $0.mission.kind, $0.mission.city, $0.mission.country,
                        $0.mission.latitude.map(Coordinates.text) ?? "", $0.mission.longitude.map(Coordinates.text) ?? "", $0.mission.status,
                        String(f.gatheringsHeld), f.attendanceReported.description, String(f.deliveriesAccepted), String(f.deliveriesRefused),
                        String(f.deliveriesBlocked), String(f.deliveriesNobodyCameOut)]
            })
    }

    static func campaigns(_ rows: [CampaignReportRow]) -> String {
        CSVText.document(
            headers: ["campaign", "title", "status", "missions", "cities", "countries", "held", "reported", "accepted", "refused", "blocked", "nobody_out", "signatures"],
            rows: rows.map {
                let f = $0.figures
                return [$0.campaign.campaignId, $0.campaign.title, $0.campaign.status, String($0.missionsReached), String($0.citiesReached),
                        String($0.countriesReached), String(f.gatheringsHeld), f.attendanceReported.description, String(f.deliveriesAccepted),
                        String(f.deliveriesRefused), String(f.deliveriesBlocked), String(f.deliveriesNobodyCameOut), $0.signatures.total.description]
            })
    }
}
