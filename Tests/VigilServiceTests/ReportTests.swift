import Foundation
import Testing
import VigilDomain
import VigilProjections
import VigilService
import VigilTestSupport

/// Reports through the front door, on a real database: what they count.
@Suite("Reports through the service")
struct ReportTests {
    let database: String
    init() throws { database = try TestDatabase.create("reports") }

    func service() -> VigilService { VigilService(conninfo: "dbname=\(database)") }

    static func launch(_ campaign: String) -> VigilCommand {
        .campaign(.launch(LaunchCampaign(
            campaignId: campaign, title: "Day of action", cause: "Repatriation", coalition: "Coalition", addressee: "Xi Jinping",
            demands: ["Stop repatriation"])))
    }

    static func register(_ mission: String, country: String, zone: String) -> VigilCommand {
        .mission(.register(RegisterMission(
            missionId: mission, name: "Embassy of the People's Republic of China", sendingState: "CN", kind: .embassy,
            city: "City \(mission)", country: country, timeZone: zone)))
    }

    /// A campaign with signatures counted on paper (KR=3, US=120, JP=7) and two gatherings: 2 people at
    /// one embassy, 40 at another.
    func smallWorld(_ service: VigilService) throws {
        _ = try service.handle(ReportTests.launch("dad-small"))
        _ = try service.handle(ReportTests.register("prc-embassy-seoul", country: "KR", zone: "Asia/Seoul"))
        _ = try service.handle(ReportTests.register("prc-embassy-tokyo", country: "JP", zone: "Asia/Tokyo"))
        for (gathering, mission, attendance) in [("g-seoul", "prc-embassy-seoul", 40), ("g-tokyo", "prc-embassy-tokyo", 2)] {
            _ = try service.handle(.gathering(.schedule(ScheduleGathering(
                gatheringId: gathering, missionId: mission, campaignId: "dad-small", kind: .vigil, localStart: "2024-12-22 12:00",
                expectedAttendance: attendance))))
            _ = try service.handle(.gathering(.recordHeld(RecordGatheringHeld(gatheringId: gathering, reportedAttendance: attendance))))
        }
        _ = try service.handle(.petition(.draft(DraftPetition(
            petitionId: "dad-small-petition", campaignId: "dad-small", title: "Stop", addressee: "Xi Jinping", text: "Stop."))))
        _ = try service.handle(.petition(.open(petitionId: "dad-small-petition")))
        _ = try service.handle(.petition(.count(CountSignatures(
            petitionId: "dad-small-petition", channel: .paper, byCountry: ["KR=3", "US=120", "JP=7"]))))
    }

    @Test("the reporter's view shows <5 for 1 to 4 people and withholds what would give them away; the organiser's is exact and adds up")
    func smallCounts() throws {
        let service = service()
        try smallWorld(service)

        let reporter = try service.campaignsReport("dad-small")
        #expect(reporter.view == .reporter)
        let seen = try #require(reporter.rows.first)
        #expect(seen.signatures.byCountry == ["KR": .fewerThanFive, "JP": .withheld, "US": 120])
        #expect(seen.signatures.total == 130 && seen.signatures.paper == 130 && seen.signatures.online == 0)
        #expect(seen.figures.attendanceReported == 42)
        let missions = try service.missionsReport(campaign: "dad-small").rows
        let attendance = Dictionary(uniqueKeysWithValues: missions.map { ($0.mission.missionId, $0.figures.attendanceReported) })
        // 2 at Tokyo is <5, and Seoul's 40 is withheld: 42 − 40 would give Tokyo away.
        #expect(attendance == ["prc-embassy-tokyo": .fewerThanFive, "prc-embassy-seoul": .withheld])
        // Asked for one country, the same cells: worked out over all the campaign's missions.
        #expect(try service.missionsReport(country: "KR", campaign: "dad-small").rows.map(\.figures.attendanceReported) == [.withheld])
        #expect(try service.missionReport("prc-embassy-tokyo").rows.figures.attendanceExpected == .fewerThanFive)
        #expect(try service.missionReport("prc-embassy-seoul").rows.figures.attendanceExpected == 40)
        let day = try service.dayReport("dad-small").rows
        #expect(day.map(\.attendanceReported) == [.withheld, .fewerThanFive])

        let organiser = try service.campaignsReport("dad-small", view: .organiser)
        #expect(organiser.view == .organiser)
        let exact = try #require(organiser.rows.first)
        #expect(exact.signatures.byCountry == ["KR": 3, "JP": 7, "US": 120])
        #expect(exact.signatures.byCountry.values.compactMap(\.exact).reduce(0, +) == exact.signatures.total.exact)
        #expect(exact.signatures.online + exact.signatures.paper == exact.signatures.total)
        let exactMissions = try service.missionsReport(campaign: "dad-small", view: .organiser).rows
        #expect(exactMissions.map(\.figures).reduce(Figures(), +) == exact.figures)
        #expect(exact.figures.attendanceReported == 42)
        #expect(try service.dayReport("dad-small", view: .organiser).rows.map(\.attendanceReported) == [40, 2])
        #expect(try service.missionReport("prc-embassy-tokyo", view: .organiser).rows.figures.attendanceReported == 2)
    }

    @Test("the organiser's view needs the organiser's role: a reporter-only login is refused it, naming vigil_writer")
    func organiserViewNeedsTheRole() throws {
        let service = service()
        try smallWorld(service)
        let login = try Login(database, member: "vigil_reporter")
        defer { try? login.drop() }
        do {
            let asReporter = VigilService(conninfo: "dbname=\(database) user=\(login.name)")
            #expect(try asReporter.campaignsReport("dad-small").rows.first?.signatures.byCountry["KR"] == .fewerThanFive)
            let error = try #require(throws: VigilError.self) { try asReporter.campaignsReport("dad-small", view: .organiser) }
            #expect(error.kind == .permission)
            #expect(error.message.contains("vigil_writer"), "\(error.message)")
        }
    }

    @Test("a campaign that reached no mission reports no mission, no city and no country (issue 12)")
    func campaignWithoutMissions() throws {
        let service = service()
        _ = try service.handle(ReportTests.launch("no-missions"))
        let row = try #require(try service.campaignsReport("no-missions").rows.first)
        #expect(row.missionsReached == 0)
        #expect(row.citiesReached == 0)
        #expect(row.countriesReached == 0)
        #expect(row.countries.isEmpty)
    }
}
