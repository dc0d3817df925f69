import ArgumentParser
import Foundation
import VigilService

extension LoginRole: ChoiceArgument {}

/// `vigil admin …`: the coalition's logins, run by its administrator (scripts/coalition vigil admin …).
struct AdminCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Manage a coalition's logins: who connects, in which role, and which campaigns they record in.",
        discussion: "Runs as the database's administrator (a login that may create roles), such as through scripts/coalition vigil admin ….",
        subcommands: [AddOrganiser.self, Allow.self, Disallow.self, Grants.self, Logins.self, ResetPassword.self, Disable.self, Enable.self]
    )

    struct AddOrganiser: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-organiser",
            abstract: "Create a login with a new password, granted the role's group role, and print how to connect.",
            discussion: """
                organiser: records commands (vigil_writer); auditor: reads the log (vigil_auditor); reporter: reads the \
                reports (vigil_reporter). The password is generated here (192 random bits), shown once and kept nowhere: \
                the server holds only its SCRAM-SHA-256 verifier, computed before it is sent. The URL printed holds no \
                password; give the password to the person over a channel you trust, apart from the URL. With \
                --campaign, an organiser records only in those campaigns (see vigil admin allow). A name that exists \
                is refused and nothing is made.
                Example: vigil admin add-organiser tokyo_kim --role organiser --campaign dad-2025
                """
        )

        @Argument(help: "The login's name: 2 to 63 lower-case letters, digits and _, starting with a letter.")
        var name: String
        @Option(help: "What the person does.")
        var role: LoginRole
        @Option(name: .customLong("campaign"), help: "Limit an organiser to recording in this campaign (repeat for more).")
        var campaigns: [String] = []
        @Option(help: "The host name organisers connect to, as in the server's certificate (default: $VIGIL_COALITION_HOST, else localhost); for a failover pair, every node, comma-separated, each HOST or HOST:PORT.")
        var host: String?
        @Option(help: "The port organisers connect to (default: $VIGIL_COALITION_PORT, else the server's).")
        var port: Int?
        @Option(help: "The coalition's CA certificate as organisers save it (default: $VIGIL_COALITION_CA).")
        var ca: String?

        func run() throws {
            try CLI.run {
                let environment = ProcessInfo.processInfo.environment
                let address = CoalitionAddress(
                    host: host ?? environment["VIGIL_COALITION_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "localhost",
                    port: port ?? environment["VIGIL_COALITION_PORT"].flatMap { Int($0) },
                    caFile: ca ?? environment["VIGIL_COALITION_CA"].flatMap { $0.isEmpty ? nil : $0 })
                let made = try VigilService().addOrganiser(name, role: role, campaigns: campaigns, address: address)
                print("created login \(made.login): \(made.role.rawValue) (member of \(made.groupRole))")
                if !made.campaigns.isEmpty { print("records only in: \(made.campaigns.joined(separator: ", "))") }
                print("connect with (no password in it):")
                print("  \(made.url)")
                if !made.namesCertificateAuthority {
                    print("  (add &sslrootcert=PATH, the coalition's ca.crt as saved on their machine)")
                }
                print("password (shown this once, kept nowhere; hand it over apart from the URL, then forget it):")
                print("  \(made.password)")
                print("they connect with: PGPASSWORD=… or a line in ~/.pgpass (mode 0600), and VIGIL_DATABASE_URL set to the URL")
            }
        }
    }

    struct Allow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let a login record in a campaign, and from then on in its allowed campaigns only.",
            discussion: """
                A login with no allowance records in every campaign; from its first, vigil.append refuses it every \
                stream outside its allowed campaigns (missions included), whatever client it uses. vigil admin \
                disallow takes one back.
                Example: vigil admin allow tokyo_kim --campaign dad-2025
                """
        )

        @Argument(help: "The login.")
        var login: String
        @Option(help: "The campaign it may record in.")
        var campaign: String

        func run() throws {
            try CLI.run {
                try VigilService().allow(login: login, campaign: campaign)
                print("\(login) records in campaign \(campaign) (and only in the campaigns it is allowed)")
            }
        }
    }

    struct Disallow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a campaign from a limited login's allowances; it records in the others only.",
            discussion: """
                The last allowance is never taken: a login with none records in every campaign. To stop a login \
                recording at all, disable it.
                Example: vigil admin disallow tokyo_kim --campaign dad-washington
                """
        )

        @Argument(help: "The login.")
        var login: String
        @Option(help: "The campaign it may no longer record in.")
        var campaign: String

        func run() throws {
            try CLI.run {
                let left = try VigilService().disallow(login: login, campaign: campaign)
                print("\(login) no longer records in campaign \(campaign); it records only in: \(left.joined(separator: ", "))")
            }
        }
    }

    struct Logins: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the coalition's logins: role, whether they can log in, and the campaigns they record in.",
            discussion: "Example: vigil admin logins"
        )

        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let logins = try VigilService().coalitionLogins()
                Output.printRows(
                    ["login", "role", "status", "records in"],
                    logins.map {
                        [$0.login, $0.role.rawValue, $0.canLogIn ? "active" : "disabled",
                         $0.role != .organiser ? "" : $0.campaigns.isEmpty ? "every campaign" : $0.campaigns.joined(separator: ", ")]
                    },
                    format: format)
            }
        }
    }

    struct ResetPassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Give a login a new password and print it once; the old one stops working at once.",
            discussion: """
                For a person who lost their password, or one that may have been seen. Only the SCRAM-SHA-256 \
                verifier reaches the server. Sessions already open stay open: disable the login to end them.
                Example: vigil admin reset-password tokyo_kim
                """
        )

        @Argument(help: "The login.")
        var login: String

        func run() throws {
            try CLI.run {
                let reset = try VigilService().resetPassword(login: login)
                print("new password for \(login) (shown this once, kept nowhere; hand it over apart from the URL, then forget it):")
                print("  \(reset.password)")
                if !reset.canLogIn { print("\(login) is disabled: it logs in again after vigil admin enable \(login)") }
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a login: it can no longer log in, and its open sessions are ended.",
            discussion: """
                For a lost laptop or phone, or a person who left the coalition. What it recorded stays in the log \
                under its name. vigil admin enable lets it log in again (reset its password first if it may be known).
                Example: vigil admin disable tokyo_kim
                """
        )

        @Argument(help: "The login.")
        var login: String

        func run() throws {
            try CLI.run {
                let ended = try VigilService().setLogin(login, enabled: false)
                print("\(login) can no longer log in; \(ended) open session\(ended == 1 ? "" : "s") ended")
            }
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let a disabled login log in again, with the password it had.",
            discussion: "Example: vigil admin enable tokyo_kim"
        )

        @Argument(help: "The login.")
        var login: String

        func run() throws {
            try CLI.run {
                _ = try VigilService().setLogin(login, enabled: true)
                print("\(login) can log in again")
            }
        }
    }

    struct Grants: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the logins limited to some campaigns, and those campaigns.",
            discussion: "A login not listed records in every campaign. Example: vigil admin grants"
        )

        func run() throws {
            try CLI.run {
                let grants = try VigilService().campaignGrants()
                Output.printRows(["login", "records only in"], grants.map { [$0.login, $0.campaigns.joined(separator: ", ")] }, format: .table)
            }
        }
    }
}
