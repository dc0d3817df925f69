import EventStore
import Foundation
import PostgresClient
import Synchronization

/// Fresh, migrated databases for tests, on the server libpq's PG* variables name (scripts/test points
/// them at the private cluster). Each suite gets its own database, so suites that count the whole log
/// can run in parallel; scripts/test drops them all afterwards.
public enum TestDatabase {
    /// The project's folder, found from this file's path.
    public static let projectFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let schemaDirectory = projectFolder.appendingPathComponent("schema")

    static let prefix = ProcessInfo.processInfo.environment["VIGIL_TEST_DATABASE_PREFIX"] ?? "vigil_test_local"

    /// The vault's master key for this test run (scripts/test's `VIGIL_MASTER_KEY`, else 32 random bytes,
    /// base64): every `vigil` the tests run gets it unless a test takes it away, and so does every service
    /// the tests make in this process.
    public static let masterKey: String = {
        if let given = ProcessInfo.processInfo.environment["VIGIL_MASTER_KEY"], !given.isEmpty { return given }
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }()

    /// Creates a database named after `label`, applies the migrations (up to and including `through`,
    /// when given: a database as an older Vigil left it), and returns its name.
    public static func create(_ label: String, through: String? = nil) throws -> String {
        let name = "\(prefix)_\(label)_\(UInt32.random(in: 0..<UInt32.max))".lowercased()
        let admin = try Connection(conninfo: "dbname=postgres")
        try admin.execute("CREATE DATABASE \(try admin.quoteIdentifier(name))")
        let connection = try connect(name)
        try Migrator(directory: schemaDirectory).migrate(connection, through: through)
        return name
    }

    /// A new connection to `database` as the login user (the owner, on the private cluster).
    public static func connect(_ database: String) throws -> Connection {
        try Connection(conninfo: "dbname=\(database)")
    }

    /// A new connection to `database` acting as `role` (vigil_writer, vigil_projector, vigil_auditor,
    /// vigil_reporter). It is the owner's connection after SET ROLE: `RESET ROLE` gives the owner back,
    /// so a test of what a login of that role cannot do uses `Login` instead.
    public static func connect(_ database: String, as role: String) throws -> Connection {
        let connection = try connect(database)
        try connection.execute("SET ROLE \(try connection.quoteIdentifier(role))")
        return connection
    }
}

/// A real login for tests: a role that can log in (the private cluster trusts local socket logins) and
/// is a member of one group role, as an organiser's login is. Roles are cluster-wide, so the name
/// carries the database's; `drop()` removes it.
public struct Login: Sendable {
    /// The login's role name.
    public let name: String
    let database: String

    /// Creates a login named after `database` and `role`, a member of `role` only.
    public init(_ database: String, member role: String) throws {
        let owner = try TestDatabase.connect(database)
        name = "\(database)_\(role)_login"
        self.database = database
        try owner.execute(
            "CREATE ROLE \(try owner.quoteIdentifier(name)) LOGIN IN ROLE \(try owner.quoteIdentifier(role))")
    }

    /// A new connection to the database as this login.
    public func connect() throws -> Connection {
        try Connection(conninfo: "dbname=\(database) user=\(name)")
    }

    /// Drops the login (its sessions must be closed first).
    public func drop() throws {
        let owner = try TestDatabase.connect(database)
        try owner.execute("DROP ROLE IF EXISTS \(try owner.quoteIdentifier(name))")
    }
}

/// The built `vigil` binary, run as a user would run it.
public enum VigilBinary {
    public static var url: URL {
        if let path = ProcessInfo.processInfo.environment["VIGIL_BIN"] { return URL(fileURLWithPath: path) }
        return TestDatabase.projectFolder.appendingPathComponent(".build/debug/vigil")
    }

    /// What one run printed and how it ended.
    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// Where and how a run starts, when not as usual: another copy of the binary, another working
    /// directory, variables removed from the environment.
    public struct Launch: Sendable {
        /// The binary to run instead of the built one (a copy installed elsewhere, say).
        public var executable: URL?
        /// The working directory, instead of the test's.
        public var currentDirectory: URL?
        /// Variables removed from the environment the run would otherwise get (after `environment`).
        public var unset: [String]

        /// The usual launch, with what is given changed.
        public init(executable: URL? = nil, currentDirectory: URL? = nil, unset: [String] = []) {
            self.executable = executable
            self.currentDirectory = currentDirectory
            self.unset = unset
        }
    }

    /// A `vigil ARGS…` process against `database`, not started: the test's environment without a URL.
    static func process(
        _ arguments: [String], database: String, environment extra: [String: String] = [:], launch: Launch = Launch()
    ) -> Process {
        let process = Process()
        process.executableURL = launch.executable ?? url
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PGDATABASE"] = database
        environment["VIGIL_SCHEMA_DIR"] = TestDatabase.schemaDirectory.path
        environment["VIGIL_MASTER_KEY"] = TestDatabase.masterKey
        environment.removeValue(forKey: "VIGIL_MASTER_KEY_FILE")
        environment.removeValue(forKey: "VIGIL_DATABASE_URL")
        for (key, value) in extra { environment[key] = value }
        for key in launch.unset { environment.removeValue(forKey: key) }
        process.environment = environment
        if let directory = launch.currentDirectory { process.currentDirectoryURL = directory }
        process.standardInput = FileHandle.nullDevice
        return process
    }

    /// Starts `vigil ARGS…` against `database` without waiting; its output is discarded.
    public static func start(_ arguments: [String], database: String) throws -> Process {
        let process = process(arguments, database: database)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits (up to `seconds`) until `projections status` shows every projection at the log's end. A
    /// command's own catch-up gives up after 10 s when another test's transaction, in any database,
    /// holds the horizon back, so a test that reads reports right after its commands has a follower
    /// (`vigil projections run`) finish the work first, or relies on one already running.
    public static func projectionsCaughtUp(database: String, seconds: Int = 60, follow: Bool = true) throws -> Bool {
        let follower = follow ? try start(["projections", "run"], database: database) : nil
        defer {
            if let follower, follower.isRunning {
                follower.terminate()
                follower.waitUntilExit()
            }
        }
        for _ in 0..<(seconds * 20) {
            let status = try json(["projections", "status"], database: database) as? [[String: Any]] ?? []
            if !status.isEmpty, status.allSatisfy({ ($0["eventsBehind"] as? Int) == 0 }) { return true }
            usleep(50_000)
        }
        return false
    }

    /// Runs `vigil ARGS…` against `database` and waits for it.
    public static func run(_ arguments: [String], database: String, environment extra: [String: String] = [:],
                           input: String? = nil, launch: Launch = Launch()) throws -> Run {
        let process = process(arguments, database: database, environment: extra, launch: launch)
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        if input != nil { process.standardInput = inPipe }
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try inPipe.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a full pipe cannot stall the child.
        let outData = Locked(Data())
        let outDone = DispatchSemaphore(value: 0)
        Thread {
            outData.withLock { $0 = out.fileHandleForReading.readDataToEndOfFile() }
            outDone.signal()
        }.start()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        outDone.wait()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: outData.withLock { String(decoding: $0, as: UTF8.self) },
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs `vigil ARGS… --format json` and parses what it printed.
    public static func json(_ arguments: [String], database: String, environment extra: [String: String] = [:]) throws -> Any {
        let run = try run(arguments + ["--format", "json"], database: database, environment: extra)
        guard run.status == 0 else {
            throw TestFailure("vigil \(arguments.joined(separator: " ")) exited \(run.status): \(run.stderr)")
        }
        return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
    }
}

/// A failure in a test's own set-up, with a message.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body(i)` for i in 0..<count, each on its own thread, and rethrows the first error.
/// (Blocking libpq calls would starve Swift's cooperative pool, which has one thread per core.)
public func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
    let errors = Locked<[String]>([])
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            defer { group.leave() }
            do { try body(i) } catch { errors.withLock { $0.append("thread \(i): \(error)") } }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
    if let first = errors.withLock({ $0.first }) { throw TestFailure(first) }
}

/// A value shared between threads behind a lock.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    public init(_ value: Value) { mutex = Mutex(value) }
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R { try mutex.withLock { try body(&$0) } }
    public var value: Value { mutex.withLock { $0 } }
}

/// Follows the log in commit order from the start and returns the positions of the events `keep` selects:
/// until it has `expected` of them, then one more read (so an event seen twice would show), or until 30 s
/// after `writersDone` first says so. Not "until the log looks idle": visibility waits for the oldest
/// transaction in the whole cluster, and a test running beside this one can hold it back for longer than
/// a few idle polls (which once stopped a follower 12 events short).
public func followLog(_ store: EventStore, expecting expected: Int, writersDone: () -> Bool,
                      keep: (RecordedEvent) -> Bool = { _ in true }) throws -> [Int64] {
    var seen: [Int64] = []
    var checkpoint = Checkpoint.start
    var doneSince: Date?
    while seen.count < expected {
        let batch = try store.readAll(after: checkpoint, limit: 1_000)
        seen += batch.filter(keep).map(\.position)
        if let last = batch.last { checkpoint = last.checkpoint }
        guard batch.isEmpty else { continue }
        if writersDone() {
            let since = doneSince ?? Date()
            doneSince = since
            if Date().timeIntervalSince(since) > 30 { break }
        }
        usleep(2_000)
    }
    seen += try store.readAll(after: checkpoint, limit: 1_000).filter(keep).map(\.position)
    return seen
}

/// Runs a program to its end, its stderr discarded, and returns its exit status and stdout: pg_dump,
/// chromium, anything a test drives besides `vigil`.
public func runProgram(_ path: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, stdout: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if !extra.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 } }
    // Output goes to a file, read once the program has exited: a server the program started (a script's
    // pg_ctl) may hold a copy of a pipe for its whole life, and reading a pipe to its end would wait as long.
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-program-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: file.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: file) }
    let out = try FileHandle(forWritingTo: file)
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close()
    return (process.terminationStatus, String(decoding: try Data(contentsOf: file), as: UTF8.self))
}

extension VigilBinary {
    /// Starts a long-running `vigil ARGS…` (a server, a follower) against `database` and reads what it
    /// writes on stdout (or stderr) until `ready` holds; returns the process, still running, and that text.
    public static func startReading(
        _ arguments: [String], database: String, stderr: Bool = false, until ready: (String) -> Bool
    ) throws -> (Process, String) {
        let process = process(arguments, database: database)
        let pipe = Pipe()
        if stderr {
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
        } else {
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        var text = ""
        while !ready(text) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { throw TestFailure("vigil \(arguments.joined(separator: " ")) ended before it was ready: \(text)") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return (process, text)
    }
}

/// Tests that disturb every other test on the cluster while they run (a transaction id held open holds
/// back every database's projections, since the log is read in commit order and the server cannot tell
/// where an open transaction will write). `swift test` skips them unless `VIGIL_TEST_ALONE=1`;
/// scripts/test runs them so, by themselves, after the rest: `VIGIL_TEST_ALONE=1 scripts/test --filter NAME`.
public enum Alone {
    public static let running = ProcessInfo.processInfo.environment["VIGIL_TEST_ALONE"] == "1"
}
