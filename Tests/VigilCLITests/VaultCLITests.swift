import Foundation
import PostgresClient
import Testing
import VigilTestSupport

/// The vault's commands as a user runs them: every bad input is a clear error with its exit code, and
/// nothing is appended to the log or half-written in the vault.
@Suite("The vault from the command line: bad input appends and seals nothing")
struct VaultCLITests {
    func counts(_ database: String) throws -> [Int] {
        let owner = try TestDatabase.connect(database)
        return try ["vigil.events", "vault.subjects", "vault.signatures"].map {
            try owner.query("SELECT count(*) AS n FROM \(unescaped: $0)")[0].int("n")
        }
    }

    func file(_ bytes: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vault-cli-\(UUID()).csv")
        try bytes.write(to: url)
        return url
    }

    @Test("bad identities, bad files, a missing or wrong master key, an unknown person: each refused with its code")
    func badInput() throws {
        let database = try openPetition("bad-vault", in: "vault_bad")
        #expect(try VigilBinary.run(["petition", "sign", "bad-vault", "--email", "kept@example.org"], database: database).status == 0)
        let before = try counts(database)
        var files: [URL] = []
        defer { for f in files { try? FileManager.default.removeItem(at: f) } }
        func importing(_ bytes: Data) throws -> VigilBinary.Run {
            let url = try file(bytes)
            files.append(url)
            return try VigilBinary.run(["petition", "import", "bad-vault", "--file", url.path], database: database)
        }
        let cases: [(String, VigilBinary.Run, Int32, String)] = [
            ("not an e-mail", try VigilBinary.run(["petition", "sign", "bad-vault", "--email", "not-an-address"], database: database), 3, "e-mail"),
            ("a name without a country", try VigilBinary.run(["petition", "sign", "bad-vault", "--name", "Kim"], database: database), 64, "--country"),
            ("a name with a bad country", try VigilBinary.run(["petition", "sign", "bad-vault", "--name", "Kim", "--country", "XX"], database: database), 3, "country"),
            ("an empty file", try importing(Data()), 3, "empty"),
            ("a binary file", try importing(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF, 0xFE])), 3, "UTF-8"),
            ("a million-character field", try importing(Data(("email\n\"" + String(repeating: "a", count: 1_000_000) + "@example.org\"\n").utf8)), 3, "longer than"),
            ("an unclosed quote", try importing(Data("email\nok@example.org\n\"never@closed.org\n".utf8)), 3, "never closed"),
            ("a bad consent", try importing(Data("email,consent\nok@example.org,perhaps\n".utf8)), 3, "yes or no"),
            ("a bad row after good ones", try importing(Data("email\na@example.org\nb@example.org\nnot-an-email\n".utf8)), 3, "row 4"),
            ("no master key", try VigilBinary.run(
                ["petition", "sign", "bad-vault", "--email", "new@example.org"], database: database,
                launch: VigilBinary.Launch(unset: ["VIGIL_MASTER_KEY", "VIGIL_MASTER_KEY_FILE"])), 10, "VIGIL_MASTER_KEY_FILE"),
            ("the wrong master key", try VigilBinary.run(
                ["petition", "sign", "bad-vault", "--email", "new@example.org"], database: database,
                environment: ["VIGIL_MASTER_KEY": Data(repeating: 1, count: 32).base64EncodedString()]), 10, "not the one the vault was sealed with"),
            ("a malformed master key", try VigilBinary.run(
                ["petition", "sign", "bad-vault", "--email", "new@example.org"], database: database,
                environment: ["VIGIL_MASTER_KEY": "c2hvcnQ="]), 10, "32 bytes"),
            ("an unknown person", try VigilBinary.run(["person", "erase"], database: database, input: "nobody@example.org\n"), 4, "nobody with that identity"),
            ("an unknown subject", try VigilBinary.run(["person", "erase", "--subject", UUID().uuidString], database: database), 4, "not in the vault"),
            ("a subject that is no id", try VigilBinary.run(["person", "erase", "--subject", "kim"], database: database), 3, "not a subject id"),
            ("nothing on standard input", try VigilBinary.run(["person", "erase"], database: database, input: ""), 3, "standard input is empty"),
            ("the same person again", try VigilBinary.run(["petition", "sign", "bad-vault", "--email", "KEPT@example.org"], database: database), 6, "already signed"),
        ]
        for (what, run, code, words) in cases {
            #expect(run.status == code, "\(what): exit \(run.status): \(run.stderr)")
            #expect(run.stderr.contains(words), "\(what): \(run.stderr)")
            #expect(!run.stderr.contains("nobody@example.org") && !run.stderr.contains("c2hvcnQ="), "\(what) echoed its input: \(run.stderr)")
        }
        #expect(try counts(database) == before)
    }

    @Test("keys init, status, rotate; person erase from standard input; the consenting signers' file is private")
    func keysAndErasure() throws {
        let database = try openPetition("keys-vault", in: "vault_keys")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vault-keys-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyPath = folder.appendingPathComponent("master.key").path
        let withFile = ["VIGIL_MASTER_KEY_FILE": keyPath]
        let unsetKey = VigilBinary.Launch(unset: ["VIGIL_MASTER_KEY"])
        let made = try VigilBinary.run(["keys", "init", "--out", keyPath], database: database)
        #expect(made.status == 0)
        #expect(try VigilBinary.run(["keys", "init", "--out", keyPath], database: database).status == 3)
        for (email, consent) in [("yes@example.org", true), ("no@example.org", false)] {
            let run = try VigilBinary.run(
                ["petition", "sign", "keys-vault", "--email", email, "--country", "KR"] + (consent ? ["--consent"] : []), database: database,
                environment: withFile, launch: unsetKey)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let out = folder.appendingPathComponent("consenting.csv").path
        let exported = try VigilBinary.run(
            ["petition", "signers", "keys-vault", "--consenting", "--out", out], database: database, environment: withFile, launch: unsetKey)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "email,name,country\nyes@example.org,,KR\n")
        #expect(try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int == 0o600)
        #expect(!exported.stdout.contains("yes@example.org"))

        let newKey = folder.appendingPathComponent("new.key").path
        #expect(try VigilBinary.run(["keys", "init", "--out", newKey], database: database).status == 0)
        let rotated = try VigilBinary.run(["keys", "rotate", "--to", newKey], database: database, environment: withFile, launch: unsetKey)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stdout.contains("re-wrapped 3 keys"))
        let stale = try VigilBinary.run(["keys", "status"], database: database, environment: withFile, launch: unsetKey)
        #expect(stale.status == 10)
        let erased = try VigilBinary.run(
            ["person", "erase"], database: database, environment: ["VIGIL_MASTER_KEY_FILE": newKey], input: "YES@example.org\n", launch: unsetKey)
        #expect(erased.status == 0, "\(erased.stderr)")
        #expect(erased.stdout.contains("erased signer"))
        #expect(!erased.stdout.contains("example.org") && !erased.stderr.contains("example.org"))
        #expect(try VigilBinary.run(["audit", "verify"], database: database).status == 0)
    }
}
