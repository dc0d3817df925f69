import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// `vigil campaign …`: campaigns and days of action.
struct CampaignCommandGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Launch campaigns and days of action; record their coalition, endorsements and statements.",
        subcommands: [Launch.self, AddMember.self, Endorse.self, WithdrawEndorsement.self, Statement.self, Conclude.self, Calendar.self]
    )

    struct Launch: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Launch a campaign or day of action.",
            discussion: """
                Example:
                  vigil campaign launch save-north-koreans-day --title "Save North Koreans Day" \\
                    --cause "China's forced repatriation of North Korean refugees" \\
                    --coalition "North Korea Freedom Coalition" \\
                    --addressee "the President of the People's Republic of China" \\
                    --demand "Stop the forced repatriation of North Korean refugees" --annual-day "Save North Koreans Day"
                """
        )

        @Argument(help: "An id people can type, such as save-north-koreans-day.")
        var id: String
        @Option(help: "The campaign's title.")
        var title: String
        @Option(help: "What it is about.")
        var cause: String
        @Option(help: "The organising coalition.")
        var coalition: String
        @Option(help: "Whom it addresses.")
        var addressee: String
        @Option(help: "A demand; repeat for several.")
        var demand: [String] = []
        @Option(name: .customLong("annual-day"), help: "The name of the day, when it comes back every year.")
        var annualDay: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = LaunchCampaign(
                campaignId: id, title: title, cause: cause, coalition: coalition, addressee: addressee, demands: demand,
                annualDay: annualDay)
            return (.campaign(.launch(command)), "launched campaign \(id)")
        }
    }

    struct AddMember: OrganiserCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-member",
            abstract: "Add an organisation to the coalition, or name the lead organisation in a city.",
            discussion: """
                Example:
                  vigil campaign add-member dad-2004 --organisation "Liberation in North Korea (LiNK)" \\
                    --role local-lead --city "New York" --country US
                """
        )

        @Argument(help: "The campaign's id.")
        var id: String
        @Option(help: "The organisation.")
        var organisation: String
        @Option(help: "Its role in the coalition.")
        var role: CoalitionRole = .member
        @Option(help: "The city it leads in (for a local lead).")
        var city: String?
        @Option(help: "Its country, as an ISO 3166 code.")
        var country: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = AddCoalitionMember(campaignId: id, organisation: organisation, role: role, city: city, country: country)
            return (.campaign(.addMember(command)), "added \(organisation) to campaign \(id)")
        }
    }

    struct Endorse: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a public endorsement.",
            discussion: """
                Example:
                  vigil campaign endorse dad-2004 brownback --endorser "Sam Brownback" --office "U.S. Senator (R-KS)"
                """
        )

        @Argument(help: "The campaign's id.")
        var id: String
        @Argument(help: "An id for the endorsement, such as brownback.")
        var endorsement: String
        @Option(help: "The endorser, as publicly named (- reads it from standard input, out of the shell's history).")
        var endorser: String
        @Option(help: "Their office (- reads it from standard input, out of the shell's history).")
        var office: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = RecordEndorsement(campaignId: id, endorsementId: endorsement, endorser: endorser, office: office)
            return (.campaign(.endorse(command)), "recorded endorsement \(endorsement) of campaign \(id)")
        }
    }

    struct WithdrawEndorsement: OrganiserCommand {
        static let configuration = CommandConfiguration(
            commandName: "withdraw-endorsement",
            abstract: "Record that an endorsement was withdrawn.",
            discussion: "Example: vigil campaign withdraw-endorsement dad-2004 brownback --reason \"left office\""
        )

        @Argument(help: "The campaign's id.")
        var id: String
        @Argument(help: "The endorsement's id.")
        var endorsement: String
        @Option(help: "Why (- reads it from standard input, out of the shell's history).")
        var reason: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = VigilDomain.WithdrawEndorsement(campaignId: id, endorsementId: endorsement, reason: reason)
            return (.campaign(.withdrawEndorsement(command)), "withdrew endorsement \(endorsement) of campaign \(id)")
        }
    }

    struct Statement: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a statement the campaign issued: its date, demands, and claims with their sources.",
            discussion: """
                Example:
                  vigil campaign statement stop-repatriation-2024 june-statement --date 2024-06-03 \\
                    --title "Statement against forced repatriation" --demand "Apologise to the world" \\
                    --claim "More than 200 defectors were repatriated from Baiyin on 26 April | reports through several channels"
                """
        )

        @Argument(help: "The campaign's id.")
        var id: String
        @Argument(help: "An id for the statement.")
        var statement: String
        @Option(help: "The date it was issued: YYYY-MM-DD.")
        var date: String
        @Option(help: "Its title.")
        var title: String
        @Option(help: "A demand; repeat for several.")
        var demand: [String] = []
        @Option(help: "A claim as \"what is claimed | its source\"; repeat for several (- reads it from standard input, out of the shell's history).")
        var claim: [String] = []
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = IssueStatement(campaignId: id, statementId: statement, issuedOn: date, title: title, demands: demand, claims: claim)
            return (.campaign(.issueStatement(command)), "recorded statement \(statement) of campaign \(id)")
        }
    }

    struct Conclude: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Conclude a campaign: nothing more can be scheduled for it.",
            discussion: "Example: vigil campaign conclude dad-2004 --summary \"Protests in ten cities and at the UN\""
        )

        @Argument(help: "The campaign's id.")
        var id: String
        @Option(help: "What it came to (- reads it from standard input, out of the shell's history).")
        var summary: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            (.campaign(.conclude(ConcludeCampaign(campaignId: id, summary: summary))), "concluded campaign \(id)")
        }
    }
}
