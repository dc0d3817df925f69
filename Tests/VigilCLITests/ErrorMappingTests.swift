import Testing
import VigilDomain
import VigilService
@testable import vigil

/// How the CLI words each failure and which exit code it ends with, with no database.
@Suite("Errors to messages and exit codes")
struct ErrorMappingTests {
    @Test("each kind of failure has its own exit code")
    func exitCodes() {
        let cases: [(Error, Int32)] = [
            (DomainError.invalid(field: "kind", reason: "x"), 3),
            (DomainError.notFound(kind: "mission", id: "m"), 4),
            (DomainError.alreadyExists(kind: "mission", id: "m"), 5),
            (DomainError.refused("no"), 6),
            (VigilError(.invalidInput, "bad file"), 3),
            (VigilError(.notFound, "none"), 4),
            (VigilError(.conflict, "raced"), 5),
            (VigilError(.database, "down"), 7),
            (VigilError(.tampered, "altered"), 8),
            (VigilError(.corrupt, "unreadable"), 70),
            (VigilError(.permission, "not a member"), 9),
            (LocatedError(place: "seeds/a.vigil:3", underlying: DomainError.refused("closed")), 6),
        ]
        for (error, code) in cases {
            #expect(CLI.describe(error).1.rawValue == code, "\(error)")
        }
        #expect(Set(cases.map(\.1)).count == 8)
    }

    @Test("the domain's field words become the CLI's flags; arguments and unknown words stay as they are")
    func flags() {
        #expect(CLI.describe(DomainError.invalid(field: "local time", reason: "r")).0 == "--at: r")
        #expect(CLI.describe(DomainError.invalid(field: "expected attendance", reason: "r")).0 == "--expected: r")
        #expect(CLI.describe(DomainError.invalid(field: "received by", reason: "r")).0 == "--received-by: r")
        #expect(CLI.describe(DomainError.invalid(field: "count for KR", reason: "r")).0 == "--count KR: r")
        #expect(CLI.describe(DomainError.invalid(field: "mission id", reason: "r")).0 == "mission id: r")
        #expect(CLI.describe(DomainError.invalid(field: "email", reason: "r")).0 == "--email: r")
    }

    @Test("a not-found mission or gathering names the command that records one; a place prefixes its message")
    func hints() {
        #expect(CLI.describe(DomainError.notFound(kind: "mission", id: "m-1")).0.hasSuffix("(vigil mission register)"))
        #expect(CLI.describe(DomainError.notFound(kind: "gathering", id: "g-1")).0.hasSuffix("(vigil gathering schedule)"))
        #expect(!CLI.describe(DomainError.notFound(kind: "petition", id: "p-1")).0.contains("(vigil"))
        #expect(CLI.describe(LocatedError(place: "a.vigil:3", underlying: DomainError.invalid(field: "kind", reason: "r"))).0 == "a.vigil:3: --kind: r")
    }

    @Test("a parser message with a list of values becomes one line")
    func oneLine() {
        #expect(Vigil.oneLine("The value 'x' is invalid.\nPlease provide one of the following:\n  - a\n  - b\n") ==
            "The value 'x' is invalid. Please provide one of the following: a, b")
        #expect(Vigil.helpCommand("Error: x\nSee 'vigil gathering cancel --help' for more information.") == "vigil gathering cancel --help")
        #expect(Vigil.helpCommand("nothing") == "vigil --help")
    }
}

@Suite("CSV cells")
struct CSVCellTests {
    @Test("formulas become text; quotes, commas and line breaks are quoted")
    func cells() {
        #expect(Output.csvField("=1+1") == "'=1+1")
        #expect(Output.csvField("+33 1") == "'+33 1")
        #expect(Output.csvField("-2+3") == "'-2+3")
        #expect(Output.csvField("-1e3") == "'-1e3")
        #expect(Output.csvField("-") == "'-")
        #expect(Output.csvField("-2.") == "'-2.")
        // A plain number is not a formula: a longitude west of Greenwich stays a number.
        #expect(Output.csvField("-77.0665") == "-77.0665")
        #expect(Output.csvField("+3") == "+3")
        #expect(Output.csvField("@SUM(A1)") == "'@SUM(A1)")
        #expect(Output.csvField("\tx") == "'\tx")
        #expect(Output.csvField("=a,b") == "\"'=a,b\"")
        #expect(Output.csvField("Seoul") == "Seoul")
        #expect(Output.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }
}
