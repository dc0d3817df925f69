import Foundation

/// The records of a CSV file (RFC 4180: fields quoted with `"`, `""` for a quote inside one, records
/// ending in LF, CRLF or a lone CR), read from its bytes in one pass. Blanks (space, tab) around a field
/// are dropped, empty lines and records whose fields are all empty are skipped, a UTF-8 byte-order mark
/// is ignored, and each kept field must be valid UTF-8 of at most `maximumFieldBytes` bytes.
///
/// Written for the import rather than taken from CSV.swift, which the import used before: that decodes
/// one Unicode scalar at a time through a stream and trims fields with NSString, and was half of an
/// import's time (measured with perf, 200,000 rows). This reads a mapped file byte by byte, takes an
/// unquoted field straight from the file's bytes, and never builds a string for a column it does not keep.
struct CSVReader {
    /// The longest field kept, in bytes: far more than an e-mail address (254) or a name (200 characters),
    /// and small enough that a file whose quotes run away is refused at once rather than read into memory.
    static let maximumFieldBytes = 1_000

    let data: Data
    /// Where the next record is looked for, and that byte's line.
    private(set) var offset: Int
    private(set) var line: Int
    /// The fields of the record `next` read last, nil for a column not kept; reused from record to record.
    private(set) var fields: [String?] = []
    /// A quoted field's bytes once its doubled quotes are undone; reused from field to field.
    private var buffer: [UInt8] = []

    init(_ data: Data) {
        self.data = data
        offset = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        line = 1
        buffer.reserveCapacity(CSVReader.maximumFieldBytes)
    }

    /// Reads the next record into `fields` and returns the line it starts on (the first line of the
    /// file is 1), or nil at the end of the file. `keep[i]` says whether column `i` is decoded (a column
    /// past its end is not); nil keeps every column. A record that does not parse is an error naming its
    /// line, and the reader stays at that record.
    mutating func next(keeping keep: [Bool]? = nil) throws(SignerFileError) -> Int? {
        // The buffers are moved out, not copied, so filling them does not copy them each record.
        var buffer: [UInt8] = []
        var fields: [String?] = []
        swap(&buffer, &self.buffer)
        swap(&fields, &self.fields)
        defer {
            swap(&buffer, &self.buffer)
            swap(&fields, &self.fields)
        }
        var offset = self.offset
        var line = self.line
        var failure: SignerFileError?
        // `withUnsafeBytes` rethrows untyped errors, so a failure comes out through `failure`.
        let found = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int? in
            do throws(SignerFileError) {
                return try Self.record(
                    raw.bindMemory(to: UInt8.self), offset: &offset, line: &line, keeping: keep, fields: &fields, buffer: &buffer)
            } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        self.offset = offset
        self.line = line
        return found
    }

    private static let quote: UInt8 = 0x22
    private static let comma: UInt8 = 0x2C
    private static let lf: UInt8 = 0x0A
    private static let cr: UInt8 = 0x0D

    private static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    /// Reads the record at `offset` (after any empty lines) into `fields`, moves `offset` and `line` to
    /// the record after it, and returns the line the record starts on; nil when only empty lines are left.
    private static func record(
        _ bytes: UnsafeBufferPointer<UInt8>, offset: inout Int, line: inout Int, keeping keep: [Bool]?,
        fields: inout [String?], buffer: inout [UInt8]
    ) throws(SignerFileError) -> Int? {
        let n = bytes.count
        var i = offset
        defer { offset = i }

        /// Steps over the line end at `i` (LF, CRLF or a lone CR) and counts the line.
        func endLine() {
            if bytes[i] == cr, i + 1 < n, bytes[i + 1] == lf { i += 1 }
            i += 1
            line += 1
        }

        while true {
            // Empty lines between records are skipped.
            while i < n, bytes[i] == lf || bytes[i] == cr { endLine() }
            guard i < n else { return nil }
            let recordLine = line
            fields.removeAll(keepingCapacity: true)
            var column = 0
            var anyText = false
            while true {
                var kept = true
                if let keep { kept = column < keep.count && keep[column] }
                while i < n, isBlank(bytes[i]) { i += 1 }
                let fieldLine = line
                var text: String?
                if i < n, bytes[i] == quote {
                    // A quoted field: `""` is one quote, and line ends are part of the field.
                    i += 1
                    let open = i
                    buffer.removeAll(keepingCapacity: true)
                    while true {
                        guard i < n else { throw SignerFileError(line: fieldLine, problem: SignerFileError.unclosedQuote) }
                        let c = bytes[i]
                        if c == quote {
                            guard i + 1 < n, bytes[i + 1] == quote else {
                                i += 1
                                break
                            }
                            i += 1
                        } else if c == lf || (c == cr && !(i + 1 < n && bytes[i + 1] == lf)) {
                            line += 1
                        }
                        if kept {
                            guard buffer.count < maximumFieldBytes else {
                                throw SignerFileError(line: fieldLine, problem: SignerFileError.fieldTooLong)
                            }
                            buffer.append(c)
                        }
                        i += 1
                    }
                    anyText = anyText || i - 1 > open  // i is past the closing quote
                    while i < n, isBlank(bytes[i]) { i += 1 }
                    guard i == n || bytes[i] == comma || bytes[i] == lf || bytes[i] == cr else {
                        throw SignerFileError(line: line, problem: SignerFileError.textAfterQuote)
                    }
                    if kept {
                        let decoded = buffer.withUnsafeBufferPointer { bytes -> Result<String, SignerFileError> in
                            Result { () throws(SignerFileError) in try decode(bytes, line: fieldLine) }
                        }
                        text = try decoded.get()
                    }
                } else {
                    // An unquoted field is the file's own bytes up to the next comma or line end.
                    let first = i
                    while i < n, bytes[i] != comma, bytes[i] != lf, bytes[i] != cr { i += 1 }
                    var end = i
                    while end > first, isBlank(bytes[end - 1]) { end -= 1 }
                    anyText = anyText || end > first
                    if kept {
                        guard end - first <= maximumFieldBytes else {
                            throw SignerFileError(line: fieldLine, problem: SignerFileError.fieldTooLong)
                        }
                        text = try decode(UnsafeBufferPointer(rebasing: bytes[first..<end]), line: fieldLine)
                    }
                }
                fields.append(text)
                column += 1
                if i < n, bytes[i] == comma {
                    i += 1
                    continue
                }
                if i < n { endLine() }
                break
            }
            // A record of empty fields (a spreadsheet's empty row, `,,`) names nobody: skipped like an empty line.
            if anyText { return recordLine }
        }
    }

    /// `bytes` as a string; bytes that are not UTF-8 are an error naming `line`. ASCII, what most
    /// signer files hold, skips the standard library's generic validation, which was a quarter of the
    /// parsing time (perf, 1,000,000 rows).
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) throws(SignerFileError) -> String {
        var ascii = true
        for c in bytes where c >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SignerFileError(line: line, problem: SignerFileError.notUTF8)
        }
        return text
    }
}
