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

    /// The directory holding the migrations: `VIGIL_SCHEMA_DIR`, or the `schema/` folder of the project
    /// the running binary was built in.
    public static func defaultDirectory() throws -> URL {
        try ProjectFolder.locate(environment: "VIGIL_SCHEMA_DIR", folder: "schema")
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

    /// Applies the migrations not yet applied; returns the names of those it applied.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [String] {
        let pending = try migrations()
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

/// Finds a folder of the project (such as `schema/` or `seeds/`) for a binary that runs from `.build/`.
public enum ProjectFolder {
    /// The folder named by the environment variable, else `folder` in the first parent of the running
    /// binary (or of the working directory) that has one.
    public static func locate(environment variable: String, folder: String) throws -> URL {
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let starts = [
            URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
                .deletingLastPathComponent(),
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        ]
        for start in starts {
            var dir = start
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent(folder)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
                    isDirectory.boolValue, FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path)
                {
                    return candidate
                }
                dir = dir.deletingLastPathComponent()
            }
        }
        throw PostgresError(
            kind: .client,
            message: "cannot find the project's \(folder)/ folder; set \(variable) to its path")
    }
}
