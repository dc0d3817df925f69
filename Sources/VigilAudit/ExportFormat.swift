import VigilEncoding
/// The export format: NDJSON, one event per line in position order, each line one JSON object with
/// everything needed to verify the log without a database:
///
///     {"position":42,"stream":"petition-p1","version":3,"type":"PetitionSigned","canonical":"[\"petition-p1\", 3, …]","hash":"<64 hex>"}
///
/// - `position`, `stream`, `version`, `type`: the event's place and type;
/// - `canonical`: the exact text whose UTF-8 bytes were hashed (`EventStore.canonicalSQL`), a JSON
///   array. Since schema 0014 (hash version 2) it begins with the global position, the stream id,
///   the version, the event id and the type; events appended before begin with the stream id (hash
///   version 1, no position). The verifier checks the line's `position` (when the text has one),
///   `stream`, `version` and `type` against it, so none of them can be altered without the hash
///   noticing, and refuses an event on the old formula after one on the new;
/// - `hash`: SHA-256(previous hash of the stream ‖ canonical), lower-case hex; a stream's first
///   event has no previous hash (the empty string).
///
/// Lines end in a line feed. Readers take the keys in any order, ignore keys they do not know, and
/// accept a CR before the line feed.
public enum ExportFormat {
    /// Appends `event` as one line (with its line feed) to `out`.
    public static func appendLine(_ event: CanonicalEvent, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"position":"#.utf8)
        out.append(contentsOf: String(event.position).utf8)
        out.append(contentsOf: #","stream":"#.utf8)
        appendString(event.stream, to: &out)
        out.append(contentsOf: #","version":"#.utf8)
        out.append(contentsOf: String(event.version).utf8)
        out.append(contentsOf: #","type":"#.utf8)
        appendString(event.type, to: &out)
        out.append(contentsOf: #","canonical":"#.utf8)
        appendString(event.canonical, to: &out)
        out.append(contentsOf: #","hash":""#.utf8)
        out.append(contentsOf: Hex.encode(event.hash).utf8)
        out.append(contentsOf: "\"}\n".utf8)
    }

    /// A JSON string literal of `text`.
    static func appendString(_ text: String, to out: inout [UInt8]) { JSONText.appendString(text, to: &out) }

    /// The fields of one export line, as bytes where they are text.
    struct Line {
        var position: Int64
        var stream: [UInt8]
        var version: Int64
        var type: [UInt8]
        var canonical: [UInt8]
        var hash: [UInt8]
    }

    /// Parses one line (without its line feed); the error is the reason, for `AuditFailure.malformedLine`.
    static func parseLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Line, LineError> {
        var reader = JSONReader(bytes: bytes)
        var position: Int64?
        var stream: [UInt8]?
        var version: Int64?
        var type: [UInt8]?
        var canonical: [UInt8]?
        var hash: [UInt8]?
        var seen: Set<[UInt8]> = []
        do {
            reader.skipSpace()
            try reader.expect(0x7B)
            reader.skipSpace()
            if reader.peek() == 0x7D {
                reader.index += 1
            } else {
                while true {
                    reader.skipSpace()
                    let key = try reader.string()
                    guard seen.insert(key).inserted else {
                        throw LineError("the key \"\(String(decoding: key, as: UTF8.self))\" appears twice")
                    }
                    reader.skipSpace()
                    try reader.expect(0x3A)
                    reader.skipSpace()
                    switch String(decoding: key, as: UTF8.self) {
                    case "position": position = try reader.integer(named: "position")
                    case "version": version = try reader.integer(named: "version")
                    case "stream": stream = try reader.string()
                    case "canonical": canonical = try reader.string()
                    case "hash":
                        guard let decoded = Hex.decode(utf8: try reader.string()), decoded.count == 32 else {
                            throw LineError("\"hash\" is not 64 hex digits")
                        }
                        hash = decoded
                    case "type": type = try reader.string()
                    default: try reader.skipValue()
                    }
                    reader.skipSpace()
                    if reader.peek() == 0x2C {
                        reader.index += 1
                        continue
                    }
                    try reader.expect(0x7D)
                    break
                }
            }
            reader.skipSpace()
            guard reader.atEnd else { throw LineError("there is more after the JSON object") }
        } catch let error as LineError {
            return .failure(error)
        } catch {
            return .failure(LineError("\(error)"))
        }
        guard let position else { return .failure(LineError("\"position\" is missing")) }
        guard let stream else { return .failure(LineError("\"stream\" is missing")) }
        guard let version else { return .failure(LineError("\"version\" is missing")) }
        guard let type else { return .failure(LineError("\"type\" is missing")) }
        guard let canonical else { return .failure(LineError("\"canonical\" is missing")) }
        guard let hash else { return .failure(LineError("\"hash\" is missing")) }
        return .success(Line(position: position, stream: stream, version: version, type: type, canonical: canonical, hash: hash))
    }

    /// Whether a canonical text is hash version 2's, which covers the position: its first value (after
    /// "[" and any spaces) is not a string, as version 1's stream id is. The one test of the formula,
    /// for the chain checker and for reading an export line alike.
    static func coversPosition(_ canonical: UnsafeRawBufferPointer) -> Bool {
        let first = canonical.dropFirst().first { $0 != UInt8(ascii: " ") }
        return first != nil && first != UInt8(ascii: "\"")
    }

    /// The position (nil for hash version 1, which leaves it out), stream id, version and type a
    /// canonical text begins with: `[42, "stream", 3, "event id", "Type", …` or `["stream", 3, "event id",
    /// "Type", …`. The one place that knows the layout of the canonical array.
    static func canonicalPlace(_ canonical: [UInt8])
        -> (position: Int64?, stream: [UInt8], version: Int64, type: [UInt8])?
    {
        canonical.withUnsafeBufferPointer { bytes in
            var reader = JSONReader(bytes: bytes)
            do {
                reader.skipSpace()
                try reader.expect(0x5B)
                reader.skipSpace()
                var position: Int64?
                if coversPosition(UnsafeRawBufferPointer(bytes)) {
                    position = try reader.integer(named: "position")
                    reader.skipSpace()
                    try reader.expect(0x2C)
                    reader.skipSpace()
                }
                let stream = try reader.string()
                reader.skipSpace()
                try reader.expect(0x2C)
                reader.skipSpace()
                let version = try reader.integer(named: "version")
                reader.skipSpace()
                try reader.expect(0x2C)
                try reader.skipValue()
                reader.skipSpace()
                try reader.expect(0x2C)
                reader.skipSpace()
                let type = try reader.string()
                reader.skipSpace()
                guard reader.peek() == 0x2C || reader.peek() == 0x5D else { return nil }
                return (position, stream, version, type)
            } catch {
                return nil
            }
        }
    }

    /// What a canonical text of hash version 2 says of the command that appended its event: the event's
    /// id, the command's id (nil when it has none) and, in the metadata, the count of the command's events
    /// its first event carries (0037). The text must be the thirteen values `vigil.event_canonical` makes
    /// for version 2, each of its kind; nil when it is not (only a forged text is not).
    static func canonicalCommand(_ canonical: UnsafeRawBufferPointer) -> CanonicalCommand? {
        canonical.withMemoryRebound(to: UInt8.self) { bytes -> CanonicalCommand? in
            var reader = JSONReader(bytes: bytes)
            func comma() throws {
                reader.skipSpace()
                try reader.expect(0x2C)
                reader.skipSpace()
            }
            func stringOrNull() throws -> [UInt8]? {
                if reader.peek() == 0x22 { return try reader.string() }
                try reader.literal("null")
                return nil
            }
            do {
                // [position, stream, version, id, type, schema version, data, metadata, command id,
                //  correlation id, causation id, actor, recorded at in µs]
                reader.skipSpace()
                try reader.expect(0x5B)
                reader.skipSpace()
                _ = try reader.integer(named: "position")
                try comma()
                _ = try reader.string()
                try comma()
                _ = try reader.integer(named: "version")
                try comma()
                var parts = CanonicalCommand(eventId: try reader.string())
                try comma()
                _ = try reader.string()
                try comma()
                _ = try reader.integer(named: "schema version")
                try comma()
                try reader.skipValue()
                try comma()
                if reader.peek() == 0x7B { parts.declared = try commandEvents(&reader) } else { try reader.skipValue() }
                try comma()
                parts.commandId = try stringOrNull()
                try comma()
                _ = try stringOrNull()
                try comma()
                _ = try stringOrNull()
                try comma()
                _ = try reader.string()
                try comma()
                _ = try reader.integer(named: "recorded at")
                reader.skipSpace()
                try reader.expect(0x5D)
                reader.skipSpace()
                return reader.atEnd ? parts : nil
            } catch {
                return nil
            }
        }
    }

    /// The metadata object's "commandEvents": a number is the count (one that is not whole can never
    /// match), anything else counts one event, and none is nil (not judged).
    private static func commandEvents(_ reader: inout JSONReader) throws -> CanonicalCommand.Count? {
        var count: CanonicalCommand.Count?
        var seenCount = false
        try reader.expect(0x7B)
        reader.skipSpace()
        if reader.peek() == 0x7D {
            reader.index += 1
            return count
        }
        while true {
            reader.skipSpace()
            let key = try reader.string()
            reader.skipSpace()
            try reader.expect(0x3A)
            reader.skipSpace()
            if key.elementsEqual("commandEvents".utf8) {
                // jsonb keeps one value per key: a second is a forged text.
                guard !seenCount else { throw LineError("\"commandEvents\" appears twice") }
                seenCount = true
            }
            if key.elementsEqual("commandEvents".utf8), let c = reader.peek(), c == 0x2D || (0x30...0x39).contains(c) {
                // A number as numeric compares it, exactly: 3.0 counts three events, 2.5 and
                // 3.0000000000000000001 none.
                let start = reader.index
                try reader.skipValue()
                let text = String(decoding: UnsafeBufferPointer(rebasing: reader.bytes[start..<reader.index]), as: UTF8.self)
                count = wholeNumber(text).map { .events($0) } ?? .notWhole
            } else {
                if key.elementsEqual("commandEvents".utf8) { count = .events(1) }
                try reader.skipValue()
            }
            reader.skipSpace()
            if reader.peek() == 0x2C {
                reader.index += 1
                continue
            }
            try reader.expect(0x7D)
            return count
        }
    }

    /// The value of a JSON number's text when it is a whole number that fits in 64 bits, exactly (no
    /// rounding through a Double): "3", "3.00", "30e-1", "0.3E1".
    static func wholeNumber(_ text: String) -> Int64? {
        if let n = Int64(text) { return n }
        var rest = Substring(text)
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        var exponent = 0
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(rest[rest.index(after: e)...].replacingOccurrences(of: "+", with: "")), (-999...999).contains(x) else {
                return nil
            }
            exponent = x
            rest = rest[..<e]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }), parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        var digits = String(parts[0]) + (parts.count == 2 ? String(parts[1]) : "")
        exponent -= parts.count == 2 ? parts[1].count : 0
        // digits × 10^exponent: whole when the digits it drops are zeros.
        if exponent < 0 {
            let drop = min(-exponent, digits.count)
            guard digits.suffix(drop).allSatisfy({ $0 == "0" }) else { return nil }
            digits = String(digits.dropLast(drop))
            if digits.isEmpty { digits = "0" }
        } else if exponent > 0 {
            guard exponent <= 19 else { return digits.allSatisfy { $0 == "0" } ? 0 : nil }
            digits += String(repeating: "0", count: exponent)
        }
        guard let value = Int64(negative ? "-" + digits : digits) else { return nil }
        return value
    }

    /// Why a line is not an event line.
    struct LineError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// The command behind an event, as its canonical text says (`ExportFormat.canonicalCommand`).
struct CanonicalCommand {
    /// How many events the command appended, as its first event says.
    enum Count: Equatable {
        case events(Int64)
        /// A number that is not a whole one: no count of events present equals it.
        case notWhole
    }

    /// The event's id as text.
    var eventId: [UInt8]
    /// The command's id, or nil.
    var commandId: [UInt8]?
    /// The count in the metadata, or nil when it has none: the append of 0037 writes one on the first
    /// event of every command of several events; a command of several events without one was appended
    /// before 0037 (by a binary of 0037 on a database not yet migrated, with ids of the command kind).
    var declared: Count?

    init(eventId: [UInt8]) { self.eventId = eventId }
}

/// A small strict JSON reader over bytes: strings (decoded to UTF-8, escapes and surrogate pairs
/// included), integers, and skipping any value. Enough for flat export lines, at a few hundred
/// nanoseconds a line rather than a general parser's microseconds.
struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var atEnd: Bool { index >= bytes.count }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
            index += 1
        }
    }

    mutating func expect(_ byte: UInt8) throws {
        guard peek() == byte else {
            throw ExportFormat.LineError("expected '\(Character(Unicode.Scalar(byte)))' at column \(index + 1)")
        }
        index += 1
    }

    /// A string literal's value as UTF-8.
    mutating func string() throws -> [UInt8] {
        try expect(0x22)
        var out: [UInt8] = []
        // Fast path: copy the run up to the first quote or backslash at once.
        while true {
            let start = index
            while index < bytes.count, bytes[index] != 0x22, bytes[index] != 0x5C, bytes[index] >= 0x20 { index += 1 }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            guard index < bytes.count else { throw ExportFormat.LineError("a string is not closed") }
            let c = bytes[index]
            index += 1
            if c == 0x22 { return out }
            guard c == 0x5C else { throw ExportFormat.LineError("a string holds a raw control character at column \(index)") }
            guard index < bytes.count else { throw ExportFormat.LineError("a string ends in a backslash") }
            let e = bytes[index]
            index += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == UInt8(ascii: "u") else {
                        throw ExportFormat.LineError("a string holds half a surrogate pair")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw ExportFormat.LineError("a string holds half a surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw ExportFormat.LineError("a string holds half a surrogate pair")
                }
                guard let s = Unicode.Scalar(scalar) else { throw ExportFormat.LineError("a string holds an invalid \\u escape") }
                UTF8.encode(s) { out.append($0) }
            default:
                throw ExportFormat.LineError("a string holds an invalid escape at column \(index - 1)")
            }
        }
    }

    /// Skips a string literal without decoding it: what `string()` refuses it refuses too, but it makes
    /// no copy (skipping an event's data was most of the time of checking its command).
    mutating func skipString() throws {
        try expect(0x22)
        while index < bytes.count {
            let c = bytes[index]
            index += 1
            if c == 0x22 { return }
            if c < 0x20 { throw ExportFormat.LineError("a string holds a raw control character at column \(index)") }
            if c == 0x5C {
                guard index < bytes.count else { break }
                switch bytes[index] {
                case 0x22, 0x5C, 0x2F, UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    _ = try hex4()
                default:
                    throw ExportFormat.LineError("a string holds an invalid escape at column \(index)")
                }
            }
        }
        throw ExportFormat.LineError("a string is not closed")
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let digits = Hex.decode(utf8: UnsafeBufferPointer(rebasing: bytes[index..<(index + 4)]))
        else { throw ExportFormat.LineError("a string holds an invalid \\u escape") }
        index += 4
        return UInt32(digits[0]) << 8 | UInt32(digits[1])
    }

    /// A JSON integer that fits in 64 bits (no fraction, no exponent).
    mutating func integer(named name: String) throws -> Int64 {
        let negative = peek() == 0x2D
        if negative { index += 1 }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
            guard !o1, !o2 else { throw ExportFormat.LineError("\"\(name)\" is too large") }
            value = plus
            index += 1
        }
        guard index > start, !(index - start > 1 && bytes[start] == 0x30) else {
            throw ExportFormat.LineError("\"\(name)\" is not a whole number")
        }
        if let c = peek(), c == 0x2E || c == 0x65 || c == 0x45 { throw ExportFormat.LineError("\"\(name)\" is not a whole number") }
        return negative ? -value : value
    }

    /// Skips one value of any kind. Without recursion: the database accepts data nested some twelve
    /// thousand deep, and a forged line any deeper, which a recursive skip would overflow the stack on.
    mutating func skipValue() throws {
        var closers: [UInt8] = []
        while true {
            // A value.
            skipSpace()
            guard let c = peek() else { throw ExportFormat.LineError("a value is missing") }
            switch c {
            case 0x22: try skipString()
            case 0x7B, 0x5B:
                let close: UInt8 = c == 0x7B ? 0x7D : 0x5D
                index += 1
                skipSpace()
                if peek() == close {
                    index += 1
                } else {
                    closers.append(close)
                    if close == 0x7D { try skipKey() }
                    continue
                }
            default:
                let start = index
                while index < bytes.count, let b = peek(), b != 0x2C, b != 0x7D, b != 0x5D, b != 0x20, b != 0x09 { index += 1 }
                let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                guard word == "true" || word == "false" || word == "null" || JSONReader.isNumber(word.utf8) else {
                    throw ExportFormat.LineError("a value is not JSON at column \(start + 1)")
                }
            }
            // After it: the next member of the innermost open container, or its end (and so on outwards).
            while true {
                guard let close = closers.last else { return }
                skipSpace()
                if peek() == 0x2C {
                    index += 1
                    if close == 0x7D { try skipKey() }
                    break
                }
                try expect(close)
                closers.removeLast()
            }
        }
    }

    /// Whether `text` is a number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? (no
    /// "01", "+1", "0x10", "Infinity" or "NaN", which `Double()` would take).
    static func isNumber(_ text: String.UTF8View) -> Bool {
        var i = text.startIndex
        func digits() -> Int {
            var n = 0
            while i < text.endIndex, (0x30...0x39).contains(text[i]) {
                n += 1
                i = text.index(after: i)
            }
            return n
        }
        if i < text.endIndex, text[i] == 0x2D { i = text.index(after: i) }
        guard i < text.endIndex else { return false }
        if text[i] == 0x30 {
            i = text.index(after: i)
        } else if digits() == 0 {
            return false
        }
        if i < text.endIndex, text[i] == 0x2E {
            i = text.index(after: i)
            guard digits() > 0 else { return false }
        }
        if i < text.endIndex, text[i] == 0x65 || text[i] == 0x45 {
            i = text.index(after: i)
            if i < text.endIndex, text[i] == 0x2B || text[i] == 0x2D { i = text.index(after: i) }
            guard digits() > 0 else { return false }
        }
        return i == text.endIndex
    }

    /// One of the words true, false or null, exactly.
    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
              UnsafeBufferPointer(start: word.utf8Start, count: count).elementsEqual(bytes[index..<(index + count)])
        else { throw ExportFormat.LineError("expected \(word) at column \(index + 1)") }
        index += count
    }

    /// An object member's key and its colon.
    private mutating func skipKey() throws {
        skipSpace()
        try skipString()
        skipSpace()
        try expect(0x3A)
    }
}
