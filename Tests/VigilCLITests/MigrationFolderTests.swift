import EventStore
import Foundation
import PostgresClient
import Testing
import VigilTestSupport

/// `vigil db migrate` run as an installed binary would be: a copy of the built binary outside this tree,
/// started in a folder that looks like someone else's project.
@Suite("vigil db migrate: the schema folder never comes from the working directory")
struct MigrationFolderTests {
    let root: URL
    /// A copy of the built binary, `<root>/opt/bin/vigil`, with no `share/` beside it.
    let installed: URL
    /// `<root>/elsewhere`: a `Package.swift` and a `schema/` holding a bogus migration.
    let elsewhere: URL

    init() throws {
        let files = FileManager.default
        root = files.temporaryDirectory.appendingPathComponent("vigil-migrate-cwd-\(UUID().uuidString)")
        installed = root.appendingPathComponent("opt/bin/vigil")
        elsewhere = root.appendingPathComponent("elsewhere")
        try files.createDirectory(at: installed.deletingLastPathComponent(), withIntermediateDirectories: true)
        try files.createDirectory(at: elsewhere.appendingPathComponent("schema"), withIntermediateDirectories: true)
        // A copy, not a link: a link would lead back to the binary's real place in this tree.
        try files.copyItem(at: VigilBinary.url, to: installed)
        try Data("// swift-tools-version:6.0\n".utf8).write(to: elsewhere.appendingPathComponent("Package.swift"))
        try Data("CREATE TABLE public.bogus_from_working_directory (x int);\n".utf8)
            .write(to: elsewhere.appendingPathComponent("schema/9999_bogus.sql"))
    }

    func cleanUp() { try? FileManager.default.removeItem(at: root) }

    func tableExists(_ name: String, in database: String) throws -> Bool {
        let rows = try TestDatabase.connect(database).query("SELECT to_regclass(\(name)) IS NOT NULL AS present")
        return try rows[0].bool("present")
    }

    func migrationRecorded(_ version: String, in database: String) throws -> Bool {
        try TestDatabase.connect(database).query(
            "SELECT count(*) AS n FROM vigil.schema_migrations WHERE version = \(version)")[0].int("n") > 0
    }

    @Test("run inside another project with no VIGIL_SCHEMA_DIR, it applies nothing from that project")
    func notFromWorkingDirectory() throws {
        defer { cleanUp() }
        let database = try TestDatabase.create("migrate_cwd")
        let run = try VigilBinary.run(
            ["db", "migrate"], database: database,
            launch: .init(executable: installed, currentDirectory: elsewhere, unset: ["VIGIL_SCHEMA_DIR"]))
        // The binary finds the schema of the tree it was built from, already applied.
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout == "schema is up to date\n")
        #expect(!run.stdout.contains("9999_bogus"))
        #expect(try !tableExists("public.bogus_from_working_directory", in: database))
        #expect(try !migrationRecorded("9999", in: database))
    }

    @Test("the folder installed beside the binary is used; --schema wins over VIGIL_SCHEMA_DIR")
    func installedAndChosen() throws {
        defer { cleanUp() }
        let files = FileManager.default
        let share = root.appendingPathComponent("opt/share/vigil/schema")
        try files.createDirectory(at: share.deletingLastPathComponent(), withIntermediateDirectories: true)
        try files.copyItem(at: TestDatabase.schemaDirectory, to: share)
        try Data("CREATE TABLE public.installed_marker (x int);\n".utf8).write(to: share.appendingPathComponent("9998_installed.sql"))

        let database = try TestDatabase.create("migrate_installed")
        let fromInstall = try VigilBinary.run(
            ["db", "migrate"], database: database,
            launch: .init(executable: installed, currentDirectory: elsewhere, unset: ["VIGIL_SCHEMA_DIR"]))
        #expect(fromInstall.status == 0, "stderr: \(fromInstall.stderr)")
        #expect(fromInstall.stdout == "applied 9998_installed.sql\n")
        #expect(try tableExists("public.installed_marker", in: database))
        #expect(try !tableExists("public.bogus_from_working_directory", in: database))

        // The folder chosen on the command line comes before the variable, which names the bogus one.
        let chosen = try VigilBinary.run(
            ["db", "migrate", "--schema", share.path], database: database,
            environment: ["VIGIL_SCHEMA_DIR": elsewhere.appendingPathComponent("schema").path],
            launch: .init(executable: installed, currentDirectory: elsewhere))
        #expect(chosen.status == 0, "stderr: \(chosen.stderr)")
        #expect(chosen.stdout == "schema is up to date\n")
        #expect(try !migrationRecorded("9999", in: database))

        let missing = try VigilBinary.run(["db", "migrate", "--schema", root.appendingPathComponent("none").path], database: database)
        #expect(missing.status == 3)
        #expect(missing.stderr == "vigil: the schema folder given, \(root.path)/none, is not a folder; give the folder that holds the files\n")
    }
}
