import Foundation
import Testing
import VigilDomain
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
