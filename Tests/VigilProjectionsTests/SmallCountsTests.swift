import Foundation
import Testing
@testable import VigilDomain
@testable import VigilProjections

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
        let text = String(decoding: try JSONEncoder.sorted.encode(counts), as: UTF8.self)
        #expect(text == #"{"JP":"withheld","KR":"<5","US":120}"#)
        #expect(try JSONDecoder().decode([String: DisclosedCount].self, from: Data(text.utf8)) == counts)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DisclosedCount.self, from: Data(#""few""#.utf8)) }
        #expect(DisclosedCount.fewerThanFive.description == "<5" && DisclosedCount.exact(7).description == "7")
    }
}

/// A small deterministic generator, so a failure can be reproduced from its seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys, so that the text can be compared.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
