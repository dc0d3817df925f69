import Foundation
import VigilDomain

/// One signer of an import file, as read: who, from where, and the line of the file it stands on.
public struct SignerRow: Sendable, Equatable {
    /// The line of the file the signer's record starts on (the file's first line, usually the header
    /// row, is 1).
    public var row: Int
    /// Who signed, as written in the file; checking it is the domain's work (`normalised()`).
    public var identity: SignerIdentity
    /// The country column's value, unchecked; nil when the file has no such column or it is empty.
    public var country: String?
    /// The consent column's value (did the signer agree to hear back?), unchecked; nil when the file has
    /// no such column or it is empty.
    public var consent: String?

    /// A row as given.
    public init(row: Int, identity: SignerIdentity, country: String?, consent: String? = nil) {
        self.row = row
        self.identity = identity
        self.country = country
        self.consent = consent
    }
}

/// Why a signer file cannot be read: the line at fault (nil for the file as a whole) and the problem,
/// worded to follow "line 7 " or "the file ", saying what to do about it.
public struct SignerFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file's line at fault (the first line is 1), or nil when the problem is the whole file.
    public var line: Int?
    /// What is wrong and what to do, such as "is not valid UTF-8; save the file as UTF-8 …".
    public var problem: String

    /// An error as given.
    public init(line: Int?, problem: String) {
        self.line = line
        self.problem = problem
    }

    /// "line 7 has a quoted field that is never closed; …", or "the file is empty; …".
    public var description: String {
        if let line { return "line \(line) \(problem)" }
        return "the file \(problem)"
    }

    static let empty =
        "is empty; start it with a header row naming an email column, or name and country columns"
    static let notUTF8 =
        "is not valid UTF-8; save the file as UTF-8 (a spreadsheet's \"CSV UTF-8\")"
    static let unclosedQuote =
        "has a quoted field that is never closed; end it with a double quote, and write a quote inside a field as two (\"\")"
    static let textAfterQuote =
        "has text after a closing quote; quote the whole field, and write a quote inside it as two (\"\")"
    static let fieldTooLong =
        "has a field longer than \(CSVReader.maximumFieldBytes) bytes, far more than an e-mail address or a name; "
        + "check that the file is a list of signers and that its quotes are closed"

    static func unreadable(_ reason: String) -> SignerFileError {
        SignerFileError(line: nil, problem: "cannot be read (\(reason)); check its path and that you may read it")
    }

    /// The header row lacks the columns. Its names are not repeated: in a file without a header, the
    /// first row is a signer's e-mail address or name, which has no place in an error message.
    static func header(line: Int) -> SignerFileError {
        SignerFileError(
            line: line,
            problem: "is the header row, and it must name an email column, or name and country columns; "
                + "if the file has no header row, add one as its first line: email, or name,country")
    }
}

/// The signers of a CSV file (UTF-8, RFC 4180): a header row naming an `email` column, or `name` and
/// `country` columns (`country` may go with `email` too, and an optional `consent` column says whether the
/// signer agreed to hear back; other columns are skipped), then a signer a row.
///
/// The file is mapped once, when the value is made, and read in one pass by `forEach` or a `Reader`:
/// a record that does not parse is an error naming its line, never the end of the file. Header names
/// are trimmed and matched in any case; a byte-order mark, empty lines and rows of empty fields are
/// skipped; LF, CRLF and a lone CR all end a line; a row's number is the file's line it starts on.
public struct SignerFile: Sendable {
    /// The file, as given.
    public let path: String
    private let columns: Columns
    /// The reader after the header row.
    private let start: CSVReader

    /// Maps the file at `path` and reads its header row.
    public init(path: String) throws(SignerFileError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw SignerFileError.unreadable(Self.whyUnreadable(path, error))
        }
        var records = CSVReader(data)
        guard let line = try records.next() else { throw SignerFileError(line: nil, problem: SignerFileError.empty) }
        let header = records.fields.map { $0?.lowercased() ?? "" }
        guard header.contains("email") || (header.contains("name") && header.contains("country")) else {
            throw SignerFileError.header(line: line)
        }
        self.path = path
        columns = Columns(header)
        start = records
    }

    /// Calls `body` with each signer in the file's order. A record that does not parse throws a
    /// `SignerFileError` naming its line, after `body` has seen every row before it; an error `body`
    /// throws ends the reading and is rethrown as it is.
    public func forEach(_ body: (SignerRow) throws -> Void) throws {
        var reader = makeReader()
        while let row = try reader.next() { try body(row) }
    }

    /// A reader of the signers from the first row after the header.
    public func makeReader() -> Reader { Reader(columns: columns, records: start) }

    /// Reads a signer file's rows one at a time.
    public struct Reader: Sendable {
        let columns: Columns
        var records: CSVReader
        var failure: SignerFileError?

        /// The next signer, or nil after the last. A record that does not parse throws an error naming
        /// its line, and so does every later call: the reader never ends early as if the file had.
        public mutating func next() throws(SignerFileError) -> SignerRow? {
            if let failure { throw failure }
            do {
                guard let line = try records.next(keeping: columns.keep) else { return nil }
                return columns.row(line: line, records.fields)
            } catch {
                failure = error
                throw error
            }
        }
    }

    /// Where the signer's fields are in a record, from the header row.
    struct Columns: Sendable {
        let email: Int?
        let name: Int?
        let country: Int?
        let consent: Int?
        /// Which columns are read; the others are skipped without being decoded.
        let keep: [Bool]

        init(_ header: [String]) {
            let (email, name, country) = (header.firstIndex(of: "email"), header.firstIndex(of: "name"), header.firstIndex(of: "country"))
            let consent = header.firstIndex(of: "consent")
            (self.email, self.name, self.country, self.consent) = (email, name, country, consent)
            keep = header.indices.map { $0 == email || $0 == name || $0 == country || $0 == consent }
        }

        /// The signer a record names: its e-mail address when it has one, else its name and country.
        func row(line: Int, _ fields: [String?]) -> SignerRow {
            func field(_ column: Int?) -> String? {
                guard let column, column < fields.count, let text = fields[column], !text.isEmpty else { return nil }
                return text
            }
            let country = field(self.country)
            let consent = field(self.consent)
            if let email = field(email) { return SignerRow(row: line, identity: .email(email), country: country, consent: consent) }
            // A file with no name column: the row's missing address is what to report.
            guard name != nil else { return SignerRow(row: line, identity: .email(""), country: country, consent: consent) }
            return SignerRow(row: line, identity: .name(field(name) ?? "", country: country ?? ""), country: country, consent: consent)
        }
    }

    /// Why `path` could not be read, in a few words.
    private static func whyUnreadable(_ path: String, _ error: any Error) -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return "there is no such file" }
        if isFolder.boolValue { return "it is a folder" }
        if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
        return error.localizedDescription
    }
}
