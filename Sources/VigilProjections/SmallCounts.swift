import Foundation

/// A count of people in a report: exact, or hidden in the reporter's view so that nobody is singled out.
///
/// In JSON an exact count is a number, as it always was, and a hidden one is a string: `"<5"` for a count
/// of 1 to 4, `"withheld"` for a larger count hidden so that a `"<5"` beside it cannot be worked out from
/// the total (see `SmallCounts`). Tables and CSV print the same text.
public enum DisclosedCount: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The count as recorded.
    case exact(Int64)
    /// A count of 1 to 4, hidden.
    case fewerThanFive
    /// A count of 5 or more, hidden so that a hidden small count beside it cannot be found by subtraction.
    case withheld

    /// The text of a hidden count of 1 to 4.
    public static let fewerThanFiveText = "<5"
    /// The text of a withheld count.
    public static let withheldText = "withheld"

    /// An exact count, written as a number.
    public init(integerLiteral value: Int64) { self = .exact(value) }

    /// The exact count, or nil when it is hidden.
    public var exact: Int64? {
        if case .exact(let n) = self { return n }
        return nil
    }

    /// `120`, `<5` or `withheld`.
    public var description: String {
        switch self {
        case .exact(let n): String(n)
        case .fewerThanFive: DisclosedCount.fewerThanFiveText
        case .withheld: DisclosedCount.withheldText
        }
    }

    /// The sum of two counts: exact when both are, else withheld (the sum of a hidden count is not known).
    public static func + (a: DisclosedCount, b: DisclosedCount) -> DisclosedCount {
        guard let a = a.exact, let b = b.exact else { return .withheld }
        return .exact(a + b)
    }

    /// A number when exact, else the text `"<5"` or `"withheld"`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .exact(let n): try container.encode(n)
        case .fewerThanFive, .withheld: try container.encode(description)
        }
    }

    /// Reads what `encode(to:)` writes; any other text is an error that names it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let n = try? container.decode(Int64.self) {
            self = .exact(n)
            return
        }
        switch try container.decode(String.self) {
        case DisclosedCount.fewerThanFiveText: self = .fewerThanFive
        case DisclosedCount.withheldText: self = .withheld
        case let other:
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a count is a number, \"<5\" or \"withheld\", not \"\(other)\"")
        }
    }
}

/// The one rule for small counts in the reporter's view. Counts of people (signatures, attendance) of 1 to 4
/// could single a person out (a lone protester at an embassy's gate, the one signer from a country), so
/// the reporter's view shows them as "<5"; 0 stays 0, since nobody is singled out by zero. The organiser's
/// view does not come here: it is exact, and its figures add up.
///
/// Secondary suppression, for a breakdown whose total is shown: when a reader who knows this rule could
/// work out a hidden cell from the total and the cells shown — always the case when exactly one cell is
/// hidden — the smallest non-zero cell still shown is withheld too, and again until no hidden cell can be
/// worked out. A reader knows that a "<5" is 1 to 4 and that a withheld cell is at least 5 and at most the
/// smallest non-zero cell still shown, so withholding goes on, for instance, while a "<5" and a withheld
/// cell add up to exactly 6 (they could only be 1 and 5). If every non-zero cell is hidden and one still
/// can be worked out, the total is withheld as well. Ties go to the cell that comes first.
public enum SmallCounts {
    /// The smallest count of people shown as it is, 0 apart.
    public static let threshold: Int64 = 5

    /// One count on its own: 1 to 4 becomes "<5"; 0 and 5 or more stay exact.
    public static func disclose(_ count: Int64) -> DisclosedCount {
        (1..<threshold).contains(count) ? .fewerThanFive : .exact(count)
    }

    /// A breakdown and its total, as the reporter sees them: `cells` in the order given (ties in the
    /// choice of a cell to withhold go to the first), and their total. `totalShown` says whether the
    /// reader sees the total, here or in another report; without it only the small cells are hidden.
    public static func breakdown(_ cells: [Int64], totalShown: Bool) -> (cells: [DisclosedCount], total: DisclosedCount) {
        var shown = cells.map(disclose)
        var total = disclose(cells.reduce(0, +))
        guard totalShown, total.exact != nil else { return (shown, total) }
        while canWorkOut(cells, shown) {
            let candidates = cells.indices.filter { cells[$0] > 0 && shown[$0].exact != nil }
            guard let next = candidates.min(by: { cells[$0] < cells[$1] }) else {
                total = .withheld
                break
            }
            shown[next] = .withheld
        }
        return (shown, total)
    }

    /// Whether a reader who sees the total, the cells `shown` and this rule can pin a hidden "<5" cell to
    /// one value: the hidden cells add up to the total less the cells shown, each "<5" is 1 to 4, each
    /// withheld cell is 5 to the smallest non-zero cell still shown (or to that sum, when none is).
    static func canWorkOut(_ cells: [Int64], _ shown: [DisclosedCount]) -> Bool {
        let hidden = cells.indices.filter { shown[$0].exact == nil }
        guard !hidden.isEmpty else { return false }
        let sum = hidden.reduce(Int64(0)) { $0 + cells[$1] }
        let ceiling = cells.indices.filter { cells[$0] > 0 && shown[$0].exact != nil }.map { cells[$0] }.min() ?? sum
        func bounds(_ i: Int) -> (low: Int64, high: Int64) {
            shown[i] == .fewerThanFive ? (1, threshold - 1) : (threshold, max(threshold, ceiling))
        }
        let lows = hidden.reduce(Int64(0)) { $0 + bounds($1).low }
        let highs = hidden.reduce(Int64(0)) { $0 + bounds($1).high }
        return hidden.contains { i in
            guard shown[i] == .fewerThanFive else { return false }
            let (low, high) = bounds(i)
            // The least and the most this cell can be, given what the others can be.
            return max(low, sum - (highs - high)) == min(high, sum - (lows - low))
        }
    }
}

// The reporter's view of each report's rows, from the rows as the queries return them (exact).
extension SmallCounts {
    /// Missions as the reporter sees them: attendance of 1 to 4 at a mission is hidden. `oneCampaign`: the
    /// rows are every mission of one campaign, whose attendance the campaign report shows, so expected and
    /// reported attendance are each a breakdown of that total (cells taken in the order of mission ids).
    public static func reporterView(_ rows: [MissionReportRow], oneCampaign: Bool) -> [MissionReportRow] {
        var rows = rows
        let order = rows.indices.sorted { rows[$0].mission.missionId < rows[$1].mission.missionId }
        hide(&rows, order: order, totalShown: oneCampaign, \.figures.attendanceExpected)
        hide(&rows, order: order, totalShown: oneCampaign, \.figures.attendanceReported)
        return rows
    }

    /// A day of action as the reporter sees it: each gathering's attendance is a breakdown of the campaign's,
    /// which the campaign report shows (cells in the order of mission and gathering ids, so that with one
    /// gathering a mission the same cells are withheld as in the campaign's missions report).
    public static func reporterView(_ rows: [DayRow]) -> [DayRow] {
        var rows = rows
        let order = rows.indices.sorted { (rows[$0].missionId, rows[$0].gatheringId) < (rows[$1].missionId, rows[$1].gatheringId) }
        hide(&rows, order: order, totalShown: true, \.attendanceExpected)
        let reported = breakdown(order.map { rows[$0].attendanceReported?.exact ?? 0 }, totalShown: true).cells
        for (i, count) in zip(order, reported) where rows[i].attendanceReported != nil { rows[i].attendanceReported = count }
        return rows
    }

    /// A campaign as the reporter sees it. Its signatures online and on paper, and by country, are two
    /// breakdowns of the total shown beside them. `gatherings` and `missions` are the campaign's rows in the
    /// day and missions reports (exact), which break its attendance down: where either could hide its small
    /// counts only by hiding the total, the campaign's total is withheld.
    public static func reporterView(_ row: CampaignReportRow, gatherings: [DayRow], missions: [MissionReportRow]) -> CampaignReportRow {
        var row = row
        let gatherings = gatherings.sorted { ($0.missionId, $0.gatheringId) < ($1.missionId, $1.gatheringId) }
        let missions = missions.sorted { $0.mission.missionId < $1.mission.missionId }
        row.figures.attendanceExpected = total(
            row.figures.attendanceExpected,
            brokenDownAs: [gatherings.map { $0.attendanceExpected.exact ?? 0 }, missions.map { $0.figures.attendanceExpected.exact ?? 0 }])
        row.figures.attendanceReported = total(
            row.figures.attendanceReported,
            brokenDownAs: [gatherings.map { $0.attendanceReported?.exact ?? 0 }, missions.map { $0.figures.attendanceReported.exact ?? 0 }])

        let s = row.signatures
        let countries = s.byCountry.keys.sorted()
        let channels = breakdown([s.online.exact ?? 0, s.paper.exact ?? 0], totalShown: true)
        let byCountry = breakdown(countries.map { s.byCountry[$0]?.exact ?? 0 }, totalShown: true)
        row.signatures = CampaignReportRow.Signatures(
            // One total for both breakdowns: withheld if either needed it withheld.
            total: byCountry.total == .withheld ? .withheld : channels.total,
            online: channels.cells[0], paper: channels.cells[1],
            byCountry: Dictionary(uniqueKeysWithValues: zip(countries, byCountry.cells)))
        return row
    }

    /// A total that other reports break down: withheld where one of `breakdowns` needs it withheld, else
    /// hidden only when it is 1 to 4 itself.
    static func total(_ count: DisclosedCount, brokenDownAs breakdowns: [[Int64]]) -> DisclosedCount {
        guard let n = count.exact else { return count }
        if breakdowns.contains(where: { breakdown($0, totalShown: true).total == .withheld }) { return .withheld }
        return disclose(n)
    }

    /// Applies `breakdown` to one count of every row, taking the rows in `order`.
    static func hide<Row>(_ rows: inout [Row], order: [Int], totalShown: Bool, _ field: WritableKeyPath<Row, DisclosedCount>) {
        let cells = breakdown(order.map { rows[$0][keyPath: field].exact ?? 0 }, totalShown: totalShown).cells
        for (i, count) in zip(order, cells) { rows[i][keyPath: field] = count }
    }
}
