import Foundation
import VigilDomain
import VigilProjections
import VigilService

/// What each page shows, read through the service's report calls (the reporter's view: small counts
/// hidden). The server and the static site build the same values and render them with `Pages`.
struct IndexData: Sendable {
    var standby: StandbyLag? = nil
    var campaigns: [CampaignReportRow]
    var lag: [LagLine]
}

struct CampaignData: Sendable {
    var standby: StandbyLag? = nil
    var campaign: CampaignReportRow
    var missions: [MissionReportRow]
    var day: [DayRow]
    var lag: [LagLine]
}

struct MapData: Sendable {
    var standby: StandbyLag? = nil
    var missions: [MissionReportRow]
    var lag: [LagLine]
}

struct MissionData: Sendable {
    var standby: StandbyLag? = nil
    var mission: MissionReportRow
    var lag: [LagLine]
}

extension LagLine {
    init(_ lag: ProjectionLag) {
        self.init(projection: lag.projection, eventsBehind: lag.eventsBehind, quarantined: lag.quarantined)
    }
}

/// What the public site publishes of a mission's figures. The reporter's view hides counts of 1 to 4 in
/// each breakdown, but a mission's attendance is one more breakdown of several at once (of each campaign's
/// total, and, summed over campaigns, of the mission's), so set beside a day of action's gatherings or
/// another campaign's missions it lets a hidden count be worked out by subtraction. The site therefore
/// gives attendance per gathering (each day of action) and per campaign only, and a mission's attendance
/// as withheld, on its pages, in its JSON and in its CSV.
enum Publication {
    static func mission(_ row: MissionReportRow) -> MissionReportRow {
        var row = row
        row.figures.attendanceExpected = .withheld
        row.figures.attendanceReported = .withheld
        return row
    }

    static func missions(_ report: Report<[MissionReportRow]>) -> Report<[MissionReportRow]> { report.map { $0.map(mission) } }
}

/// The reads behind each page: service calls only, no SQL.
enum SiteReads {
    static func index(_ service: VigilService) throws -> IndexData {
        let report = try service.campaignsReport()
        return IndexData(standby: report.standby, campaigns: report.rows, lag: report.lag.map(LagLine.init))
    }

    static func campaign(_ service: VigilService, _ id: String) throws -> CampaignData {
        let campaigns = try service.campaignsReport(id)
        let missions = try service.missionsReport(campaign: id)
        let day = try service.dayReport(id)
        return CampaignData(
            standby: day.standby, campaign: campaigns.rows[0], missions: missions.rows.map(Publication.mission), day: day.rows,
            lag: day.lag.map(LagLine.init))
    }

    static func map(_ service: VigilService) throws -> MapData {
        let report = try service.missionsReport()
        return MapData(standby: report.standby, missions: report.rows.map(Publication.mission), lag: report.lag.map(LagLine.init))
    }

    static func mission(_ service: VigilService, _ id: String) throws -> MissionData {
        let report = try service.missionReport(id)
        return MissionData(standby: report.standby, mission: Publication.mission(report.rows), lag: report.lag.map(LagLine.init))
    }
}

/// The pages, as HTML text. Tables carry every figure, so a page reads without its map or bars (and
/// without JavaScript, which no page has).
enum Pages {
    static func index(_ data: IndexData, links: SiteLinks) -> String {
        let rows = data.campaigns.sorted { $0.campaign.launchedAt > $1.campaign.launchedAt }.map { row -> [String] in
            let c = row.campaign
            return [
                HTML.link(links.campaign(c.campaignId), c.title), HTML.escape(c.annualDay ?? ""), HTML.escape(c.status),
                String(row.missionsReached), String(row.citiesReached), String(row.countriesReached),
                String(row.figures.gatheringsHeld), HTML.escape(row.figures.attendanceReported.description),
                String(row.figures.deliveriesAccepted), String(row.figures.deliveriesRefused + row.figures.deliveriesBlocked + row.figures.deliveriesNobodyCameOut),
                HTML.link(links.day(c.campaignId), "timeline"),
            ]
        }
        let body = """
            <p class="lead">Coordinated vigils, protests and petition deliveries at diplomatic missions: where people gathered, \
            when, and whether the petition was taken.</p>
            \(HTML.table(caption: "Campaigns and days of action", headers: ["campaign", "day", "status", "missions", "cities", "countries", "held", "people reported", "delivered", "not taken", "day of action"], rows: rows, numeric: [3, 4, 5, 6, 7, 8, 9], id: "campaigns"))
            <p class="downloads">Download: \(HTML.link(links.campaignsCSV, "campaigns.csv")) · \(HTML.link(links.missionsCSV, "missions.csv"))</p>
            """
        return HTML.page(title: "Campaigns", links: links, body: body, lag: data.lag, standby: data.standby)
    }

    static func campaign(_ data: CampaignData, links: SiteLinks) -> String {
        let row = data.campaign
        let c = row.campaign
        let f = row.figures
        let facts: [(String, String)] = [
            ("Coalition", c.coalition), ("Addressed to", c.addressee), ("Day", c.annualDay ?? "—"), ("Status", c.status),
            ("Missions reached", "\(row.missionsReached) in \(row.citiesReached) cities, \(row.countriesReached) countries"),
            ("Gatherings", "\(f.gatheringsHeld) held, \(f.gatheringsCancelled) cancelled, \(f.gatheringsNotHeld) did not take place, \(f.gatheringsScheduled) scheduled in all"),
            ("People", "\(f.attendanceReported) reported (\(f.attendanceExpected) expected)"),
            ("Deliveries", "\(f.deliveriesAccepted) accepted, \(f.deliveriesRefused) refused, \(f.deliveriesBlocked) blocked, \(f.deliveriesNobodyCameOut) nobody came out"),
            ("Names read aloud", "\(f.namesRead) in \(f.readings) readings"),
            ("Signatures", "\(row.signatures.total) (\(row.signatures.online) online, \(row.signatures.paper) on paper)"),
            ("Endorsements", String(row.endorsementsCurrent)), ("Press coverage", "\(f.coverage) reports"),
        ]
        let factList = "<dl class=\"facts\">" + facts.map { "<dt>\(HTML.escape($0.0))</dt><dd>\(HTML.escape($0.1))</dd>" }.joined() + "</dl>"
        let missionRows = data.missions.map { m -> [String] in
            [HTML.link(links.mission(m.mission.missionId), m.mission.city), HTML.escape(Pages.countryName(m.mission.country)),
             HTML.escape(m.mission.kind), String(m.figures.gatheringsHeld), Pages.outcomes(m.figures)]
        }
        let signatureRows = row.signatures.byCountry.sorted { $0.key < $1.key }.map { [HTML.escape(Pages.countryName($0.key)), HTML.escape($0.value.description)] }
        let body = """
            <p class="actions">\(([HTML.link(links.day(c.campaignId), "Day of action: the timeline and map")]
                + [HTML.link(links.calendar(c.campaignId), "Calendar (.ics)"), HTML.link(links.dayCSV(c.campaignId), "Gatherings (CSV)")]).joined(separator: " · "))</p>
            \(factList)
            \(HTML.table(caption: "Missions reached", headers: ["city", "country", "mission", "held", "deliveries"], rows: missionRows, numeric: [3], id: "missions"))
            <p class="note">People are counted per gathering, on \(HTML.link(links.day(c.campaignId), "the day of action")), and for the campaign as a whole.</p>
            \(signatureRows.isEmpty ? "" : HTML.table(caption: "Signatures by country", headers: ["country", "signatures"], rows: signatureRows, numeric: [1], id: "signatures"))
            """
        return HTML.page(title: c.title, links: links, body: body, lag: data.lag, standby: data.standby)
    }

    /// The day of action: every gathering in the order it starts, each on its place's clock, with a bar
    /// placing it on the day as it moves west around the world; then the map of where it happened.
    static func day(_ data: CampaignData, links: SiteLinks) -> String {
        let c = data.campaign.campaign
        let starts = data.day.map(\.startsAtUTC)
        let first = starts.min() ?? Date(timeIntervalSince1970: 0)
        let span = max((starts.max() ?? first).timeIntervalSince(first), 3600)
        let items = data.day.map { row -> String in
            let offset = row.startsAtUTC.timeIntervalSince(first) / span * 100
            let hours = row.startsAtUTC.timeIntervalSince(first) / 3600
            let after = hours == 0 ? "first to start" : String(format: "%.1f h after the first", hours)
            let outcome = row.delivery.map { "<span class=\"outcome \(HTML.escape($0))\">petition \(HTML.escape(Pages.outcomeText($0)))</span>" } ?? ""
            return """
                <li class="status-\(HTML.escape(row.status))"><div class="when"><time datetime="\(HTML.escape(Pages.iso(row.startsAtUTC)))">\
                \(HTML.escape(Pages.local(row.startsAtUTC, zone: row.timeZone)))</time><span class="utc">\(HTML.escape(Pages.utc(row.startsAtUTC))) · \(after)</span></div>\
                <div class="where">\(HTML.link(links.mission(row.missionId), row.city)), \(HTML.escape(Pages.countryName(row.country)))\
                <span class="what">\(HTML.escape(row.kind)) · <span class="status">\(HTML.escape(Pages.statusText(row.status)))</span>\
                \(row.attendanceReported.map { " · \(HTML.escape($0.description)) people" } ?? "")</span> \(outcome)</div>\
                <svg class="sun" width="100%" height="16" aria-hidden="true"><rect class="day" x="0" y="5" width="100%" height="6" rx="3"/>\
                <circle cx="\(String(format: "%.1f", offset))%" cy="8" r="6"/></svg></li>
                """
        }
        let tableRows = data.day.map { row -> [String] in
            [HTML.escape(Pages.utc(row.startsAtUTC)), HTML.escape(Pages.local(row.startsAtUTC, zone: row.timeZone)),
             HTML.link(links.mission(row.missionId), row.city), HTML.escape(row.country), HTML.escape(row.kind),
             HTML.escape(Pages.statusText(row.status)), HTML.escape(row.delivery.map(Pages.outcomeText) ?? "—"),
             HTML.escape(row.attendanceReported?.description ?? "—")]
        }
        let downloads = [HTML.link(links.dayCSV(c.campaignId), "CSV")]
            + [HTML.link(links.calendar(c.campaignId), "Calendar (.ics)")]
            + (links.dayJSON(c.campaignId).map { [HTML.link($0, "JSON")] } ?? [])
        let body = """
            <p class="lead">\(data.day.count) gathering\(data.day.count == 1 ? "" : "s") in the order they start, as the day moves \
            around the world. Each shows its place's local date and time; the bar places it between the first start \
            and the last.</p>
            <p class="actions">\(HTML.link(links.campaign(c.campaignId), "The campaign's figures")) · \(downloads.joined(separator: " · "))</p>
            <ol class="timeline" id="timeline">\(items.joined())</ol>
            <h2>Where</h2>
            \(WorldMap.svg(missions: data.missions, links: links, outcomes: Pages.outcomeByMission(data.day)))
            <h2>Every gathering</h2>
            \(HTML.table(caption: nil, headers: ["starts (UTC)", "local date and time", "city", "country", "kind", "status", "petition", "people"], rows: tableRows, numeric: [7], id: "gatherings"))
            """
        return HTML.page(title: "\(c.title): the day of action", links: links, body: body, lag: data.lag, standby: data.standby)
    }

    static func map(_ data: MapData, links: SiteLinks) -> String {
        let placed = data.missions.filter { $0.mission.latitude != nil }
        let rows = data.missions.sorted { ($0.mission.country, $0.mission.city) < ($1.mission.country, $1.mission.city) }.map { m -> [String] in
            [HTML.link(links.mission(m.mission.missionId), m.mission.name), HTML.escape(m.mission.city),
             HTML.escape(Pages.countryName(m.mission.country)), HTML.escape(m.mission.status),
             String(m.figures.gatheringsHeld), Pages.outcomes(m.figures),
             m.mission.latitude.map { _ in "yes" } ?? "not yet placed"]
        }
        let body = """
            <p class="lead">\(placed.count) of \(data.missions.count) missions placed on the map.</p>
            \(WorldMap.svg(missions: data.missions, links: links, outcomes: [:]))
            \(HTML.table(caption: "Missions", headers: ["mission", "city", "country", "status", "gatherings held", "deliveries", "on the map"], rows: rows, numeric: [4], id: "missions"))
            """
        return HTML.page(title: "Map of missions", links: links, body: body, lag: data.lag, standby: data.standby)
    }

    static func mission(_ data: MissionData, links: SiteLinks) -> String {
        let row = data.mission
        let m = row.mission
        let f = row.figures
        let facts: [(String, String)] = [
            ("Kind", m.kind), ("City", "\(m.city), \(Pages.countryName(m.country))"), ("Address", m.address ?? "—"),
            ("Time zone", m.timeZone), ("Status", m.status),
            ("Place", m.latitude.flatMap { lat in m.longitude.map { "\(Coordinates.text(lat)), \(Coordinates.text($0))" } } ?? "not placed"),
            ("Gatherings", "\(f.gatheringsHeld) held (\(f.weeklyHeld) weekly), \(f.gatheringsCancelled) cancelled, \(f.gatheringsScheduled) scheduled in all"),
            ("People", "counted per gathering, on each campaign's day of action"),
            ("Deliveries", "\(f.deliveriesAccepted) accepted, \(f.deliveriesRefused) refused, \(f.deliveriesBlocked) blocked, \(f.deliveriesNobodyCameOut) nobody came out"),
            ("First held", row.firstHeldLocal ?? "never"), ("Last held", row.lastHeldLocal ?? "never"),
        ]
        let factList = "<dl class=\"facts\">" + facts.map { "<dt>\(HTML.escape($0.0))</dt><dd>\(HTML.escape($0.1))</dd>" }.joined() + "</dl>"
        let campaigns = row.campaigns.map { "<li>\(HTML.link(links.campaign($0), $0))</li>" }.joined()
        let kinds = row.byKind.map { [HTML.escape($0.kind), String($0.scheduled), String($0.held), String($0.cancelled), String($0.notHeld)] }
        let body = """
            \(factList)
            <h2>Campaigns</h2>
            \(campaigns.isEmpty ? "<p>None yet.</p>" : "<ul id=\"campaigns\">\(campaigns)</ul>")
            \(HTML.table(caption: "Gatherings by kind", headers: ["kind", "scheduled", "held", "cancelled", "not held"], rows: kinds, numeric: [1, 2, 3, 4], id: "kinds"))
            \(WorldMap.svg(missions: [row], links: links, outcomes: [:]))
            """
        return HTML.page(title: m.name, links: links, body: body, lag: data.lag, standby: data.standby)
    }

    /// What is next across missions: gatherings still scheduled and weekly dates to come, in start order.
    static func upcoming(_ rows: [UpcomingGathering], days: Int, lag: [LagLine], standby: StandbyLag? = nil, links: SiteLinks) -> String {
        let table = rows.map { row -> [String] in
            [HTML.escape(Pages.local(row.startsAtUTC, zone: row.timeZone)), HTML.escape(Pages.utc(row.startsAtUTC)),
             HTML.link(links.mission(row.missionId), row.city), HTML.escape(Pages.countryName(row.country)), HTML.escape(row.kind),
             row.campaignId.map { HTML.link(links.campaign($0), $0) } ?? "—",
             row.weekly ? "weekly · " + HTML.link(links.weeklyCalendar(row.id), "calendar (.ics)") : "once"]
        }
        let body = """
            <p class="lead">Gatherings in the next \(days) days, and the dates of weekly gatherings not skipped, in the order \
            they start, each on its place's clock.</p>
            \(rows.isEmpty ? "<p id=\"upcoming\">Nothing is scheduled in the next \(days) days.</p>" : HTML.table(caption: nil, headers: ["local date and time", "UTC", "city", "country", "kind", "campaign", "repeats"], rows: table, id: "upcoming"))
            """
        return HTML.page(title: "Coming up", links: links, body: body, lag: lag, standby: standby)
    }

    /// The page a missing campaign or mission gets (404), or a bad request (400): what was wrong and
    /// where to go instead.
    static func problem(title: String, message: String, links: SiteLinks) -> String {
        HTML.page(
            title: title, links: links,
            body: "<p class=\"problem\">\(HTML.escape(message))</p><p>\(HTML.link(links.home, "Every campaign")) · \(HTML.link(links.map, "every mission"))</p>",
            lag: [])
    }

    // MARK: Wording

    static func outcomes(_ f: Figures) -> String {
        var parts: [String] = []
        if f.deliveriesAccepted > 0 { parts.append("\(f.deliveriesAccepted) accepted") }
        if f.deliveriesRefused > 0 { parts.append("\(f.deliveriesRefused) refused") }
        if f.deliveriesBlocked > 0 { parts.append("\(f.deliveriesBlocked) blocked") }
        if f.deliveriesNobodyCameOut > 0 { parts.append("\(f.deliveriesNobodyCameOut) nobody came out") }
        return HTML.escape(parts.isEmpty ? "—" : parts.joined(separator: ", "))
    }

    static func outcomeText(_ outcome: String) -> String {
        switch outcome {
        case "nobody-came-out": return "not taken: nobody came out"
        case "blocked": return "blocked at the gate"
        default: return outcome
        }
    }

    static func statusText(_ status: String) -> String { status == "not-held" ? "did not take place" : status }

    /// The last delivery outcome at each mission on the day, for the map's colours.
    static func outcomeByMission(_ day: [DayRow]) -> [String: String] {
        var out: [String: String] = [:]
        for row in day { if let d = row.delivery { out[row.missionId] = d } else if out[row.missionId] == nil { out[row.missionId] = "status-" + row.status } }
        return out
    }

    static func countryName(_ code: String) -> String {
        Locale(identifier: "en_US").localizedString(forRegionCode: code) ?? code
    }

    /// `Wed 22 Dec 2004, 12:00 AEDT` on the place's clock (its zone's abbreviation, or its UTC offset).
    static func local(_ instant: Date, zone: String) -> String {
        let tz = TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC")!
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = tz
        formatter.dateFormat = "EEE d MMM yyyy, HH:mm"
        let seconds = tz.secondsFromGMT(for: instant)
        let offset = String(format: "UTC%@%02d:%02d", seconds < 0 ? "−" : "+", abs(seconds) / 3600, abs(seconds) % 3600 / 60)
        return "\(formatter.string(from: instant)) (\(zone), \(offset))"
    }

    static func utc(_ instant: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: instant)
    }

    static func iso(_ instant: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: instant)
    }
}
