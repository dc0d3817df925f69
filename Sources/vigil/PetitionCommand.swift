import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// `vigil petition …`: petitions and letters, their signatures and their delivery.
struct PetitionCommandGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petition",
        abstract: "Draft petitions and letters, collect signatures, and record their delivery at missions.",
        subcommands: [Draft.self, Revise.self, Open.self, Sign.self, Count.self, Import.self, Signers.self, Close.self, Deliver.self]
    )

    struct Draft: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draft a petition or a letter (its version 1).",
            discussion: """
                Example:
                  vigil petition draft letter-to-xi-2015 --kind letter --campaign save-nk-refugees-day-2015 \\
                    --title "Appeal to end the repatriation of North Korean refugees" \\
                    --addressee "President Xi Jinping" --text-file letter.txt
                """
        )

        @Argument(help: "An id people can type.")
        var id: String
        @Option(help: "A petition (it takes signatures) or a letter.")
        var kind: PetitionKind = .petition
        @Option(help: "The campaign it belongs to.")
        var campaign: String?
        @Option(help: "Its title.")
        var title: String
        @Option(help: "Whom it is addressed to.")
        var addressee: String
        @Option(help: "Its text.")
        var text: String?
        @Option(name: .customLong("text-file"), help: "A UTF-8 file holding its text.")
        var textFile: String?
        @Option(help: "A demand; repeat for several.")
        var demand: [String] = []
        @OptionGroup var options: CommandOptions

        func validate() throws {
            guard (text == nil) != (textFile == nil) else { throw ValidationError("give the text with --text or --text-file (one of them)") }
        }

        func command() throws -> (VigilCommand, String) {
            let body = try text ?? TextFile.read(textFile ?? "", option: "--text-file")
            let command = DraftPetition(
                petitionId: id, campaignId: campaign, kind: kind, title: title, addressee: addressee, text: body, demands: demand)
            return (.petition(.draft(command)), "drafted \(kind) \(id)")
        }
    }

    struct Revise: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revise the text: amends the current version, or makes a new one if it was delivered.",
            discussion: "Example: vigil petition revise letter-to-xi-2015 --title \"An appeal to President Xi Jinping\""
        )

        @Argument(help: "The petition's id.")
        var id: String
        @Option(help: "A new title.")
        var title: String?
        @Option(help: "A new addressee.")
        var addressee: String?
        @Option(help: "A new text.")
        var text: String?
        @Option(name: .customLong("text-file"), help: "A UTF-8 file holding the new text.")
        var textFile: String?
        @Option(help: "The demands, all of them; repeat for several.")
        var demand: [String] = []
        @OptionGroup var options: CommandOptions

        func command() throws -> (VigilCommand, String) {
            let body = try text ?? textFile.map { try TextFile.read($0, option: "--text-file") }
            let command = RevisePetition(
                petitionId: id, title: title, addressee: addressee, text: body, demands: demand.isEmpty ? nil : demand)
            return (.petition(.revise(command)), "revised \(id)")
        }
    }

    struct Open: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a petition for signatures.", discussion: "Example: vigil petition open stop-repatriation-2024")

        @Argument(help: "The petition's id.")
        var id: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) { (.petition(.open(petitionId: id)), "opened petition \(id)") }
    }

    struct Sign: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record one signature. The signer is sealed in the vault; the log holds only a random subject id.",
            discussion: """
                Needs the master key (VIGIL_MASTER_KEY_FILE). The same person (the same e-mail, or the same name
                and country) signs once: the vault's blind index refuses a second signature. Give `-` as the
                e-mail or the name to read it from the first line of standard input instead: a value on the
                command line can be seen by others in the process list and stays in the shell's history.
                Example: vigil petition sign stop-repatriation-2024 --email signer@example.org --country KR
                Example: vigil petition sign stop-repatriation-2024 --email - --country KR < signer.txt
                """
        )

        @Argument(help: "The petition's id.")
        var id: String
        @Option(help: "The signer's e-mail address, or - to read it from standard input.")
        var email: String?
        @Option(help: "The signer's name (with --country), or - to read it from standard input.")
        var name: String?
        @Option(help: "The signer's country, as an ISO 3166 code.")
        var country: String?
        @Option(help: "How the signature was collected.")
        var channel: SignatureChannel = .online
        @Flag(help: "The signer agreed to hear back from the organisers (only they can export such signers).")
        var consent = false
        @OptionGroup var options: CommandOptions

        func validate() throws {
            guard (email == nil) != (name == nil) else { throw ValidationError("give the signer with --email or with --name and --country") }
            if name != nil && country == nil { throw ValidationError("--name needs --country, so that two people of one name stay two") }
        }

        func command() -> (VigilCommand, String) {
            // "-": the first line of standard input (nothing there reads as empty, which the domain refuses).
            func value(_ given: String, _ what: String) -> String {
                guard given == "-" else { return given }
                return StandardInput.identityLine(
                    prompt: "\(what) -: type the signer's \(what == "--email" ? "e-mail address" : "name"), then press Enter")
            }
            let identity: SignerIdentity = email.map { .email(value($0, "--email")) } ?? .name(value(name ?? "", "--name"), country: country ?? "")
            let command = RecordSignature(petitionId: id, identity: identity, consent: consent, country: country, channel: channel)
            return (.petition(.sign(command)), "recorded a signature of petition \(id)")
        }
    }

    struct Count: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a batch of signatures counted by country (paper forms, an online export).",
            discussion: "Example: vigil petition count stop-repatriation-2024 --channel paper --count KR=800 --count US=120"
        )

        @Argument(help: "The petition's id.")
        var id: String
        @Option(help: "How the signatures were collected.")
        var channel: SignatureChannel
        @Option(help: "COUNTRY=N, repeated (ZZ where the country is unknown).")
        var count: [String] = []
        @Option(name: .customLong("batch-ref"), help: "Where the batch is kept, as a reference.")
        var batchRef: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = CountSignatures(petitionId: id, channel: channel, byCountry: count, batchRef: batchRef)
            return (.petition(.count(command)), "counted signatures of petition \(id)")
        }
    }

    struct Close: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a petition: it takes no more signatures.", discussion: "Example: vigil petition close stop-repatriation-2024")

        @Argument(help: "The petition's id.")
        var id: String
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) { (.petition(.close(petitionId: id)), "closed petition \(id)") }
    }

    struct Deliver: OrganiserCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an attempt to hand a petition or letter over at a mission, and its outcome.",
            discussion: """
                Outcomes: accepted (with --received-by), refused, blocked, nobody-came-out. The version delivered is
                frozen: a later revision makes a new version.
                Example:
                  vigil petition deliver letter-to-xi-2015 washington --mission prc-embassy-washington \\
                    --gathering snkrd-2015-washington --outcome accepted --received-by "an embassy official"
                """
        )

        @Argument(help: "The petition's id.")
        var id: String
        @Argument(help: "An id for this delivery, such as washington.")
        var delivery: String
        @Option(help: "The mission's id.")
        var mission: String
        @Option(help: "The gathering it happened at, if any.")
        var gathering: String?
        @Option(help: "What happened at the door.")
        var outcome: DeliveryOutcome
        @Option(name: .customLong("received-by"), help: "Who took it, as they are described (- reads it from standard input, out of the shell's history).")
        var receivedBy: String?
        @Option(help: "Local date and time at the mission (default: the gathering's start).")
        var at: String?
        @Option(help: "earlier or later: which one, when the time happens twice as clocks go back.")
        var fold: Fold?
        @Option(help: "The version delivered (default: the current one).")
        var version: Int?
        @Option(help: "What happened (- reads it from standard input, out of the shell's history).")
        var notes: String?
        @OptionGroup var options: CommandOptions

        func command() -> (VigilCommand, String) {
            let command = AttemptDelivery(
                petitionId: id, deliveryId: delivery, missionId: mission, gatheringId: gathering, version: version,
                outcome: outcome, receivedBy: receivedBy, localTime: at, fold: fold, notes: notes)
            return (.petition(.deliver(command)), "recorded delivery \(delivery) of \(id)")
        }
    }
}

/// Reading a text from a file given on the command line.
enum TextFile {
    /// The file's text; an error naming the option when it cannot be read or is not UTF-8.
    static func read(_ path: String, option: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLI.Failure(message: "\(option): cannot read \(path)", code: .invalidInput)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLI.Failure(message: "\(option): \(path) is not valid UTF-8 text; save it as UTF-8", code: .invalidInput)
        }
        return text
    }
}

extension PetitionCommandGroup {
    struct Signers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export, as CSV, the signers of a petition who agreed to hear back: for organisers only.",
            discussion: """
                Opens the vault: needs the organiser role and the master key (VIGIL_MASTER_KEY_FILE). The file is
                made with mode 0600 and never overwrites one; it holds people's names and addresses, so keep it
                as you would the key, and delete it when the mailing is done.
                Example: vigil petition signers stop-repatriation-2024 --consenting --out consenting.csv
                """)

        @Argument(help: "The petition's id.")
        var id: String
        @Flag(help: "Only those who agreed to hear back (the only export there is; say it to be sure).")
        var consenting = false
        @Option(help: "The CSV file to write (made with mode 0600; never overwritten).")
        var out: String

        func validate() throws {
            guard consenting else { throw ValidationError("only signers who agreed to hear back can be exported: add --consenting") }
        }

        func run() throws {
            try CLI.run {
                let signers = try VigilService().consentingSigners(id)
                var text = "email,name,country\n"
                for signer in signers {
                    text += [signer.email ?? "", signer.name ?? "", signer.country ?? ""].map(Output.csvField).joined(separator: ",") + "\n"
                }
                let fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard fd >= 0 else {
                    let reason = String(cString: strerror(errno))
                    throw CLI.Failure(message: "\(out) could not be made (\(reason)); choose a new file: it is never overwritten", code: .invalidInput)
                }
                let written = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
                written.write(Data(text.utf8))
                print("wrote \(signers.count) consenting signers of \(id) to \(out)")
            }
        }
    }
}
