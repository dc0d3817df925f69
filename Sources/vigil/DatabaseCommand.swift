import ArgumentParser
import Foundation
import VigilService

/// `vigil db …`: the database's schema.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the database schema.",
        subcommands: [Migrate.self]
    )

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the migrations that are not applied yet.",
            discussion: """
                The migrations come from --schema, else $VIGIL_SCHEMA_DIR, else the schema/ folder Vigil was built or
                installed with; never from the working directory. Example: vigil db migrate. Running it again is a no-op.
                """
        )

        @Flag(help: "Print nothing when there is nothing to apply.")
        var quiet = false
        @Option(help: "The folder of migrations (default: $VIGIL_SCHEMA_DIR, else the one installed with vigil, else the one it was built from).")
        var schema: String?

        func run() throws {
            try CLI.run {
                let applied = try VigilService().migrate(schema: schema)
                if applied.isEmpty {
                    if !quiet { print("schema is up to date") }
                } else {
                    for name in applied { print("applied \(name)") }
                }
            }
        }
    }
}
