import Foundation
import Testing
import VigilTestSupport

/// The pages in a real browser: Debian's chromium, headless, against `vigil serve` on the seeded data.
/// Each page's screenshot is kept in .build/screenshots/ for people to look at, and its DOM, as the
/// browser built it, is checked for what a person would read there.
@Suite("The report site in a real browser", .serialized)
struct BrowserTests {
    static let screenshots = TestDatabase.projectFolder.appendingPathComponent(".build/screenshots")

    /// The browser's path: chromium as Debian installs it (scripts/test installs it).
    static var chromium: String {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return "/usr/bin/chromium"
    }

    /// Runs the browser headless with `arguments` and returns what it printed on stdout.
    static func browser(_ arguments: [String]) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        // --no-sandbox: the tests may run as root, where chromium's sandbox refuses to start.
        let run = try runProgram(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                                            "--user-data-dir=\(profile.path)", "--virtual-time-budget=3000"] + arguments)
        guard run.status == 0 else { throw TestFailure("chromium exited \(run.status)") }
        return run.stdout
    }

    /// `vigil serve --port 0` on the seeded database, and the address it printed.
    static func serve() throws -> (Process, String) {
        let (process, text) = try VigilBinary.startReading(
            ["serve", "--port", "0", "--connections", "2"], database: try SeededSite.database.get()) { $0.contains("\n") }
        return (process, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The PNG's width and height, read from its IHDR chunk.
    static func pngSize(_ data: Data) -> (Int, Int)? {
        guard data.count > 24, data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
        func int(_ at: Int) -> Int { data[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (int(16), int(20))
    }

    @Test("each page renders in chromium: a screenshot kept, and its DOM says what a person reads there")
    func pagesInChromium() throws {
        let (server, address) = try Self.serve()
        defer { server.terminate(); server.waitUntilExit() }
        #expect(address.hasPrefix("http://127.0.0.1:"))
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        let pages: [(name: String, path: String, reads: [String])] = [
            ("index", "", ["Campaigns and days of action", "Worldwide protest against China"]),
            ("day-of-action-2004", "campaigns/dad-2004/day", ["the day of action", "Wed 22 Dec 2004, 12:00", "petition blocked at the gate"]),
            ("map", "map", ["Map of missions", "missions placed on the map"]),
            ("campaign-2004", "campaigns/dad-2004", ["Missions reached", "Coalition"]),
            ("mission-washington", "missions/prc-embassy-washington", ["3505 International Place NW", "Gatherings by kind"]),
            ("coming-up", "upcoming?days=366", ["Coming up", "on its place's clock"]),
            ("not-found", "campaigns/no-such-campaign", ["Not found", "No campaign \"no-such-campaign\" is on record"]),
        ]
        for page in pages {
            let url = address + page.path
            let dom = try Self.browser(["--dump-dom", url])
            for text in page.reads { #expect(dom.contains(HTMLText.escaped(text)) || dom.contains(text), "\(page.name): \(text)") }
            #expect(!dom.contains("<script"), "\(page.name)")
            let file = Self.screenshots.appendingPathComponent("\(page.name).png")
            try? FileManager.default.removeItem(at: file)
            _ = try Self.browser(["--window-size=1280,1600", "--screenshot=\(file.path)", url])
            let png = try Data(contentsOf: file)
            let size = try #require(Self.pngSize(png), "\(page.name): not a PNG")
            #expect(size.0 == 1280 && size.1 == 1600, "\(page.name): \(size)")
            #expect(png.count > 10_000, "\(page.name): a blank page? \(png.count) bytes")
        }
        // The day of action as the browser laid it out: the timeline's cities in the order they start.
        let dom = try Self.browser(["--dump-dom", address + "campaigns/dad-2004/day"])
        let timeline = dom.components(separatedBy: "id=\"timeline\"")[1].components(separatedBy: "</ol>")[0]
        // Seoul and Tokyo start at the same instant (noon, UTC+9), so only one of them is in the order.
        let order = ["Sydney", "Seoul", "London", "Washington", "Los Angeles"].compactMap { timeline.range(of: $0)?.lowerBound }
        #expect(order.count == 5 && order == order.sorted(), "follow the sun")
    }
}

/// Text as it appears in a DOM dump (chromium escapes & < > in text).
enum HTMLText {
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
