import Foundation
import VigilDomain

// Kept here until the signer file reader moves into a library target of its own.

/// One signer of an import file, as read: who, from where, and the row it stands on.
public struct SignerRow: Sendable {
    public var row: Int
    public var identity: SignerIdentity
    public var country: String?

    public init(row: Int, identity: SignerIdentity, country: String?) {
        self.row = row
        self.identity = identity
        self.country = country
    }
}

/// The signers of a CSV file: a row number, an identity and a country for each record.
///
/// Iterating never fails: it stops at the first record that does not parse, and `forEachRow`, which the
/// import's check runs first, is what reports such a record.
struct SignerFile: Sequence {
    let path: String
    let data: Data
    let email: Int?
    let name: Int?
    let country: Int?
    /// Where the first record after the header starts, and its line.
    let start: CSVRecords.Position

    init(path: String) throws {
        guard FileManager.default.isReadableFile(atPath: path),
            let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        else {
            throw VigilError(.invalidInput, "--file: cannot read \(path)")
        }
        var records = CSVRecords(data)
        let header: [String]
        do {
            guard let first = try records.next() else {
                throw VigilError(.invalidInput, "--file: \(path) is empty; start it with a header row: email or name,country")
            }
            header = first.fields.map { $0.lowercased() }
        } catch let error as CSVRecords.Malformed {
            throw VigilError(.invalidInput, "--file: \(path) cannot be read as UTF-8 CSV: \(error); save it as UTF-8")
        }
        guard header.contains("email") || (header.contains("name") && header.contains("country")) else {
            throw VigilError(.invalidInput, "--file: the header row must name an email column, or name and country columns")
        }
        self.path = path
        self.data = data
        email = header.firstIndex(of: "email")
        name = header.firstIndex(of: "name")
        country = header.firstIndex(of: "country")
        start = records.position
    }

    func makeIterator() -> Iterator { Iterator(file: self, records: CSVRecords(data, from: start)) }

    /// Calls `body` with every row, refusing a file that does not parse at the record where it stops:
    /// the check an import makes before anything is appended.
    func forEachRow(_ body: (SignerRow) throws -> Void) throws {
        var records = CSVRecords(data, from: start)
        do {
            while let record = try records.next() { try body(row(record)) }
        } catch let error as CSVRecords.Malformed {
            throw VigilError(.invalidInput, "--file: \(path) cannot be read as UTF-8 CSV: \(error); save it as UTF-8")
        }
    }

    /// The signer a record names.
    func row(_ record: CSVRecords.Record) -> SignerRow {
        func field(_ column: Int?) -> String? {
            guard let column, column < record.fields.count, !record.fields[column].isEmpty else { return nil }
            return record.fields[column]
        }
        let country = field(self.country)
        if let email = field(email) { return SignerRow(row: record.line, identity: .email(email), country: country) }
        return SignerRow(row: record.line, identity: .name(field(name) ?? "", country: country ?? ""), country: country)
    }

    struct Iterator: IteratorProtocol {
        let file: SignerFile
        var records: CSVRecords

        mutating func next() -> SignerRow? {
            guard let record = try? records.next() else { return nil }
            return file.row(record)
        }
    }
}

/// The records of a CSV file (RFC 4180: fields quoted with `"`, `""` for a quote inside one, records
/// ending in LF, CRLF or CR), read from its bytes. Blanks around a field are dropped, empty lines skipped,
/// a UTF-8 byte-order mark ignored, and each field must be valid UTF-8.
///
/// Written here rather than taken from CSV.swift, which the import used before: it decodes one Unicode
/// scalar at a time through a stream and trims fields with NSString, and was half of an import's time
/// (measured with perf, 200,000 rows); this reads a mapped file byte by byte.
struct CSVRecords {
    struct Position {
        var offset: Int
        var line: Int
    }

    struct Record {
        /// The line the record starts on, counting the header as line 1.
        var line: Int
        var fields: [String]
    }

    struct Malformed: Error, CustomStringConvertible {
        var line: Int
        var problem: String
        var description: String { "line \(line) \(problem)" }
    }

    let data: Data
    private(set) var position: Position
    private var field: [UInt8] = []

    init(_ data: Data, from position: Position? = nil) {
        self.data = data
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        self.position = position ?? Position(offset: data.starts(with: bom) ? 3 : 0, line: 1)
    }

    mutating func next() throws -> Record? {
        var position = self.position
        var field = self.field
        defer {
            self.position = position
            self.field = field
        }
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Record? in
            let bytes = raw.bindMemory(to: UInt8.self)
            let n = bytes.count
            var i = position.offset
            // Empty lines between records are skipped. A line ends in LF, CRLF or a lone CR (old Mac files).
            while i < n, bytes[i] == 0x0A || bytes[i] == 0x0D {
                if bytes[i] == 0x0D, i + 1 < n, bytes[i + 1] == 0x0A { i += 1 }
                position.line += 1
                i += 1
            }
            guard i < n else {
                position.offset = n
                return nil
            }
            let line = position.line
            var fields: [String] = []
            func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
            func fail(_ problem: String) -> Malformed { Malformed(line: position.line, problem: problem) }
            while true {
                field.removeAll(keepingCapacity: true)
                while i < n, isBlank(bytes[i]) { i += 1 }
                if i < n, bytes[i] == 0x22 {
                    i += 1
                    while true {
                        guard i < n else { throw Malformed(line: line, problem: "has a quoted field that is never closed") }
                        let c = bytes[i]
                        if c == 0x22 {
                            if i + 1 < n, bytes[i + 1] == 0x22 {
                                field.append(0x22)
                                i += 2
                                continue
                            }
                            i += 1
                            break
                        }
                        if c == 0x0A { position.line += 1 }
                        field.append(c)
                        i += 1
                    }
                    while i < n, isBlank(bytes[i]) { i += 1 }
                    guard i == n || bytes[i] == 0x2C || bytes[i] == 0x0A || bytes[i] == 0x0D else {
                        throw fail("has text after a closing quote; quote the whole field")
                    }
                } else {
                    while i < n, bytes[i] != 0x2C, bytes[i] != 0x0A, bytes[i] != 0x0D {
                        field.append(bytes[i])
                        i += 1
                    }
                    while let last = field.last, isBlank(last) { field.removeLast() }
                }
                guard let text = String(validating: field, as: UTF8.self) else { throw fail("is not valid UTF-8") }
                fields.append(text)
                if i < n, bytes[i] == 0x2C {
                    i += 1
                    continue
                }
                if i < n, bytes[i] == 0x0D || bytes[i] == 0x0A {
                    if bytes[i] == 0x0D, i + 1 < n, bytes[i + 1] == 0x0A { i += 1 }
                    i += 1
                    position.line += 1
                }
                position.offset = i
                return Record(line: line, fields: fields)
            }
        }
    }
}
