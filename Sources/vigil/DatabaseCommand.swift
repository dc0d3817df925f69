import ArgumentParser
import EventStore
import Foundation
import PostgresClient

/// `vigil db …`: the database's schema.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the database schema.",
        subcommands: [Migrate.self]
    )

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the migrations in schema/ that are not applied yet.",
            discussion: "Example: vigil db migrate. Running it again is a no-op."
        )

        @Flag(help: "Print nothing when there is nothing to apply.")
        var quiet = false
        @Option(help: "The folder of migrations (default: $VIGIL_SCHEMA_DIR, else the one installed with vigil, else the one it was built from).")
        var schema: String?

        func run() throws {
            try CLI.run {
                let directory: URL
                do {
                    directory = try Migrator.defaultDirectory(explicit: schema)
                } catch let error as PostgresError {
                    throw CLI.Failure(message: error.message, code: .invalidInput)  // a folder, not the database
                }
                let migrator = Migrator(directory: directory)
                let connection = try Connection()
                let applied = try migrator.migrate(connection)
                if applied.isEmpty {
                    if !quiet { print("schema is up to date") }
                } else {
                    for name in applied { print("applied \(name)") }
                }
            }
        }
    }
}
