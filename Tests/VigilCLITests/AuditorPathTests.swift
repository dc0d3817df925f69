import Foundation
import Testing
import VigilTestSupport

/// The independent auditor's path through the CLI: a key, an anchor of the sample data, an export, and
/// verification of the export against the anchor where no database can be reached.
@Suite("An auditor anchors, exports, and verifies with no database")
struct AuditorPathTests {
    @Test("anchor and export the sample data; the export verifies against the anchor with no database; a changed byte does not")
    func offline() throws {
        let database = try TestDatabase.create("auditor")
        #expect(try VigilBinary.run(["seed", "load", "--dir", BadInput.fixtures.path], database: database).status == 0)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-auditor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("anchor.key").path
        let anchor = folder.appendingPathComponent("anchor.json").path
        let export = folder.appendingPathComponent("log.ndjson").path

        let keygen = try VigilBinary.run(["audit", "keygen", "--out", key], database: database)
        #expect(keygen.status == 0, "\(keygen.stderr)")
        #expect(try VigilBinary.run(["audit", "keygen", "--out", key], database: database).status == 3)  // never overwritten
        let anchored = try VigilBinary.run(["audit", "anchor", "--key", key, "--out", anchor], database: database)
        #expect(anchored.status == 0, "\(anchored.stderr)")
        #expect(try VigilBinary.run(["audit", "export", "--out", export], database: database).status == 0)
        // The log grows after the anchor: it still extends it.
        #expect(try VigilBinary.run(
            ["mission", "register", "prc-later", "--name", "X", "--sending-state", "CN", "--kind", "embassy", "--city", "W",
             "--country", "US", "--zone", "America/New_York"], database: database).status == 0)
        let online = try VigilBinary.run(["audit", "verify", "--anchor", anchor, "--trusted-key", key + ".pub"], database: database)
        #expect(online.status == 0, "\(online.stdout)\(online.stderr)")
        #expect(online.stdout.contains("the log extends the anchor"))

        // No database anywhere: the export and the anchor are enough.
        let nowhere = ["VIGIL_DATABASE_URL": "host=/nonexistent/socket-dir dbname=none", "PGHOST": "/nonexistent/socket-dir"]
        let offline = try VigilBinary.run(
            ["audit", "verify", "--file", export, "--anchor", anchor, "--trusted-key", key + ".pub"], database: database,
            environment: nowhere)
        #expect(offline.status == 0, "\(offline.stdout)\(offline.stderr)")
        #expect(offline.stdout.contains("extends the anchor") && offline.stdout.contains("signed by the trusted key"))

        // The second verifier, in Python and OpenSSL alone, agrees.
        #expect(try SecondVerifier.run(export, anchor).status == 0)

        // One changed byte in one event's text: named by its line, exit 8.
        var lines = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try #require(lines.firstIndex { $0.contains("\\\"kind\\\": \\\"embassy\\\"") })
        lines[index] = lines[index].replacingOccurrences(of: "\\\"kind\\\": \\\"embassy\\\"", with: "\\\"kind\\\": \\\"consulate\\\"")
        try lines.joined(separator: "\n").write(toFile: export, atomically: true, encoding: .utf8)
        let tampered = try VigilBinary.run(["audit", "verify", "--file", export, "--anchor", anchor], database: database, environment: nowhere)
        #expect(tampered.status == 8, "\(tampered.stdout)\(tampered.stderr)")
        #expect(tampered.stdout.contains("line \(index + 1)"), "\(tampered.stdout)")
        let python = try SecondVerifier.run(export, anchor)
        #expect(python.status == 1 && python.output.contains("line \(index + 1)"), "\(python.output)")
    }
}
