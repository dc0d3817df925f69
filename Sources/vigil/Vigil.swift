import ArgumentParser
import Foundation

/// The `vigil` command: organisers' commands, projections, reports and audits over the event log.
@main
struct Vigil: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Record and report coordinated protests, vigils and petition deliveries at diplomatic missions.",
        discussion: """
            Connects with VIGIL_DATABASE_URL, or with libpq's PG* variables when it is unset.
            Run through scripts/vigil to get a private PostgreSQL cluster without any set-up.
            """,
        subcommands: [
            CampaignCommandGroup.self, MissionCommandGroup.self, GatheringCommandGroup.self, WeeklyCommandGroup.self,
            PetitionCommandGroup.self, ReportCommand.self, ProjectionsCommand.self, AuditCommand.self,
            SeedCommand.self, DemoCommand.self, DatabaseCommand.self,
        ]
    )
}
