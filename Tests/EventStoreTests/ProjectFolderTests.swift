import EventStore
import Foundation
import PostgresClient
import Testing

/// Where `schema/` and `seeds/` come from, with no database: a made-up install and source tree.
@Suite("Project folders: chosen, named, installed or built from; never the working directory")
struct ProjectFolderTests {
    let root: URL
    /// `<root>/opt/bin/vigil`, installed with `<root>/opt/share/vigil/{schema,seeds}`.
    let installedBinary: URL
    /// `<root>/bare/bin/vigil`, with nothing installed beside it.
    let bareBinary: URL
    /// `<root>/src`, a package with `schema/` and `seeds/`.
    let sourceTree: URL

    init() throws {
        let files = FileManager.default
        root = files.temporaryDirectory.appendingPathComponent("vigil-project-folder-\(UUID().uuidString)")
        installedBinary = root.appendingPathComponent("opt/bin/vigil")
        bareBinary = root.appendingPathComponent("bare/bin/vigil")
        sourceTree = root.appendingPathComponent("src")
        for folder in ["opt/bin", "opt/share/vigil/schema", "opt/share/vigil/seeds", "bare/bin", "src/schema", "src/seeds", "chosen", "named"] {
            try files.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for binary in [installedBinary, bareBinary] { try Data("binary".utf8).write(to: binary) }
        try Data("// swift-tools-version:6.0\n".utf8).write(to: sourceTree.appendingPathComponent("Package.swift"))
    }

    func places(_ environment: [String: String] = [:], executable: URL?, sourceTree: URL?) -> ProjectFolder.Places {
        ProjectFolder.Places(environment: environment, executable: executable, sourceTree: sourceTree)
    }

    func find(_ places: ProjectFolder.Places, explicit: String? = nil, folder: String = "schema") throws -> String {
        try ProjectFolder.locate(explicit: explicit, environment: "VIGIL_SCHEMA_DIR", folder: folder, places: places).path
    }

    @Test("the folder chosen comes first, then the environment variable, then the install, then the source tree")
    func order() throws {
        let everything = places(["VIGIL_SCHEMA_DIR": root.appendingPathComponent("named").path], executable: installedBinary, sourceTree: sourceTree)
        #expect(try find(everything, explicit: root.appendingPathComponent("chosen").path) == root.appendingPathComponent("chosen").path)
        #expect(try find(everything) == root.appendingPathComponent("named").path)
        let noVariable = places(executable: installedBinary, sourceTree: sourceTree)
        #expect(try find(noVariable) == root.appendingPathComponent("opt/share/vigil/schema").path)
        #expect(try find(noVariable, folder: "seeds") == root.appendingPathComponent("opt/share/vigil/seeds").path)
        let notInstalled = places(executable: bareBinary, sourceTree: sourceTree)
        #expect(try find(notInstalled) == sourceTree.appendingPathComponent("schema").path)
        // An empty variable counts as not set.
        #expect(try find(places(["VIGIL_SCHEMA_DIR": ""], executable: bareBinary, sourceTree: sourceTree)) == sourceTree.appendingPathComponent("schema").path)
    }

    @Test("a binary reached through a symbolic link finds the folder installed beside the real one")
    func symbolicLink() throws {
        let link = root.appendingPathComponent("bare/bin/linked-vigil")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: installedBinary)
        #expect(try find(places(executable: link, sourceTree: nil)) == root.appendingPathComponent("opt/share/vigil/schema").path)
    }

    @Test("a source tree without Package.swift is not taken for the one the binary was built from")
    func sourceTreeNeedsPackage() throws {
        try FileManager.default.removeItem(at: sourceTree.appendingPathComponent("Package.swift"))
        #expect(throws: PostgresError.self) { try find(places(executable: bareBinary, sourceTree: sourceTree)) }
    }

    @Test("the working directory is never searched, even when it is a package with a schema/ folder")
    func notTheWorkingDirectory() throws {
        // This process's working directory is not changed (tests run in parallel); `Places` has no
        // working directory to give, and none of the places named here is one.
        let error = try #require(throws: PostgresError.self) { try find(places(executable: bareBinary, sourceTree: nil)) }
        #expect(error.message.contains("set VIGIL_SCHEMA_DIR to the folder holding vigil's schema files"))
        #expect(error.message.contains(root.appendingPathComponent("bare/share/vigil/schema").path))
        #expect(!error.message.contains(FileManager.default.currentDirectoryPath + "/schema"))
    }

    @Test("with nothing to go on, the error says where it looked and what to set")
    func nothingFound() throws {
        let error = try #require(throws: PostgresError.self) {
            try find(places(executable: bareBinary, sourceTree: root.appendingPathComponent("gone")))
        }
        #expect(error.message == "cannot find the schema/ folder (looked in \(root.path)/bare/share/vigil/schema and \(root.path)/gone/schema); "
            + "set VIGIL_SCHEMA_DIR to the folder holding vigil's schema files")
    }

    @Test("a folder chosen or named that does not exist is an error, not a fall back to another")
    func missingChoice() throws {
        let everything = places(["VIGIL_SCHEMA_DIR": "/nonexistent/named"], executable: installedBinary, sourceTree: sourceTree)
        let chosen = try #require(throws: PostgresError.self) { try find(everything, explicit: "/nonexistent/chosen") }
        #expect(chosen.message == "the schema folder given, /nonexistent/chosen, is not a folder; give the folder that holds the files")
        let named = try #require(throws: PostgresError.self) { try find(everything) }
        #expect(named.message == "VIGIL_SCHEMA_DIR names /nonexistent/named, which is not a folder; give the folder that holds the files")
    }

    @Test("this build's own places: its binary, and the source tree holding this test's package")
    func current() throws {
        let current = ProjectFolder.Places.current
        #expect(current.executable != nil)
        let tree = try #require(current.sourceTree)
        let thisPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        #expect(tree.standardizedFileURL.path == thisPackage.standardizedFileURL.path)
    }
}
