import Foundation
import VigilService

/// HTML text: escaping, and the page every report is set in. Hand-written on purpose: a page here is a
/// few tables, and a template engine would add a dependency and a second language for what a dozen lines
/// of escaping do. Every value that comes from the data goes through `escape`.
enum HTML {
    /// `text` safe inside an element or a quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A link; `href` is one of `SiteLinks`' (ids are checked `[a-z0-9-]`), the text is escaped.
    static func link(_ href: String, _ text: String) -> String { "<a href=\"\(escape(href))\">\(escape(text))</a>" }

    /// A table with a caption, a header row and rows of cells that are already HTML. Numbers align right.
    static func table(caption: String?, headers: [String], rows: [[String]], numeric: Set<Int> = [], id: String? = nil) -> String {
        var out = "<table\(id.map { " id=\"\(escape($0))\"" } ?? "")>"
        if let caption { out += "<caption>\(escape(caption))</caption>" }
        out += "<thead><tr>" + headers.enumerated().map { i, h in
            "<th scope=\"col\"\(numeric.contains(i) ? " class=\"n\"" : "")>\(escape(h))</th>"
        }.joined() + "</tr></thead><tbody>"
        for row in rows {
            out += "<tr>" + row.enumerated().map { i, cell in
                "<td\(numeric.contains(i) ? " class=\"n\"" : "")>\(cell)</td>"
            }.joined() + "</tr>"
        }
        return out + "</tbody></table>"
    }

    /// A whole page: the title, the site's navigation, the body, and a footer saying how current the
    /// figures are. No script anywhere, and nothing loaded from another server.
    static func page(title: String, links: SiteLinks, body: String, lag: [LagLine], standby: StandbyLag? = nil) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(escape(title)) · Vigil</title>
        <link rel="stylesheet" href="\(escape(links.stylesheet))">
        </head>
        <body>
        <header><nav><a class="brand" href="\(escape(links.home))">Vigil</a> \
        <a href="\(escape(links.home))">Campaigns</a> <a href="\(escape(links.map))">Map of missions</a> \
        <a href="\(escape(links.upcoming))">Coming up</a>\(links.apiDocument.map { " <a href=\"\(escape($0))\">API</a>" } ?? "")</nav></header>
        <main>
        <h1>\(escape(title))</h1>
        \(body)
        </main>
        <footer>\(LagLine.footer(lag))\(standby.map { " Reports are \(HTML.escape($0.description))." } ?? "")</footer>
        </body>
        </html>

        """
    }
}

/// How current a page's figures are: one projection's distance behind the log.
struct LagLine: Sendable {
    var projection: String
    var eventsBehind: Int64
    var quarantined: Int64

    /// "Figures are up to date with the log", or how far behind they are, and any events set aside.
    static func footer(_ lag: [LagLine]) -> String {
        let behind = lag.map(\.eventsBehind).max() ?? 0
        let quarantined = lag.map(\.quarantined).reduce(0, +)
        var text = behind == 0
            ? "Figures are up to date with the log."
            : "Figures are \(behind) event\(behind == 1 ? "" : "s") behind the log; they catch up within seconds while the projections run."
        if quarantined > 0 {
            text += " \(quarantined) event\(quarantined == 1 ? " was" : "s were") set aside as unreadable and \(quarantined == 1 ? "is" : "are") not counted (vigil projections status)."
        }
        return HTML.escape(text)
            + " Counts of 1 to 4 people are shown as &lt;5, and a figure that would let one be worked out is shown as withheld."
    }
}

/// Where a page links to: the server's paths, or the static site's files (flat, relative, so the folder
/// can be published anywhere or opened from disk).
struct SiteLinks: Sendable {
    enum Style: Sendable { case server, staticFiles }
    var style: Style

    static let server = SiteLinks(style: .server)
    static let staticFiles = SiteLinks(style: .staticFiles)

    var home: String { style == .server ? "/" : "index.html" }
    var map: String { style == .server ? "/map" : "map.html" }
    var upcoming: String { style == .server ? "/upcoming" : "upcoming.html" }
    func weeklyCalendar(_ id: String) -> String {
        style == .server ? "/weekly/\(id)/calendar.ics" : "weekly-\(id).ics"
    }
    var stylesheet: String { style == .server ? "/style.css" : "style.css" }
    var apiDocument: String? { style == .server ? "/api/openapi.json" : nil }
    func campaign(_ id: String) -> String { style == .server ? "/campaigns/\(id)" : "campaign-\(id).html" }
    func day(_ id: String) -> String { style == .server ? "/campaigns/\(id)/day" : "day-\(id).html" }
    func dayCSV(_ id: String) -> String { style == .server ? "/campaigns/\(id)/day.csv" : "day-\(id).csv" }
    func dayJSON(_ id: String) -> String? { style == .server ? "/api/campaigns/\(id)/day" : nil }
    func calendar(_ id: String) -> String {
        style == .server ? "/campaigns/\(id)/calendar.ics" : "campaign-\(id).ics"
    }
    func mission(_ id: String) -> String { style == .server ? "/missions/\(id)" : "mission-\(id).html" }
    var missionsCSV: String { style == .server ? "/missions.csv" : "missions.csv" }
    var campaignsCSV: String { style == .server ? "/campaigns.csv" : "campaigns.csv" }
}
