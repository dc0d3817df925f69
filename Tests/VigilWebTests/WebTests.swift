import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VigilService
import VigilTestSupport
@testable import VigilWeb

/// The sample data set, loaded once for every web test: the seeds, plus one small vigil whose attendance
/// (3) the reporter's view must hide.
enum SeededSite {
    static let database: Result<String, any Error> = Result {
        let name = try TestDatabase.create("web")
        let seeds = TestDatabase.projectFolder.appendingPathComponent("seeds")
        let load = try VigilBinary.run(["seed", "load", "--dir", seeds.path], database: name)
        guard load.status == 0 else { throw TestFailure("seed load exited \(load.status): \(load.stderr)") }
        for command in [
            ["campaign", "launch", "small-2026", "--title", "A small vigil", "--cause", "Repatriation", "--coalition", "Friends",
             "--addressee", "The ambassador", "--demand", "Stop it"],
            ["gathering", "schedule", "small-2026-helsinki", "--mission", "prc-embassy-helsinki", "--campaign", "small-2026",
             "--kind", "vigil", "--at", "2026-03-01 12:00"],
            ["gathering", "held", "small-2026-helsinki", "--attendance", "3"],
            // The same mission in another campaign, with 10: the mission's total (13) beside this
            // campaign's day (10) would give the small vigil's 3 away.
            ["campaign", "launch", "big-2026", "--title", "A bigger vigil", "--cause", "Repatriation", "--coalition", "Friends",
             "--addressee", "The ambassador", "--demand", "Stop it"],
            ["gathering", "schedule", "big-2026-helsinki", "--mission", "prc-embassy-helsinki", "--campaign", "big-2026",
             "--kind", "vigil", "--at", "2026-03-08 12:00"],
            ["gathering", "held", "big-2026-helsinki", "--attendance", "10"],
            // Hostile text where organisers type: a title a spreadsheet would run, markup in a title and a venue.
            ["campaign", "launch", "hostile-2026", "--title", "=HYPERLINK(\"x\") <script>alert(1)</script> \"q\" & 'a'",
             "--cause", "C", "--coalition", "<b>bold</b>", "--addressee", "A", "--demand", "D"],
            ["gathering", "schedule", "hostile-2026-paris", "--mission", "prc-embassy-paris", "--campaign", "hostile-2026",
             "--kind", "vigil", "--at", "2026-04-01 18:00", "--venue", "<img src=x onerror=alert(1)>; \"quai\", 'rive'"],
        ] {
            let run = try VigilBinary.run(command, database: name)
            guard run.status == 0 else { throw TestFailure("vigil \(command.joined(separator: " ")) exited \(run.status): \(run.stderr)") }
        }
        return name
    }

    static func service() throws -> VigilService {
        VigilService(conninfo: "dbname=\(try database.get())")
    }

    /// The server over the seeded database, with `connections` pooled services and no page cache.
    static func server(connections: Int = 2, cacheSeconds: Double = 0, name: String = "vigil-web-test") throws -> ReportServer {
        let conninfo = "dbname=\(try database.get()) application_name=\(name)"
        return ReportServer(
            pool: ServicePool(size: connections) { VigilService(conninfo: conninfo) },
            options: .init(port: 0, cacheSeconds: cacheSeconds))
    }
}

/// Captures what the server logs, to check that no query string is written.
final class CapturedLog: LogHandler, @unchecked Sendable {
    let lines = Locked<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let all = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        lines.withLock { $0.append("\(event.message) \(all)") }
    }
}

@Suite("The web report server, in process", .serialized)
struct WebRouteTests {
    /// `GET uri` against the application in process: status, content type, body.
    func get(_ uri: String, server: ReportServer? = nil, log: CapturedLog? = nil) async throws -> (HTTPResponse.Status, String, String) {
        let server = try server ?? SeededSite.server()
        let logger = log.map { handler in Logger(label: "test") { _ in handler } } ?? Logger(label: "test")
        let app = try server.application(logger: logger)
        return try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                (response.status, response.headers[.contentType] ?? "", String(buffer: response.body))
            }
        }
    }

    @Test("every page answers 200 with HTML a person reads, and no script or outside resource")
    func pages() async throws {
        let pages: [(String, [String])] = [
            ("/", ["Campaigns and days of action", "Worldwide protest against China"]),
            ("/map", ["Map of missions", "<svg id=\"map\"", "Sydney", "Washington"]),
            ("/campaigns/dad-2004", ["Missions reached", "Washington"]),
            ("/campaigns/dad-2004/day", ["the day of action", "id=\"timeline\"", "Sydney", "Los Angeles", "petition blocked at the gate"]),
            ("/missions/prc-embassy-washington", ["Embassy of the People", "3505 International Place", "38.9437, -77.0665"]),
        ]
        for (path, expected) in pages {
            let (status, type, body) = try await get(path)
            #expect(status == .ok, "\(path)")
            #expect(type.hasPrefix("text/html"), "\(path)")
            for text in expected { #expect(body.contains(text), "\(path) lacks \(text)") }
            #expect(!body.lowercased().contains("<script"), "\(path) has a script")
            for attribute in ["src=\"", "href=\""] {
                for value in body.components(separatedBy: attribute).dropFirst().map({ String($0.prefix { $0 != "\"" }) }) {
                    #expect(value.hasPrefix("/") && !value.hasPrefix("//"), "\(path) links outside: \(value)")
                }
            }
        }
    }

    @Test("the day of action lists gatherings in the order they start, each with its local time and zone")
    func followTheSun() async throws {
        let (_, _, body) = try await get("/campaigns/dad-2004/day")
        let timeline = body.components(separatedBy: "id=\"timeline\"")[1].components(separatedBy: "</ol>")[0]
        let sydney = try #require(timeline.range(of: "Sydney"))
        let losAngeles = try #require(timeline.range(of: "Los Angeles"))
        #expect(sydney.lowerBound < losAngeles.lowerBound, "Sydney starts before Los Angeles")
        #expect(timeline.contains("Wed 22 Dec 2004"))
        #expect(timeline.contains("Australia/Sydney, UTC+11:00"))
        #expect(timeline.contains("America/Los_Angeles, UTC−08:00"))
    }

    @Test("JSON under /api/ carries the rows and how far behind the log they are")
    func api() async throws {
        for path in ["/api/campaigns", "/api/campaigns/dad-2004", "/api/campaigns/dad-2004/day", "/api/missions",
                     "/api/missions?country=US", "/api/missions?campaign=dad-2004", "/api/missions/prc-embassy-washington"] {
            let (status, type, body) = try await get(path)
            #expect(status == .ok, "\(path)")
            #expect(type == "application/json", "\(path)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(path)")
            #expect(object["rows"] != nil && object["behindLog"] != nil, "\(path)")
            #expect(object["view"] as? String == "reporter", "\(path)")
        }
        let (_, _, body) = try await get("/api/missions?country=JP")
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["rows"] as? [[String: Any]])
        #expect(Set(rows.compactMap { ($0["mission"] as? [String: Any])?["country"] as? String }) == ["JP"])
        #expect(rows.count == 2)
        let day = try await get("/api/campaigns/dad-2004/day").2
        #expect(day.contains("\"startsAtUTC\":\"2004-12-2"), "instants are ISO 8601")
        #expect(day.contains("\"delivery\":\"blocked\""))
    }

    @Test("the OpenAPI document names every /api route, and each answers")
    func openAPI() async throws {
        let (status, type, body) = try await get("/api/openapi.json")
        #expect(status == .ok && type == "application/json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(Set(paths.keys) == ["/api/campaigns", "/api/campaigns/{id}", "/api/campaigns/{id}/day", "/api/missions", "/api/missions/{id}", "/api/upcoming"])
        for path in paths.keys {
            let concrete = path.replacingOccurrences(of: "/campaigns/{id}", with: "/campaigns/dad-2004")
                .replacingOccurrences(of: "/missions/{id}", with: "/missions/prc-embassy-seoul")
            #expect(try await get(concrete).0 == .ok, "\(concrete)")
        }
    }

    @Test("calendars: a campaign's gatherings and a weekly series as iCalendar, each time with its zone")
    func calendars() async throws {
        let (status, type, body) = try await get("/campaigns/dad-2004/calendar.ics")
        #expect(status == .ok && type.hasPrefix("text/calendar"))
        #expect(body.hasPrefix("BEGIN:VCALENDAR\r\n"))
        #expect(body.contains("DTSTART;TZID=Australia/Sydney:20041222T120000"))
        #expect(body.contains("BEGIN:VTIMEZONE\r\nTZID:Australia/Sydney"))
        let weekly = try await get("/weekly/dprk-mission-tuesdays/calendar.ics")
        #expect(weekly.0 == .ok && weekly.2.contains("RRULE:FREQ=WEEKLY"))
        let (pageStatus, _, page) = try await get("/upcoming?days=30")
        #expect(pageStatus == .ok && page.contains("Coming up"))
        #expect(try await get("/api/upcoming").0 == .ok)
    }

    @Test("the OpenAPI document is valid OpenAPI 3.1, by openapi-spec-validator (scripts/test installs it)")
    func openAPIValid() async throws {
        let (_, _, body) = try await get("/api/openapi.json")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-openapi-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(body.utf8).write(to: file)
        let run = try runProgram("/usr/bin/env", ["python3", "-c", """
            import json, sys
            from openapi_spec_validator import validate
            validate(json.load(open(sys.argv[1])))
            print("valid")
            """, file.path])
        #expect(run.status == 0 && run.stdout.contains("valid"), "openapi-spec-validator refused the document")
    }

    @Test("CSV downloads: a header, a row per item, and cells a spreadsheet would run are neutralised")
    func csv() async throws {
        let (status, type, body) = try await get("/campaigns/dad-2004/day.csv")
        #expect(status == .ok && type.hasPrefix("text/csv"))
        let lines = body.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first?.hasPrefix("starts_utc,local_start,zone,city") == true)
        let json = try await get("/api/campaigns/dad-2004/day").2
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["rows"] as? [Any])
        #expect(lines.count == rows.count + 1)
        #expect(try await get("/missions.csv").1.hasPrefix("text/csv"))
        #expect(try await get("/campaigns.csv").2.contains("dad-2004,"))
    }

    @Test("an unknown campaign or mission is a 404 page; a malformed id or query a 400 that says what was wrong")
    func statuses() async throws {
        let cases: [(String, HTTPResponse.Status, String)] = [
            ("/campaigns/no-such-campaign", .notFound, "No campaign \"no-such-campaign\" is on record"),
            ("/campaigns/no-such-campaign/day", .notFound, "No campaign"),
            ("/missions/no-such-mission", .notFound, "No mission \"no-such-mission\""),
            ("/api/missions/no-such-mission", .notFound, "\"status\":404"),
            ("/api/campaigns/no-such-campaign/day", .notFound, "No campaign"),
            ("/campaigns/Not_An_Id", .badRequest, "is not an id"),
            ("/api/missions?country=XYZ1", .badRequest, "country"),
            ("/api/missions?colour=red", .badRequest, "Unknown query parameter \"colour\""),
            ("/map?x=1", .badRequest, "takes no query parameters"),
            ("/upcoming?days=many", .badRequest, "is not a number of days"),
            ("/api/upcoming?days=0", .badRequest, "is not a number of days"),
            ("/weekly/no-such-series/calendar.ics", .notFound, "no-such-series"),
            ("/campaigns/no-such-campaign/calendar.ics", .notFound, "no-such-campaign"),
        ]
        for (path, expected, text) in cases {
            let (status, type, body) = try await get(path)
            #expect(status == expected, "\(path): \(status)")
            // As the page escapes it (&quot;) or as JSON does (\").
            let forms = [text, text.replacingOccurrences(of: "\"", with: "&quot;"), text.replacingOccurrences(of: "\"", with: "\\\"")]
            #expect(forms.contains { body.contains($0) }, "\(path): \(body.prefix(300))")
            #expect(path.hasPrefix("/api/") ? type == "application/json" : type.hasPrefix("text/html"), "\(path)")
        }
        #expect(try await get("/no/such/page").0 == .notFound)
    }

    @Test("a database that cannot be reached is a 503 page that says so, without naming the database or the login")
    func unavailable() async throws {
        let server = ReportServer(
            pool: ServicePool(size: 1) { VigilService(conninfo: "dbname=vigil_no_such_database user=vigil_no_such_login") },
            options: .init(port: 0, cacheSeconds: 0))
        let (status, _, body) = try await get("/campaigns/dad-2004/day", server: server)
        #expect(status == .serviceUnavailable)
        #expect(body.contains("cannot be read just now"))
        #expect(!body.contains("vigil_no_such"))
        let (apiStatus, type, json) = try await get("/api/missions", server: server)
        #expect(apiStatus == .serviceUnavailable && type == "application/json" && !json.contains("vigil_no_such"))
    }

    @Test("the reporter's view: an attendance of 3 is <5 on the page and in the JSON, never 3")
    func smallCounts() async throws {
        let (_, _, page) = try await get("/campaigns/small-2026/day")
        #expect(page.contains("&lt;5 people"))
        let (_, _, json) = try await get("/api/campaigns/small-2026/day")
        #expect(json.contains("\"attendanceReported\":\"<5\""))
        #expect(!json.contains("\"attendanceReported\":3"))
    }

    @Test("no breakdown the site publishes gives a small count away: a mission's attendance is withheld everywhere")
    func noSubtraction() async throws {
        let (_, _, missionPage) = try await get("/missions/prc-embassy-helsinki")
        #expect(!missionPage.contains(">13<") && !missionPage.contains(" 13 "), "the mission's total over campaigns")
        let (_, _, missionJSON) = try await get("/api/missions/prc-embassy-helsinki")
        #expect(missionJSON.contains("\"attendanceReported\":\"withheld\""))
        let (_, _, missions) = try await get("/api/missions?campaign=small-2026")
        #expect(!missions.contains("\"attendanceReported\":3") && !missions.contains("\"attendanceReported\":\"<5\""))
        let (_, _, csv) = try await get("/missions.csv")
        let helsinki = try #require(csv.components(separatedBy: "\r\n").first { $0.hasPrefix("prc-embassy-helsinki,") })
        #expect(helsinki.contains(",withheld,") && !helsinki.contains(",13,"))
        let (_, _, campaign) = try await get("/campaigns/small-2026")
        let table = campaign.components(separatedBy: "id=\"missions\"")[1].components(separatedBy: "</table>")[0]
        #expect(!table.contains("&lt;5") && !table.contains(">3<"))
        // The big campaign's day still shows its 10: per gathering is where people are counted.
        #expect(try await get("/api/campaigns/big-2026/day").2.contains("\"attendanceReported\":10"))
    }

    @Test("hostile text is text: escaped in pages and the map, neutralised in CSV, escaped in the calendar")
    func hostileText() async throws {
        for path in ["/", "/campaigns/hostile-2026", "/campaigns/hostile-2026/day", "/map"] {
            let (status, _, body) = try await get(path)
            #expect(status == .ok, "\(path)")
            #expect(!body.contains("<script>alert") && !body.contains("<img src=x") && !body.contains("<b>bold"), "\(path)")
        }
        #expect(try await get("/").2.contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; &#39;a&#39;"))
        let csv = try await get("/campaigns.csv").2
        #expect(csv.contains("\"'=HYPERLINK(\"\"x\"\")"), "a formula becomes text")
        #expect(try await get("/missions.csv").2.contains(",38.9437,-77.0665,"), "a negative longitude stays a number")
        let ics = try await get("/campaigns/hostile-2026/calendar.ics").2
        #expect(ics.contains("\\;") && !ics.contains("\"quai\", 'rive'"), "RFC 5545 escapes ; and ,")
    }

    @Test("an address nothing answers is the site's 404 page, with its headers")
    func unknownAddress() async throws {
        let app = try SeededSite.server().application(logger: Logger(label: "test"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/no/such/page", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("Nothing is published at this address"))
                #expect(response.headers[.init("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
            }
        }
    }

    @Test("one cache entry per page, however the query string is written")
    func cacheKeys() async throws {
        let server = try SeededSite.server(cacheSeconds: 60)
        let app = try server.application(logger: Logger(label: "test"))
        try await app.test(.router) { client in
            for uri in ["/map", "/map?", "/map?&", "/api/missions?country=JP", "/api/missions?&country=JP", "/api/missions?country=JP&"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .ok, "\(uri)") }
            }
        }
        #expect(await server.cache.count == 2)
    }

    @Test("/metrics: each projection's lag in events and seconds and its quarantined events, in Prometheus's text format")
    func metrics() async throws {
        let (status, type, body) = try await get("/metrics")
        #expect(status == .ok && type.hasPrefix("text/plain; version=0.0.4"))
        for projection in ["activity", "campaigns", "missions"] {
            #expect(body.contains("vigil_projection_lag_events{projection=\"\(projection)\"} 0"), "\(projection)")
            #expect(body.contains("vigil_projection_lag_seconds{projection=\"\(projection)\"}"), "\(projection)")
            #expect(body.contains("vigil_projection_quarantined_events{projection=\"\(projection)\"} 0"), "\(projection)")
        }
        #expect(body.contains("# TYPE vigil_projection_lag_events gauge"))
        // The sample data went in as commands, and the server shows what they came to.
        #expect(body.contains("vigil_commands_total{kind=\"campaign.launch\",outcome=\"appended\"}"), "\(body)")
        #expect(body.contains("# TYPE vigil_command_conflicts_total counter"))
    }

    @Test("requests are logged with method, path and status, never the query string")
    func logging() async throws {
        let log = CapturedLog()
        _ = try await get("/api/missions?country=US", log: log)
        _ = try await get("/campaigns/no-such-campaign", log: log)
        let lines = log.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("path=/api/missions") && $0.contains("status=200") })
        #expect(lines.contains { $0.contains("path=/campaigns/no-such-campaign") && $0.contains("status=404") })
        #expect(!lines.contains { $0.contains("country=US") || $0.contains("?") }, "\(lines)")
    }

    @Test("twenty requests at once share two pooled connections, and every one is answered")
    func pooled() async throws {
        let name = "vigil-pool-\(UInt32.random(in: 0..<UInt32.max))"
        let server = try SeededSite.server(connections: 2, name: name)
        let app = try server.application(logger: Logger(label: "test"))
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        try await client.execute(uri: i % 2 == 0 ? "/campaigns/dad-2004/day" : "/api/missions", method: .get) { $0.status }
                    }
                }
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                #expect(statuses.count == 20 && statuses.allSatisfy { $0 == .ok })
            }
        }
        // The pool's connections, told apart by their application_name: two at most, however many requests.
        let backends = try TestDatabase.connect(try SeededSite.database.get()).query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = \(name)")
        #expect(try backends[0].int("n") <= 2)
    }

    @Test("the static site: every page as a file, and every link in it leads to a file that was written")
    func staticSite() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-site-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let written = try StaticSite.write(service: try SeededSite.service(), to: folder)
        #expect(written.files.contains("index.html") && written.files.contains("day-dad-2004.html") && written.files.contains("map.html"))
        for file in written.files where file.hasSuffix(".html") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("<script"))
            for value in text.components(separatedBy: "href=\"").dropFirst().map({ String($0.prefix { $0 != "\"" }) }) {
                #expect(!value.hasPrefix("/") && !value.contains("://"), "\(file): \(value)")
                let target = value.components(separatedBy: "#")[0].replacingOccurrences(of: "&amp;", with: "&")
                #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(target).path), "\(file) links to missing \(target)")
            }
        }
        let day = try String(contentsOf: folder.appendingPathComponent("day-dad-2004.html"), encoding: .utf8)
        #expect(day.contains("Sydney") && day.contains("<svg id=\"map\""))
    }
}

/// A gate reads wait at until a test opens it: no timing in the cache's tests.
actor Gate {
    private var open = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        if open { return }
        await withCheckedContinuation { waiting.append($0) }
    }
    func release() {
        open = true
        waiting.forEach { $0.resume() }
        waiting.removeAll()
    }
}

@Suite("The page cache")
struct PageCacheTests {
    @Test("a burst for one address reads once; once it is old, one read refreshes it while the old page is served")
    func singleFlight() async throws {
        let cache = PageCache(seconds: 0.05)
        let reads = Locked(0)
        let first = Gate()
        let read: @Sendable () async -> Rendered = {
            let n = reads.withLock { $0 += 1; return $0 }
            if n == 1 { await first.wait() }
            return .html("page \(n)")
        }
        let burst = Task {
            await withTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { await cache.page("/day", read: read).body } }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        await first.release()
        #expect(Set(await burst.value) == ["page 1"])
        #expect(reads.withLock { $0 } == 1)
        try await Task.sleep(for: .milliseconds(80))
        // Old now: the first asker gets the old page at once and starts one read; the next gets the new page.
        #expect(await cache.page("/day", read: read).body == "page 1")
        var next = await cache.page("/day", read: read).body
        for _ in 0..<100 where next == "page 1" {
            try await Task.sleep(for: .milliseconds(10))
            next = await cache.page("/day", read: read).body
        }
        #expect(next == "page 2")
        #expect(reads.withLock { $0 } == 2)
    }

    @Test("a failure is never kept, and drops the page it would have replaced")
    func failuresNotKept() async throws {
        let cache = PageCache(seconds: 0.01)
        let fail = Locked(false)
        let reads = Locked(0)
        let read: @Sendable () async -> Rendered = {
            reads.withLock { $0 += 1 }
            return fail.withLock { $0 } ? Rendered(status: .serviceUnavailable, contentType: "text/html", body: "down") : .html("up")
        }
        #expect(await cache.page("/", read: read).body == "up")
        fail.withLock { $0 = true }
        try await Task.sleep(for: .milliseconds(30))
        _ = await cache.page("/", read: read)  // the old page, while the failing read runs
        var status = await cache.page("/", read: read).status
        for _ in 0..<100 where status == .ok {
            try await Task.sleep(for: .milliseconds(10))
            status = await cache.page("/", read: read).status
        }
        #expect(status == .serviceUnavailable, "the error, not the old page")
        #expect(await cache.count == 0)
    }

    @Test("at most its capacity: the oldest page goes first")
    func bounded() async {
        let cache = PageCache(seconds: 60, capacity: 3)
        for i in 0..<10 { _ = await cache.page("/p\(i)") { .html("p") } }
        #expect(await cache.count == 3)
    }
}

@Suite("The service pool")
struct ServicePoolTests {
    @Test("when every service is lent and the waiting line is full, a request is turned away at once (503)")
    func busy() async throws {
        let conninfo = "dbname=\(try SeededSite.database.get())"
        let pool = ServicePool(size: 1, maxWaiting: 0) { VigilService(conninfo: conninfo) }
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let holding = Task { try await pool.run { _ in started.signal(); gate.wait() } }
        await Task.detached { started.wait() }.value
        await #expect(throws: ServicePool.Busy.self) { try await pool.run { _ in () } }
        gate.signal()
        try await holding.value
        try await pool.run { _ in () }
    }
}
