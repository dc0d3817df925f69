import EventStore
import Foundation
import PostgresClient
import VigilDomain

/// An error that happened at a place in a file (`seeds/10-missions.vigil:12`), wrapping what went wrong.
public struct LocatedError: Error, Sendable, CustomStringConvertible {
    /// Where: a file and a line.
    public var place: String
    /// What went wrong there: a `DomainError`, a `VigilError`, or a front end's own error.
    public var underlying: any Error

    public init(place: String, underlying: any Error) {
        self.place = place
        self.underlying = underlying
    }

    public var description: String { "\(place): \(underlying)" }
}

/// What loading the sample data set did.
public struct SeedSummary: Sendable, Equatable {
    public var files = 0
    public var commands = 0
    public var appended = 0
    public var alreadyThere = 0
}

/// One command line of a seed file: its words, as typed after `vigil`.
public struct SeedLine: Sendable, Equatable {
    public var file: String
    public var number: Int
    public var words: [String]
}

extension VigilService {
    /// Applies the migrations not applied yet, from `schema` (nil: where the binary was built or
    /// installed with, or `VIGIL_SCHEMA_DIR`); returns the names of those it applied.
    public func migrate(schema: String? = nil) throws -> [String] {
        let directory = try folder { try Migrator.defaultDirectory(explicit: schema) }
        return try guarded { try Migrator(directory: directory).migrate(try session(.owner).connection) }
    }

    /// A folder of the project's (schema, seeds): not finding it is a problem of input, not of the database.
    func folder(_ locate: () throws -> URL) throws -> URL {
        do {
            return try locate()
        } catch let error as PostgresError {
            throw VigilError(.invalidInput, error.message)
        }
    }

    /// Loads the sample data set: every command of every `.vigil` file in `directory` (nil: the
    /// project's `seeds/`), in file order, each under a key made from its file and words, so loading
    /// twice appends nothing. `parse` turns a line's words into a command (the front end's own parser);
    /// an error names the file and line. `progress` hears one line per file.
    public func loadSeeds(
        directory: String?, parse: (SeedLine) throws -> VigilCommand, progress: ((String) -> Void)? = nil
    ) throws -> SeedSummary {
        let folder = try folder { try ProjectFolder.locate(explicit: directory, environment: "VIGIL_SEEDS_DIR", folder: "seeds") }
        let files = try guarded {
            try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".vigil") }.sorted()
        }
        guard !files.isEmpty else { throw VigilError(.invalidInput, "no .vigil files in \(folder.path)") }
        var summary = SeedSummary(files: files.count)
        for file in files {
            let text: String
            do {
                text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            } catch {
                throw VigilError(.invalidInput, "\(file): cannot be read as UTF-8 text")
            }
            let lines = try SeedFile.lines(text, file: file)
            for line in lines {
                let key = "seed:\(file):\(String(StableHash.fnv1a64(line.words.joined(separator: "\u{1f}")), radix: 16))"
                do {
                    let outcome = try handle(try parse(line), CommandRequest(key: key, actor: "seed:\(file)", client: "vigil-seed"))
                    summary.commands += 1
                    if outcome.duplicate { summary.alreadyThere += 1 } else { summary.appended += outcome.events.count }
                } catch let error as LocatedError {
                    throw error
                } catch {
                    throw LocatedError(place: "\(file):\(line.number)", underlying: error)
                }
            }
            progress?("\(file): \(lines.count) commands")
        }
        return summary
    }
}

/// The seed file format: one organiser's command per line, as typed after `vigil`; `#` starts a
/// comment, a trailing backslash continues a line, and words are quoted with "…" or '…' as in a shell.
enum SeedFile {
    /// The commands of a seed file, with the line each starts on.
    static func lines(_ text: String, file: String) throws -> [SeedLine] {
        var lines: [SeedLine] = []
        var pending = ""
        var start = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if pending.isEmpty { start = index + 1 }
            var line = String(raw)
            if line.hasSuffix("\\") {
                line.removeLast()
                pending += line + " "
                continue
            }
            pending += line
            let words = try self.words(pending, place: "\(file):\(start)")
            pending = ""
            if !words.isEmpty { lines.append(SeedLine(file: file, number: start, words: words)) }
        }
        return lines
    }

    /// Splits one command into words, as a shell would for quotes and comments.
    static func words(_ text: String, place: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var iterator = text.makeIterator()
        while let c = iterator.next() {
            if let q = quote {
                if c == q {
                    quote = nil
                } else if c == "\\" && q == "\"", let next = iterator.next() {
                    current.append(next)
                } else {
                    current.append(c)
                }
            } else if c == "#" && !inWord {
                break
            } else if c == "\"" || c == "'" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(c)
                inWord = true
            }
        }
        if quote != nil { throw VigilError(.invalidInput, "\(place): a quote is not closed") }
        if inWord { words.append(current) }
        return words
    }
}
