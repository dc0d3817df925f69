import Foundation
import VigilService

/// `vigil report site --out DIR`: the server's pages as files, for a coalition to publish without running
/// a server. The same reads (the reporter's view) and the same renderer; links are relative, so the folder
/// works from any address or straight from disk.
public enum StaticSite {
    /// What was written.
    public struct Written: Sendable {
        public var files: [String]
    }

    /// Writes every page into `directory` (made if missing; files of the same name are replaced, others
    /// left alone), telling `progress` each file. A file is written whole or not at all (atomic rename).
    public static func write(service: VigilService, to directory: URL, progress: (String) -> Void = { _ in }) throws -> Written {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let links = SiteLinks.staticFiles
        var files: [String] = []
        func put(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: directory.appendingPathComponent(name), options: .atomic)
            files.append(name)
            progress(name)
        }
        let index = try SiteReads.index(service)
        try put("style.css", Stylesheet.css)
        try put("index.html", Pages.index(index, links: links))
        try put("campaigns.csv", Downloads.campaigns(index.campaigns))
        let map = try SiteReads.map(service)
        try put("map.html", Pages.map(map, links: links))
        try put("missions.csv", Downloads.missions(map.missions))
        for row in index.campaigns {
            let id = row.campaign.campaignId
            let data = try SiteReads.campaign(service, id)
            try put(links.campaign(id), Pages.campaign(data, links: links))
            try put(links.day(id), Pages.day(data, links: links))
            try put(links.dayCSV(id), Downloads.day(data.day))
            try put(links.calendar(id), try service.campaignCalendar(id))
        }
        let upcoming = try service.upcoming()
        try put("upcoming.html", Pages.upcoming(upcoming.rows, days: 14, lag: upcoming.lag.map(LagLine.init), links: links))
        for id in Set(upcoming.rows.filter(\.weekly).map(\.id)).sorted() {
            try put(links.weeklyCalendar(id), try service.weeklyCalendar(id))
        }
        for row in map.missions {
            let id = row.mission.missionId
            try put(links.mission(id), Pages.mission(try SiteReads.mission(service, id), links: links))
        }
        return Written(files: files)
    }
}
