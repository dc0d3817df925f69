import Foundation
import Testing
import VigilCodec
@testable import VigilDomain
@testable import VigilProjections
import VigilTestSupport

/// The rule that hides small counts in the reporter's view, without a database.
@Suite("Small counts: the reporter's view")
struct SmallCountsTests {
    @Test("a count of 1 to 4 is <5; 0 stays 0, and 5 or more is exact")
    func oneCount() {
        #expect(SmallCounts.disclose(0) == .exact(0))
        for n in Int64(1)...4 { #expect(SmallCounts.disclose(n) == .fewerThanFive, "\(n)") }
        #expect(SmallCounts.disclose(5) == .exact(5))
        #expect(SmallCounts.disclose(120) == .exact(120))
    }

    @Test("KR=3 beside JP=7 and US=120: KR is <5, and JP is withheld so that 130 − 120 − 7 does not give KR")
    func secondarySuppression() {
        // Cells in the order of their keys: JP, KR, US.
        let (cells, total) = SmallCounts.breakdown([7, 3, 120], totalShown: true)
        #expect(cells == [.withheld, .fewerThanFive, .exact(120)])
        #expect(total == .exact(130))
        // Without a total shown, nothing can be subtracted, and only the small count is hidden.
        #expect(SmallCounts.breakdown([7, 3, 120], totalShown: false).cells == [.exact(7), .fewerThanFive, .exact(120)])
    }

    @Test("two small counts that add up to 5 cannot be told apart: nothing more is withheld")
    func twoSmallCounts() {
        let (cells, total) = SmallCounts.breakdown([2, 3, 100], totalShown: true)
        #expect(cells == [.fewerThanFive, .fewerThanFive, .exact(100)])
        #expect(total == .exact(105))
    }

    @Test("withholding goes on while the hidden cells could only be one thing: a <5 and a withheld adding up to 6 are 1 and 5")
    func extremes() {
        #expect(SmallCounts.breakdown([1, 5, 120], totalShown: true).cells == [.fewerThanFive, .withheld, .withheld])
        // Two <5 adding up to 8 are 4 and 4; adding up to 2, 1 and 1.
        #expect(SmallCounts.breakdown([4, 4, 100], totalShown: true).cells == [.fewerThanFive, .fewerThanFive, .withheld])
        #expect(SmallCounts.breakdown([1, 1, 50], totalShown: true).cells == [.fewerThanFive, .fewerThanFive, .withheld])
        // A withheld cell is at most the smallest cell still shown: a withheld beside a 5 is 5, and a <5
        // with it adding up to 9 is 4.
        #expect(SmallCounts.breakdown([4, 5, 5, 90], totalShown: true).cells == [.fewerThanFive, .withheld, .withheld, .exact(90)])
    }

    @Test("when every non-zero cell is hidden and one could still be worked out, the total is withheld")
    func totalWithheld() {
        let fours = SmallCounts.breakdown([4, 0, 4], totalShown: true)
        #expect(fours.cells == [.fewerThanFive, .exact(0), .fewerThanFive])
        #expect(fours.total == .withheld)
        let oneAndFive = SmallCounts.breakdown([1, 5], totalShown: true)
        #expect(oneAndFive.cells == [.fewerThanFive, .withheld])
        #expect(oneAndFive.total == .withheld)
    }

    @Test("a total of 1 to 4 is <5 itself, and then so is every cell but the zeros: nothing is withheld")
    func smallTotal() {
        let (cells, total) = SmallCounts.breakdown([3, 0, 1], totalShown: true)
        #expect(cells == [.fewerThanFive, .exact(0), .fewerThanFive])
        #expect(total == .fewerThanFive)
        #expect(SmallCounts.breakdown([0, 0], totalShown: true) == ([.exact(0), .exact(0)], .exact(0)))
    }

    @Test("random breakdowns: a reader who knows the rule cannot pin any <5 to one value, and what is shown is exact")
    func nothingCanBeWorkedOut() {
        var random = SplitMix(state: 20_041_222)
        for round in 0..<2_000 {
            let cells = (0..<Int.random(in: 1...4, using: &random)).map { _ -> Int64 in
                [0, 1, 2, 3, 4, 5, 6, 7, 9, 12][Int.random(in: 0...9, using: &random)]
            }
            let (shown, total) = SmallCounts.breakdown(cells, totalShown: true)
            let sum = cells.reduce(0, +)
            for (cell, disclosed) in zip(cells, shown) {
                switch disclosed {
                case .exact(let n): #expect(n == cell, "round \(round): \(cells)")
                case .fewerThanFive: #expect((1...4).contains(cell), "round \(round): \(cells)")
                case .withheld: #expect(cell >= 5, "round \(round): \(cells)")
                }
            }
            #expect(total == .withheld || total == SmallCounts.disclose(sum), "round \(round): \(cells)")
            guard total.exact != nil else { continue }
            // Exactly one cell hidden is never left alone beside a shown total.
            #expect(shown.filter { $0.exact == nil }.count != 1, "round \(round): \(cells) → \(shown)")
            // Every assignment of the hidden cells a reader cannot rule out, found by brute force.
            let values = SmallCountsTests.possibilities(shown: shown, total: sum)
            for i in shown.indices where shown[i] == .fewerThanFive {
                #expect(Set(values.map { $0[i] }).count > 1, "round \(round): \(cells) → \(shown): cell \(i) can be worked out")
            }
        }
    }

    /// The values of the hidden cells consistent with what a reader sees: each <5 is 1 to 4, each withheld
    /// cell 5 to the smallest non-zero cell shown, and they add up to the total less the cells shown.
    static func possibilities(shown: [DisclosedCount], total: Int64) -> [[Int64]] {
        let ceiling = shown.compactMap(\.exact).filter { $0 > 0 }.min() ?? total
        var out: [[Int64]] = []
        func walk(_ i: Int, _ so: [Int64]) {
            guard so.reduce(0, +) <= total else { return }
            if i == shown.count {
                if so.reduce(0, +) == total { out.append(so) }
                return
            }
            switch shown[i] {
            case .exact(let n): walk(i + 1, so + [n])
            case .fewerThanFive: for v in Int64(1)...4 { walk(i + 1, so + [v]) }
            case .withheld: for v in Int64(5)...max(5, ceiling) { walk(i + 1, so + [v]) }
            }
        }
        walk(0, [])
        return out
    }

    @Test("JSON: an exact count is a number, as before; a hidden one is \"<5\" or \"withheld\"; and back")
    func json() throws {
        let counts: [String: DisclosedCount] = ["JP": .withheld, "KR": .fewerThanFive, "US": 120]
        let text = String(decoding: try EventCodec.json(counts), as: UTF8.self)
        #expect(text == #"{"JP":"withheld","KR":"<5","US":120}"#)
        #expect(try JSONDecoder().decode([String: DisclosedCount].self, from: Data(text.utf8)) == counts)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DisclosedCount.self, from: Data(#""few""#.utf8)) }
        #expect(DisclosedCount.fewerThanFive.description == "<5" && DisclosedCount.exact(7).description == "7")
    }

    @Test("a campaign's signatures: by country and online/paper are breakdowns of the total; attendance 1 to 4 is hidden")
    func campaignRow() {
        var row = SmallCountsTests.campaign(byCountry: ["KR": 3, "US": 120, "JP": 7], online: 8, paper: 122)
        row.figures.attendanceExpected = 3
        row.figures.attendanceReported = 40
        let seen = SmallCounts.reporterView(row, gatherings: [], missions: [])
        #expect(seen.signatures.byCountry == ["KR": .fewerThanFive, "JP": .withheld, "US": .exact(120)])
        #expect(seen.signatures.total == .exact(130))
        #expect(seen.signatures.online == .exact(8) && seen.signatures.paper == .exact(122))
        #expect(seen.figures.attendanceExpected == .fewerThanFive)
        #expect(seen.figures.attendanceReported == .exact(40))
        // Everything else is as it was.
        #expect(seen.figures.gatheringsHeld == row.figures.gatheringsHeld && seen.campaign == row.campaign)

        let small = SmallCounts.reporterView(
            SmallCountsTests.campaign(byCountry: ["KR": 2], online: 2, paper: 0), gatherings: [], missions: [])
        #expect(small.signatures.total == .fewerThanFive && small.signatures.online == .fewerThanFive)
        #expect(small.signatures.paper == .exact(0) && small.signatures.byCountry == ["KR": .fewerThanFive])
    }

    @Test("the organiser's figures add up: by country and online/paper to the total, missions to the campaign")
    func organiserAddsUp() {
        let row = SmallCountsTests.campaign(byCountry: ["KR": 3, "US": 120, "JP": 7], online: 8, paper: 122)
        let s = row.signatures
        #expect(s.byCountry.values.reduce(DisclosedCount.exact(0), +) == s.total)
        #expect(s.online + s.paper == s.total)
        var a = Figures(), b = Figures()
        a.attendanceReported = 3
        b.attendanceReported = 40
        #expect((a + b).attendanceReported == .exact(43))
        // A hidden count has no sum a reader could trust: adding it gives withheld, never a number.
        #expect(DisclosedCount.fewerThanFive + .exact(40) == .withheld)
    }

    @Test("a day of action: attendance by gathering is a breakdown of the campaign's; a gathering not held stays blank")
    func dayRows() {
        let rows = [
            SmallCountsTests.day("g-seoul", mission: "m-seoul", expected: 40, reported: 35),
            SmallCountsTests.day("g-busan", mission: "m-busan", expected: 10, reported: 1),
            SmallCountsTests.day("g-tokyo", mission: "m-tokyo", expected: 3, reported: nil),
        ]
        let seen = SmallCounts.reporterView(rows)
        #expect(seen.map(\.gatheringId) == rows.map(\.gatheringId))
        #expect(seen.map(\.attendanceExpected) == [.exact(40), .withheld, .fewerThanFive])
        #expect(seen.map(\.attendanceReported) == [.withheld, .fewerThanFive, nil])
    }

    @Test("the campaign's attendance is withheld when its gatherings could hide their small counts only by hiding it")
    func campaignTotalFromDay() {
        var row = SmallCountsTests.campaign(byCountry: [:], online: 0, paper: 0)
        row.figures.attendanceReported = 8
        row.figures.attendanceExpected = 30
        let gatherings = [
            SmallCountsTests.day("g-1", mission: "m-1", expected: 15, reported: 4),
            SmallCountsTests.day("g-2", mission: "m-2", expected: 15, reported: 4),
        ]
        let seen = SmallCounts.reporterView(row, gatherings: gatherings, missions: [])
        #expect(seen.figures.attendanceReported == .withheld)
        #expect(seen.figures.attendanceExpected == .exact(30))
    }

    @Test("missions: attendance 1 to 4 at a mission is <5; for one campaign's missions it is a breakdown of its total")
    func missionRows() {
        let rows = [("m-b", Int64(3)), ("m-a", 9), ("m-c", 50)].map { SmallCountsTests.mission($0.0, reported: $0.1) }
        #expect(SmallCounts.reporterView(rows, oneCampaign: false).map(\.figures.attendanceReported) == [.fewerThanFive, .exact(9), .exact(50)])
        #expect(SmallCounts.reporterView(rows, oneCampaign: true).map(\.figures.attendanceReported) == [.fewerThanFive, .withheld, .exact(50)])
    }

    static func campaign(byCountry: [String: Int64], online: Int64, paper: Int64) -> CampaignReportRow {
        let launched = CampaignLaunched(
            campaignId: "c-1", title: "T", cause: "C", coalition: "Co", addressee: "A", demands: [], annualDay: nil, launchedAt: t0)
        var figures = Figures()
        figures.gatheringsHeld = 2
        return CampaignReportRow(
            campaign: CampaignRow(launched), figures: figures, missionsReached: 0, citiesReached: 0, countriesReached: 0,
            countries: [], endorsementsCurrent: 0,
            signatures: .init(
                total: .exact(online + paper), online: .exact(online), paper: .exact(paper),
                byCountry: byCountry.mapValues { .exact($0) }))
    }

    static func day(_ id: String, mission: String, expected: Int64, reported: Int64?) -> DayRow {
        DayRow(
            gatheringId: id, missionId: mission, city: "City", country: "KR", kind: "vigil", status: reported == nil ? "scheduled" : "held",
            timeZone: "Asia/Seoul", localStart: "2024-12-22 12:00", startsAtUTC: t0, venue: nil,
            attendanceExpected: .exact(expected), attendanceReported: reported.map { .exact($0) })
    }

    static func mission(_ id: String, reported: Int64) -> MissionReportRow {
        var figures = Figures()
        figures.attendanceReported = .exact(reported)
        let event = MissionRegistered(
            missionId: id, name: id, sendingState: "CN", kind: .embassy, city: "Seoul", country: "KR", timeZone: "Asia/Seoul",
            address: nil, registeredAt: t0)
        return MissionReportRow(
            mission: MissionRow(event), figures: figures, byKind: [], campaigns: [], firstHeldLocal: nil, lastHeldLocal: nil)
    }
}
