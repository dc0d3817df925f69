import Foundation
import VigilProjections

/// The map of missions as inline SVG: an equirectangular world from 60° S to 80° N, a graticule every
/// 30°, rough land outlines drawn by hand for orientation (no map data is fetched: many users sit behind
/// filters, and no tile server is reachable from where the site may be published), and one labelled
/// point per placed mission, linking to its page. Coloured by the day's delivery outcome when given.
enum WorldMap {
    static let width = 1000.0
    static let north = 80.0
    static let south = -60.0
    static var height: Double { (north - south) / 360 * width }

    static func x(_ longitude: Double) -> Double { (longitude + 180) / 360 * width }
    static func y(_ latitude: Double) -> Double { (north - min(max(latitude, south), north)) / 360 * width }

    static func svg(missions: [MissionReportRow], links: SiteLinks, outcomes: [String: String]) -> String {
        let placed = missions.filter { $0.mission.latitude != nil && $0.mission.longitude != nil }
        var out = """
            <figure class="map"><svg id="map" viewBox="0 0 \(Int(width)) \(Int(height.rounded()))" role="img" \
            aria-label="Map of \(placed.count) mission\(placed.count == 1 ? "" : "s")" xmlns="http://www.w3.org/2000/svg">
            <rect class="sea" x="0" y="0" width="\(Int(width))" height="\(Int(height.rounded()))"/>
            """
        for outline in outlines {
            let points = outline.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            out += "<polygon class=\"land\" points=\"\(points)\"/>"
        }
        for lon in stride(from: -150.0, through: 150, by: 30) {
            out += String(format: "<line class=\"grid\" x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.1f\"/>", x(lon), x(lon), height)
        }
        for lat in stride(from: -30.0, through: 60, by: 30) {
            out += String(format: "<line class=\"grid%@\" x1=\"0\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", lat == 0 ? " equator" : "", y(lat), width, y(lat))
        }
        // Points, then one label per city (New York has four missions), placed right of its point, else
        // left, above or below, whichever overlaps no label placed before it.
        var boxes: [(x0: Double, y0: Double, x1: Double, y1: Double)] = []
        var labels = ""
        var labelled = Set<String>()
        for m in placed.sorted(by: { $0.mission.missionId < $1.mission.missionId }) {
            let px = x(m.mission.longitude!), py = y(m.mission.latitude!)
            let outcome = outcomes[m.mission.missionId].map { " \(HTML.escape($0))" } ?? ""
            out += """
                <a href="\(HTML.escape(links.mission(m.mission.missionId)))"><circle class="mission\(outcome)" cx="\(String(format: "%.1f", px))" \
                cy="\(String(format: "%.1f", py))" r="5"><title>\(HTML.escape(m.mission.name)), \(HTML.escape(m.mission.city))</title></circle></a>
                """
        }
        for m in placed.sorted(by: { ($0.mission.longitude!, $0.mission.city) < ($1.mission.longitude!, $1.mission.city) }) {
            let city = m.mission.city
            guard labelled.insert(city + "|" + m.mission.country).inserted else { continue }
            let px = x(m.mission.longitude!), py = y(m.mission.latitude!)
            let w = city.unicodeScalars.reduce(2.0) { $0 + ($1.value >= 0x1100 ? 11 : 6.2) }
            let candidates: [(Double, Double, Bool)] = [(px + 8, py + 4, false), (px - 8, py + 4, true), (px, py - 9, false), (px, py + 17, false)]
            func box(_ c: (Double, Double, Bool)) -> (x0: Double, y0: Double, x1: Double, y1: Double) {
                let x0 = c.2 ? c.0 - w : (c.0 == px ? px - w / 2 : c.0)
                return (x0: x0, y0: c.1 - 10, x1: x0 + w, y1: c.1 + 2)
            }
            let choice = candidates.first { c in
                let b = box(c)
                return !boxes.contains { $0.x0 < b.x1 && b.x0 < $0.x1 && $0.y0 < b.y1 && b.y0 < $0.y1 }
            } ?? candidates[0]
            boxes.append(box(choice))
            let anchor = choice.2 ? " text-anchor=\"end\"" : choice.0 == px ? " text-anchor=\"middle\"" : ""
            labels += String(format: "<text class=\"label\" x=\"%.1f\" y=\"%.1f\"%@>%@</text>", choice.0, choice.1, anchor, HTML.escape(city))
        }
        out += labels
        out += "</svg><figcaption>Land outlines are rough, drawn by hand for orientation only. "
        out += outcomes.isEmpty ? "" : "Colours: green accepted, red refused or blocked, amber nobody came out, grey no delivery. "
        out += "\(placed.count) of \(missions.count) missions placed.</figcaption></figure>"
        return out
    }

    /// Coarse outlines of the land, as (longitude, latitude), a few dozen points a continent.
    static let outlines: [[(Double, Double)]] = [
        // North America
        [(-168, 66), (-162, 70), (-140, 70), (-125, 70), (-95, 72), (-80, 73), (-65, 60), (-56, 52), (-66, 45), (-70, 42),
         (-76, 35), (-81, 31), (-80, 25), (-82, 29), (-90, 30), (-97, 27), (-97, 22), (-92, 18), (-87, 21), (-88, 15),
         (-83, 10), (-79, 8), (-85, 11), (-92, 14), (-105, 20), (-110, 24), (-112, 31), (-117, 33), (-121, 36),
         (-124, 40), (-124, 48), (-130, 55), (-140, 60), (-150, 60), (-158, 58), (-165, 60)],
        // Greenland
        [(-55, 60), (-45, 60), (-20, 70), (-20, 80), (-60, 80), (-72, 78), (-60, 70)],
        // South America
        [(-79, 8), (-72, 12), (-62, 10), (-50, 2), (-35, -5), (-39, -13), (-41, -22), (-48, -26), (-58, -35), (-65, -42),
         (-68, -52), (-74, -52), (-73, -40), (-71, -30), (-70, -18), (-76, -14), (-81, -5), (-80, 0), (-77, 4)],
        // Europe and Asia
        [(-10, 36), (-9, 43), (-2, 44), (-5, 48), (2, 51), (8, 54), (10, 57), (5, 62), (15, 69), (25, 71), (40, 68), (60, 70),
         (80, 73), (100, 77), (130, 72), (160, 70), (180, 68), (180, 65), (170, 60), (160, 58), (156, 51), (143, 59),
         (135, 55), (141, 48), (132, 43), (129, 35), (126, 37), (121, 40), (122, 32), (120, 24), (110, 20), (106, 11),
         (103, 1), (100, 6), (98, 16), (92, 21), (88, 22), (80, 15), (77, 8), (72, 20), (67, 25), (57, 25), (56, 27),
         (50, 30), (48, 29), (51, 24), (56, 26), (59, 22), (52, 16), (43, 13), (35, 28), (34, 31), (35, 36), (28, 37),
         (26, 40), (22, 37), (20, 40), (12, 44), (18, 40), (16, 38), (8, 44), (3, 43), (-5, 36)],
        // Africa
        [(-17, 21), (-16, 12), (-8, 4), (5, 5), (9, 4), (10, -2), (12, -6), (13, -12), (12, -18), (15, -27), (18, -34),
         (26, -34), (33, -28), (35, -22), (40, -15), (40, -8), (39, -4), (44, 2), (51, 11), (43, 12), (39, 17), (35, 24),
         (32, 31), (20, 32), (10, 37), (-2, 35), (-6, 36), (-10, 30), (-14, 26)],
        // Australia, New Zealand
        [(114, -22), (122, -18), (130, -12), (136, -12), (137, -16), (142, -11), (145, -15), (153, -25), (153, -30),
         (150, -37), (146, -39), (140, -38), (135, -35), (129, -32), (115, -35), (114, -27)],
        [(172, -34), (178, -38), (175, -41), (172, -41), (168, -46), (171, -44), (174, -41)],
        // Great Britain, Ireland, Iceland
        [(-5, 50), (1, 51), (2, 53), (-1, 55), (-2, 58), (-5, 58), (-6, 56), (-3, 54), (-5, 52)],
        [(-10, 52), (-6, 52), (-6, 55), (-8, 55), (-10, 54)],
        [(-24, 64), (-14, 64), (-14, 66), (-22, 66)],
        // Japan
        [(130, 31), (131, 34), (135, 34), (140, 35), (141, 38), (142, 41), (140, 41), (139, 38), (136, 37), (133, 35)],
        [(140, 42), (142, 42), (145, 43), (143, 45), (141, 45)],
        // Sumatra, Borneo, Madagascar
        [(95, 5), (104, -2), (106, -6), (101, -2)],
        [(109, 2), (117, 7), (119, 1), (116, -4), (110, -3)],
        [(44, -25), (47, -25), (50, -15), (49, -12), (44, -16)],
    ]
}
