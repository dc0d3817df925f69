import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// `vigil mission …`: the diplomatic missions where people gather.
struct MissionCommandGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mission",
        abstract: "Register and close diplomatic missions (embassies, consulates, missions to the UN).",
        subcommands: [Register.self, Correct.self, Close.self]
    )

    struct Register: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a diplomatic mission.",
            discussion: """
                Example:
                  vigil mission register prc-embassy-washington --name "Embassy of the People's Republic of China" \\
                    --sending-state CN --kind embassy --city Washington --country US --zone America/New_York \\
                    --address "3505 International Place NW" --at 38.9436,-77.0667
                """
        )

        @Argument(help: "An id people can type, such as prc-embassy-washington.")
        var id: String
        @Option(help: "The mission's name.")
        var name: String
        @Option(name: .customLong("sending-state"), help: "The state it represents, as an ISO 3166 code (CN, KP).")
        var sendingState: String
        @Option(help: "What kind of mission.")
        var kind: MissionKind
        @Option(help: "The city it is in.")
        var city: String
        @Option(help: "The country it is in, as an ISO 3166 code (US, KR).")
        var country: String
        @Option(help: "The IANA time zone of its place (America/New_York).")
        var zone: String
        @Option(help: "Its street address.")
        var address: String?
        @Option(
            parsing: .unconditional,
            help: "Where it stands, for the report site's map: latitude,longitude in decimal degrees (-33.8688,151.2093).")
        var at: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = RegisterMission(
                missionId: id, name: name, sendingState: sendingState, kind: kind, city: city, country: country,
                timeZone: zone, address: address, location: at)
            return (.mission(.register(command)), "registered mission \(id)")
        }
    }

    struct Correct: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Correct facts about a mission: its name, city, time zone, address or place on the map.",
            discussion: """
                Gatherings already scheduled keep the instant and zone they were scheduled with.
                Example: vigil mission correct prc-consulate-busan --city Busan --reason "Pusan is now spelt Busan"
                """
        )

        @Argument(help: "The mission's id.")
        var id: String
        @Option(help: "The corrected name.")
        var name: String?
        @Option(help: "The corrected city.")
        var city: String?
        @Option(help: "The corrected IANA time zone.")
        var zone: String?
        @Option(help: "The corrected address.")
        var address: String?
        @Option(parsing: .unconditional, help: "The corrected place: latitude,longitude in decimal degrees.")
        var at: String?
        @Option(help: "Why it is corrected (- reads it from standard input, out of the shell's history).")
        var reason: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = CorrectMission(
                missionId: id, name: name, city: city, timeZone: zone, address: address, location: at, reason: reason)
            return (.mission(.correct(command)), "corrected mission \(id)")
        }
    }

    struct Close: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a mission: nothing new can be scheduled there.",
            discussion: "Example: vigil mission close prc-consulate-houston --reason \"closed by the host state in July 2020\""
        )

        @Argument(help: "The mission's id.")
        var id: String
        @Option(help: "Why it is closed (- reads it from standard input, out of the shell's history).")
        var reason: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            return (.mission(.close(CloseMission(missionId: id, reason: reason))), "closed mission \(id)")
        }
    }
}
