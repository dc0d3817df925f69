import EventStore
import Foundation
import PostgresClient
import Testing
import VigilTestSupport

/// One line of Fixtures/bad-inputs.tsv.
struct BadInput: Sendable, CustomTestStringConvertible {
    var exit: Int32
    var message: String
    var arguments: [String]
    var line: Int

    var testDescription: String { "line \(line): vigil \(arguments.joined(separator: " ").prefix(90))" }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Files too large to keep in the repository, made once per run: a 1 MiB text.
    static let scratch: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bad-inputs-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? String(repeating: "x", count: 1 << 20).write(to: folder.appendingPathComponent("big.txt"), atomically: true, encoding: .utf8)
        return folder
    }()

    /// The cases: exit code, expected message, then the arguments; `_` in an argument is a space.
    static func load() -> [BadInput] {
        guard let text = try? String(contentsOf: fixtures.appendingPathComponent("bad-inputs.tsv"), encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").enumerated().compactMap { index, line in
            guard !line.hasPrefix("#") else { return nil }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3, let exit = Int32(fields[0]) else { return nil }
            let arguments = fields.dropFirst(2).map {
                $0.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "{fixtures}", with: fixtures.path)
                    .replacingOccurrences(of: "{tmp}", with: scratch.path)
            }
            return BadInput(exit: exit, message: fields[1], arguments: Array(arguments), line: index + 1)
        }
    }
}

/// One database with the fixture loaded, shared by every case (each case appends nothing, or fails).
enum BadInputWorld {
    static let database: Result<String, TestFailure> = {
        do {
            let database = try TestDatabase.create("badinput")
            let load = try VigilBinary.run(["seed", "load", "--dir", BadInput.fixtures.path], database: database)
            guard load.status == 0 else { return .failure(TestFailure("the fixture did not load: \(load.stderr)")) }
            return .success(database)
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()
}

@Suite("Bad input through the CLI: a clear message, its exit code, and nothing appended")
struct BadInputTests {
    @Test("the data file holds at least 200 cases")
    func enoughCases() {
        #expect(BadInput.load().count >= 200)
    }

    @Test("each case", arguments: BadInput.load())
    func badInput(_ input: BadInput) throws {
        let database = try BadInputWorld.database.get()
        let store = EventStore(connection: try TestDatabase.connect(database))
        let before = try store.eventCount()
        let run = try VigilBinary.run(input.arguments, database: database)
        #expect(run.status == input.exit, "exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stderr.contains(input.message), "stderr was: \(run.stderr)")
        #expect(run.stderr.hasPrefix("vigil: "))
        #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(try store.eventCount() == before)
    }
}
