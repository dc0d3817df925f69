import Foundation
import PostgresClient

/// Applies the numbered SQL files of `schema/` in order, each in its own transaction, and records them.
///
/// An advisory lock serialises runners, so two that start together apply each file once. A file that
/// was applied and then changed is an error, not something to apply again.
public struct Migrator {
    /// One migration file.
    public struct Migration: Sendable, Equatable {
        public var version: String
        public var name: String
        public var sql: String
        public var checksum: String
    }

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The directory holding the migrations: `explicit` when given, else `VIGIL_SCHEMA_DIR`, else where
    /// the binary was installed (`<bindir>/../share/vigil/schema`), else the `schema/` of the source tree
    /// it was built from. Never the working directory: `vigil` run inside someone else's project must not
    /// apply that project's SQL.
    public static func defaultDirectory(explicit: String? = nil) throws -> URL {
        try ProjectFolder.locate(explicit: explicit, environment: "VIGIL_SCHEMA_DIR", folder: "schema")
    }

    /// The migrations on disk, in order.
    public func migrations() throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        return try files.map { file in
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let version = String(file.prefix { $0.isNumber })
            guard !version.isEmpty else {
                throw PostgresError(kind: .client, message: "migration \(file) does not start with its number")
            }
            return Migration(
                version: version, name: file, sql: sql, checksum: String(StableHash.fnv1a64(sql), radix: 16))
        }
    }

    /// Applies the migrations not yet applied (up to and including version `through`, when given: a
    /// test builds a log as an older Vigil left it); returns the names of those it applied.
    @discardableResult
    public func migrate(_ connection: Connection, through: String? = nil) throws -> [String] {
        let pending = try migrations().filter { through == nil || $0.version <= through! }
        // The log's text is hashed as UTF-8 (a command's event ids, 0037) and the migrations themselves
        // hold text no single-byte encoding has: another encoding is refused before anything is created.
        if let encoding = try connection.query("SELECT current_setting('server_encoding') AS e").first?.string("e"),
           encoding != "UTF8"
        {
            throw PostgresError(
                kind: .client,
                message: "the database's encoding is \(encoding), and Vigil needs UTF8: create the database with "
                    + "CREATE DATABASE … ENCODING 'UTF8' (TEMPLATE template0 if template1 is not UTF8)")
        }
        try connection.execute("SELECT pg_advisory_lock(7164955521)")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(7164955521)") }
        try connection.execute(
            """
            CREATE SCHEMA IF NOT EXISTS vigil;
            CREATE TABLE IF NOT EXISTS vigil.schema_migrations (
                version    text        PRIMARY KEY,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """)
        var applied: [String: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM vigil.schema_migrations") {
            applied[try row.string("version")] = try row.string("checksum")
        }
        var done: [String] = []
        for migration in pending {
            if let checksum = applied[migration.version] {
                guard checksum == migration.checksum else {
                    throw PostgresError(
                        kind: .client,
                        message: "migration \(migration.name) was changed after it was applied; "
                            + "add a new migration instead of editing an applied one")
                }
                continue
            }
            try connection.withTransaction {
                try connection.execute(migration.sql)
                try connection.query(
                    """
                    INSERT INTO vigil.schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """)
            }
            done.append(migration.name)
        }
        return done
    }

}

/// Finds a folder of the project (such as `schema/` or `seeds/`) that ships beside the binary.
///
/// Looked for, in order: the folder the user chose, the environment variable, the folder installed with
/// the binary (`<bindir>/../share/vigil/<folder>`, symbolic links to the binary followed), and the folder
/// in the source tree the binary was compiled from (known at compile time from `#filePath`). The working
/// directory is never searched: an installed `vigil` run inside another project's tree would otherwise
/// apply that tree's SQL.
public enum ProjectFolder {
    /// Where to look, besides what the user chose: the process's environment, the running binary, and
    /// the source tree the binary was built from.
    public struct Places: Sendable {
        /// The process's environment variables.
        public var environment: [String: String]
        /// The running binary, if known.
        public var executable: URL?
        /// The package root of the source tree the binary was built from.
        public var sourceTree: URL?

        /// Places as given (tests use this to stand for a binary installed elsewhere).
        public init(environment: [String: String], executable: URL?, sourceTree: URL?) {
            self.environment = environment
            self.executable = executable
            self.sourceTree = sourceTree
        }

        /// This process's: its environment, its binary, and the tree this file was compiled in.
        public static var current: Places {
            Places(environment: ProcessInfo.processInfo.environment, executable: runningExecutable(), sourceTree: sourceTree)
        }

        /// The package root this file was compiled in: Sources/EventStore/Migrator.swift, three folders up.
        static let sourceTree = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

        /// The running binary's own path (not argv[0], which may be a bare name found on PATH).
        static func runningExecutable() -> URL? {
            #if os(Linux)
                let link = "/proc/self/exe"
                if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: link) {
                    return URL(fileURLWithPath: path)
                }
            #endif
            return Bundle.main.executableURL
        }
    }

    /// The folder to use: `explicit` if given (it must exist), else the folder the environment variable
    /// names (it must exist), else `folder` installed with the binary, else in the source tree it was
    /// built from. Throws, saying what to set, when there is none.
    public static func locate(
        explicit: String? = nil, environment variable: String, folder: String, places: Places = .current
    ) throws -> URL {
        if let explicit, !explicit.isEmpty {
            return try existing(URL(fileURLWithPath: explicit), "the \(folder) folder given, \(explicit),")
        }
        if let path = places.environment[variable], !path.isEmpty {
            return try existing(URL(fileURLWithPath: path), "\(variable) names \(path), which")
        }
        var looked: [String] = []
        if let executable = places.executable {
            let installed = executable.resolvingSymlinksInPath().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("share/vigil/\(folder)").standardizedFileURL
            if isFolder(installed) { return installed }
            looked.append(installed.path)
        }
        if let root = places.sourceTree {
            let candidate = root.appendingPathComponent(folder)
            if isFolder(candidate), FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
                return candidate
            }
            looked.append(candidate.path)
        }
        throw PostgresError(
            kind: .client,
            message: "cannot find the \(folder)/ folder (looked in \(looked.isEmpty ? "no place" : looked.joined(separator: " and "))); "
                + "set \(variable) to the folder holding vigil's \(folder) files")
    }

    static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// `url` if it is a folder; else an error that starts with `what` ("…, which") and says so.
    static func existing(_ url: URL, _ what: String) throws -> URL {
        guard isFolder(url) else {
            throw PostgresError(kind: .client, message: "\(what) is not a folder; give the folder that holds the files")
        }
        return url
    }
}
