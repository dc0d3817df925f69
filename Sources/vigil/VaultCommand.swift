import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// `vigil keys`: the vault's master key, kept outside the database.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make, show and rotate the vault's master key (it never enters the database).",
        discussion: """
            The vault seals what Vigil keeps about people (signers' identities, organisers' notes) under a
            data key per subject, each wrapped by the master key. Only commands that seal or open need it:
            set VIGIL_MASTER_KEY_FILE to the key file, or VIGIL_MASTER_KEY to the key in base64.
            """,
        subcommands: [Init.self, Status.self, Rotate.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new master key file (mode 0600; an existing file is never overwritten).",
            discussion: "Example: vigil keys init --out ~/.config/vigil/master.key")

        @Option(help: "Where to write the key (default: $VIGIL_MASTER_KEY_FILE).")
        var out: String?

        func run() throws {
            try CLI.run {
                guard let path = out ?? ProcessInfo.processInfo.environment["VIGIL_MASTER_KEY_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) else {
                    throw CLI.Failure(message: "say where to write the key: --out FILE, or set VIGIL_MASTER_KEY_FILE", code: .invalidInput)
                }
                let id = try VigilService.makeMasterKey(at: path)
                print("made master key \(id) in \(path); keep a copy somewhere safe: without it the vault cannot be opened")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Which master key the vault is sealed with, and which is given.")

        @Option(help: "table or json.")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let status = try VigilService().vaultKeyStatus()
                if format == .json { return Output.printJSON(try Output.jsonValue(status)) }
                print("vault sealed with: \(status.vaultKeyId ?? "no key yet (nothing sealed)")")
                print("key given:         \(status.givenKeyId ?? "none (set VIGIL_MASTER_KEY_FILE)")")
                print("subjects: \(status.subjects), petition keys: \(status.petitionKeys)")
                if let vault = status.vaultKeyId, let given = status.givenKeyId, vault != given {
                    throw CLI.Failure(message: "the key given is not the vault's", code: .keyMissing)
                }
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every data key from the current master key to a new one, without touching the data.",
            discussion: """
                Make the new key first, then rotate with the current key given as usual:
                  vigil keys init --out new.key
                  vigil keys rotate --to new.key
                Then point VIGIL_MASTER_KEY_FILE at new.key and destroy the old key: backups and WAL that still
                hold the old wrapped keys can no longer be opened. Running it again after it finished does nothing.
                """)

        @Option(help: "The new key file (made by vigil keys init).")
        var to: String

        func run() throws {
            try CLI.run {
                let started = Date()
                var last = Date.distantPast
                let outcome = try VigilService().rotateMasterKey(to: to) { done in
                    guard Date().timeIntervalSince(last) >= 1 else { return }
                    last = Date()
                    FileHandle.standardError.write(Data("keys: \(done) re-wrapped, \(Int(Date().timeIntervalSince(started))) s\n".utf8))
                }
                if outcome.rewrapped == 0 && outcome.from != outcome.to {
                    print("the vault is sealed with \(outcome.to) already; nothing to re-wrap")
                } else {
                    print("re-wrapped \(outcome.rewrapped) keys from \(outcome.from) to \(outcome.to); set VIGIL_MASTER_KEY_FILE=\(to) and destroy the old key")
                }
            }
        }
    }
}

/// `vigil person`: what the vault holds about one person.
struct PersonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "person",
        abstract: "Erase a person from the vault.",
        subcommands: [Erase.self]
    )

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a person (every petition they signed) or one subject: the vault forgets them for good.",
            discussion: """
                The identity is read from the first line of standard input, never from the command line (where
                others see it in the process list and the shell keeps it): an e-mail address, or with --country
                a name. Or give --subject ID. Each subject's sealed record, data key and blind index are deleted,
                and an event records that an erasure happened, by subject id only. Reports' figures stay as they
                were, and the log still verifies.
                Example: echo signer@example.org | vigil person erase
                Example: echo 'Kim Young-hee' | vigil person erase --country KR
                Example: vigil person erase --subject 6f1c2b9e-0d7a-4f0e-9a51-3d1f0c8e2a77
                """)

        @Option(help: "One subject id to erase, as the log's events hold it.")
        var subject: String?
        @Option(help: "The country the person signed with: the line on standard input is then a name.")
        var country: String?
        @OptionGroup var options: CommandOptions

        func validate() throws {
            if subject != nil && country != nil { throw ValidationError("give --subject, or the identity on standard input, not both") }
        }

        func run() throws {
            try CLI.run {
                let target: ErasureTarget
                if let subject {
                    target = .subject(subject)
                } else {
                    let line = StandardInput.identityLine(
                        prompt: "type the person's \(country == nil ? "e-mail address" : "name"), then press Enter (or give --subject ID instead)")
                    guard !line.trimmingCharacters(in: .whitespaces).isEmpty else {
                        throw CLI.Failure(
                            message: "standard input is empty: give the person's e-mail address (or name, with --country) on its first line, or --subject ID",
                            code: .invalidInput)
                    }
                    target = country.map { .identity(.name(line, country: $0)) } ?? .identity(.email(line))
                }
                let outcome = try VigilService().erase(target, options.request)
                if options.format == .json {
                    return Output.printJSON(
                        outcome.erased.map { ["subjectId": $0.subjectId, "kind": $0.kind.rawValue, "position": $0.position.map { $0 as Any } ?? NSNull()] })
                }
                for erased in outcome.erased {
                    if let position = erased.position {
                        print("erased \(erased.kind.rawValue) \(erased.subjectId) (event at position \(position))")
                    } else {
                        print("\(erased.kind.rawValue) \(erased.subjectId) was erased already")
                    }
                }
            }
        }
    }
}
