import Foundation
import VigilTestSupport

/// The sample data of `seeds/` (the 2004 day of action and the rest), loaded once into a database of its
/// own for the suites that only read it: loading it takes seconds, and reading it changes nothing.
enum SampleData {
    static let loaded: Result<String, any Error> = Result {
        let database = try TestDatabase.create("sample")
        let seeds = TestDatabase.projectFolder.appendingPathComponent("seeds").path
        let load = try VigilBinary.run(["seed", "load", "--dir", seeds], database: database)
        guard load.status == 0 else { throw TestFailure("loading the sample data: \(load.stderr)") }
        return database
    }

    /// The database holding the sample data.
    static func database() throws -> String { try loaded.get() }
}

/// Columns a line takes in a terminal (the sample data's text is all one column a character).
func widest(_ text: String) -> Int {
    text.components(separatedBy: "\n").map(\.count).max() ?? 0
}
