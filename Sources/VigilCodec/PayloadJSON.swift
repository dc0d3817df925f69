import Foundation
import VigilEncoding

/// A fast path for decoding stored event payloads, with Foundation's `JSONDecoder` behind it.
///
/// Why by hand: in a rebuild, Foundation's decoder was 70% of the thread that reads the log, the
/// bottleneck (measured with perf over 300,000 events), and no JSON library on this machine does better.
/// Measured again with Swift 6.3's Foundation on the bench's mix of 1,000,000 payloads
/// (`scripts/bench decode`): `JSONDecoder` alone takes 17–18 µs of CPU an event, this 5.2–5.4 µs, and a
/// rebuild with `JSONDecoder` alone ran at 0.27–0.29× the plain read against 0.32–0.41× with this, in
/// the same hour. Most of Foundation's cost is not parsing but bookkeeping per key (a dictionary per
/// object, coding paths). This one parses the bytes once into a flat list of nodes and finds keys by
/// scanning an object's few members.
///
/// It is deliberately narrow: it accepts only the JSON that PostgreSQL prints for a payload Vigil wrote,
/// and anything it does not accept (an unusual number, date or escape, a duplicate key, a type it does not
/// know, invalid input) throws, and the caller decodes with `JSONDecoder` instead, which then gives the
/// value or the error. So where this succeeds it must agree with `JSONDecoder`, which a differential test
/// checks on thousands of mutated payloads.
enum PayloadJSON {
    /// Decodes `T` from `text`; throws when this fast path cannot (or the text is not valid JSON).
    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        let document = try Document(text)
        return try T(from: NodeDecoder(document: document, node: 0))
    }

    /// The fast path declined: the caller falls back to `JSONDecoder`.
    struct Declined: Error {}

    /// The parsed form: the bytes, and the values in document order. A container's members follow it;
    /// `next` is the index just past its whole subtree, so siblings are found by skipping.
    final class Document {
        enum Kind { case null, `true`, `false`, number, string, array, object }

        struct Node {
            var kind: Kind
            /// Bytes of a number, or of a string between its quotes.
            var start: Int
            var end: Int
            /// Members of an object (key–value pairs) or elements of an array.
            var count: Int
            var next: Int
            /// A string holding a backslash escape.
            var escaped: Bool
        }

        let bytes: [UInt8]
        /// Immutable once parsed: reading a `let` needs no exclusivity check, which a `var` of a class
        /// paid on every access.
        let nodes: [Node]

        /// Parses `text`, which as a `String` is valid UTF-8 already.
        init(_ text: String) throws {
            let bytes = Array(text.utf8)
            var parser = Parser()
            try bytes.withUnsafeBufferPointer { b in
                var i = 0
                try parser.parseValue(b, &i, depth: 0)
                parser.skipSpace(b, &i)
                guard i == b.count else { throw Declined() }
            }
            self.bytes = bytes
            nodes = parser.nodes
        }

        /// Builds the node list.
        struct Parser {
            var nodes: [Node] = []

            init() { nodes.reserveCapacity(32) }

            func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
                while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
            }

            mutating func parseValue(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, depth: Int) throws {
                guard depth < 64 else { throw Declined() }
                skipSpace(b, &i)
                guard i < b.count else { throw Declined() }
                let index = nodes.count
                switch b[i] {
                case 0x7B:  // {
                    nodes.append(Node(kind: .object, start: i, end: i, count: 0, next: 0, escaped: false))
                    i += 1
                    skipSpace(b, &i)
                    var count = 0
                    var keys: [Int] = []
                    if i < b.count, b[i] == 0x7D {
                        i += 1
                    } else {
                        while true {
                            skipSpace(b, &i)
                            guard i < b.count, b[i] == 0x22 else { throw Declined() }
                            try parseString(b, &i)
                            // Keys are plain and unique, so a lookup may stop at the first match.
                            let key = nodes[nodes.count - 1]
                            guard !key.escaped else { throw Declined() }
                            for other in keys {
                                let o = nodes[other]
                                if o.end - o.start == key.end - key.start,
                                    memcmp(b.baseAddress! + o.start, b.baseAddress! + key.start, key.end - key.start) == 0
                                {
                                    throw Declined()
                                }
                            }
                            keys.append(nodes.count - 1)
                            skipSpace(b, &i)
                            guard i < b.count, b[i] == 0x3A else { throw Declined() }
                            i += 1
                            try parseValue(b, &i, depth: depth + 1)
                            count += 1
                            skipSpace(b, &i)
                            guard i < b.count else { throw Declined() }
                            if b[i] == 0x2C { i += 1; continue }
                            guard b[i] == 0x7D else { throw Declined() }
                            i += 1
                            break
                        }
                    }
                    nodes[index].count = count
                case 0x5B:  // [
                    nodes.append(Node(kind: .array, start: i, end: i, count: 0, next: 0, escaped: false))
                    i += 1
                    skipSpace(b, &i)
                    var count = 0
                    if i < b.count, b[i] == 0x5D {
                        i += 1
                    } else {
                        while true {
                            try parseValue(b, &i, depth: depth + 1)
                            count += 1
                            skipSpace(b, &i)
                            guard i < b.count else { throw Declined() }
                            if b[i] == 0x2C { i += 1; continue }
                            guard b[i] == 0x5D else { throw Declined() }
                            i += 1
                            break
                        }
                    }
                    nodes[index].count = count
                case 0x22:
                    try parseString(b, &i)
                case 0x74:
                    try literal(b, &i, [0x74, 0x72, 0x75, 0x65], .true)
                case 0x66:
                    try literal(b, &i, [0x66, 0x61, 0x6C, 0x73, 0x65], .false)
                case 0x6E:
                    try literal(b, &i, [0x6E, 0x75, 0x6C, 0x6C], .null)
                default:
                    try parseNumber(b, &i)
                }
                nodes[index].next = nodes.count
            }

            mutating func literal(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ word: [UInt8], _ kind: Kind) throws {
                guard i + word.count <= b.count else { throw Declined() }
                for (k, c) in word.enumerated() where b[i + k] != c { throw Declined() }
                nodes.append(Node(kind: kind, start: i, end: i + word.count, count: 0, next: nodes.count + 1, escaped: false))
                i += word.count
            }

            /// A string: its bytes must be UTF-8 without raw control characters; escapes are checked when read.
            mutating func parseString(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws {
                let start = i + 1
                var j = start
                var escaped = false
                while true {
                    guard j < b.count else { throw Declined() }
                    let c = b[j]
                    if c == 0x22 { break }
                    if c < 0x20 { throw Declined() }
                    if c == 0x5C {
                        escaped = true
                        j += 2
                        continue
                    }
                    j += 1
                }
                // JSONDecoder refuses a document with a bad escape anywhere, even in a key it never reads.
                if escaped { _ = try Document.unescape(UnsafeBufferPointer(rebasing: b[start..<j])) }
                nodes.append(Node(kind: .string, start: start, end: j, count: 0, next: nodes.count + 1, escaped: escaped))
                i = j + 1
            }

            /// A number in JSON's grammar.
            mutating func parseNumber(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws {
                let start = i
                func digits() -> Int {
                    let from = i
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
                    return i - from
                }
                if i < b.count, b[i] == 0x2D { i += 1 }
                let first = i
                let whole = digits()
                guard whole > 0, whole == 1 || b[first] != 0x30 else { throw Declined() }
                if i < b.count, b[i] == 0x2E {
                    i += 1
                    guard digits() > 0 else { throw Declined() }
                }
                if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
                    i += 1
                    if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
                    guard digits() > 0 else { throw Declined() }
                }
                nodes.append(Node(kind: .number, start: start, end: i, count: 0, next: nodes.count + 1, escaped: false))
            }
        }

        // MARK: Reading values

        func string(_ index: Int) throws -> String {
            let node = nodes[index]
            guard node.kind == .string else { throw Declined() }
            return try bytes.withUnsafeBufferPointer { b in
                let raw = UnsafeBufferPointer(rebasing: b[node.start..<node.end])
                return node.escaped ? try Document.unescape(raw) : String(decoding: raw, as: UTF8.self)
            }
        }

        /// The text of a string with escapes: the two-character ones and `\uXXXX`, with surrogate pairs.
        static func unescape(_ raw: UnsafeBufferPointer<UInt8>) throws -> String {
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            var i = 0
            func hex4(_ at: Int) throws -> UInt32 {
                guard at + 4 <= raw.count else { throw Declined() }
                var v: UInt32 = 0
                for k in at..<(at + 4) {
                    let c = raw[k]
                    let d: UInt8
                    switch c {
                    case 0x30...0x39: d = c - 0x30
                    case 0x61...0x66: d = c - 0x57
                    case 0x41...0x46: d = c - 0x37
                    default: throw Declined()
                    }
                    v = v << 4 | UInt32(d)
                }
                return v
            }
            while i < raw.count {
                let c = raw[i]
                guard c == 0x5C else {
                    out.append(c)
                    i += 1
                    continue
                }
                guard i + 1 < raw.count else { throw Declined() }
                let e = raw[i + 1]
                i += 2
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4(i)
                    i += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard i + 6 <= raw.count, raw[i] == 0x5C, raw[i + 1] == 0x75 else { throw Declined() }
                        let low = try hex4(i + 2)
                        guard (0xDC00...0xDFFF).contains(low) else { throw Declined() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Declined() }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw Declined()
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Whether the key at `index` has the bytes `key`.
        func keyEquals(_ index: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
            let node = nodes[index]
            guard key.count == node.end - node.start else { return false }
            guard let key = key.baseAddress, node.end > node.start else { return true }  // "" (an empty buffer may have no address)
            return bytes.withUnsafeBufferPointer { b in memcmp(b.baseAddress! + node.start, key, node.end - node.start) == 0 }
        }

        /// An integer written as plain digits; anything else (a fraction, an exponent) declines.
        func integer<T: FixedWidthInteger>(_ index: Int, as type: T.Type) throws -> T {
            let node = nodes[index]
            guard node.kind == .number else { throw Declined() }
            var i = node.start
            let negative = bytes[i] == 0x2D
            if negative { i += 1 }
            var value: T = 0
            while i < node.end {
                let c = bytes[i]
                guard c >= 0x30, c <= 0x39 else { throw Declined() }
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let digit = T(c - 0x30)
                let (next, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
                guard !o1, !o2 else { throw Declined() }
                value = next
                i += 1
            }
            return value
        }

        func double(_ index: Int) throws -> Double {
            let node = nodes[index]
            guard node.kind == .number,
                let value = Double(String(decoding: bytes[node.start..<node.end], as: UTF8.self)), value.isFinite
            else { throw Declined() }
            return value
        }

        func bool(_ index: Int) throws -> Bool {
            switch nodes[index].kind {
            case .true: return true
            case .false: return false
            default: throw Declined()
            }
        }

        /// An instant, read by the one timestamp routine; one it refuses declines, and `JSONDecoder`
        /// (with the same routine) then refuses it too.
        func date(_ index: Int) throws -> Date {
            let node = nodes[index]
            guard node.kind == .string, !node.escaped else { throw Declined() }
            let date = bytes.withUnsafeBufferPointer { b in Timestamp.parse(utf8: UnsafeBufferPointer(rebasing: b[node.start..<node.end])) }
            guard let date else { throw Declined() }
            return date
        }
    }

    /// A `Decoder` over one node of a document.
    struct NodeDecoder: Decoder {
        let document: Document
        let node: Int
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            guard document.nodes[node].kind == .object else { throw Declined() }
            return KeyedDecodingContainer(Keyed<Key>(document: document, object: node))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            guard document.nodes[node].kind == .array else { throw Declined() }
            return Unkeyed(document: document, array: node)
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(document: document, node: node) }
    }

    /// Decodes any `Decodable` at `node`: dates in Vigil's form, everything else through its own `init(from:)`.
    static func value<T: Decodable>(_ type: T.Type, _ document: Document, _ node: Int) throws -> T {
        if T.self == Date.self { return try document.date(node) as! T }
        if T.self == String.self { return try document.string(node) as! T }
        if T.self == Int.self { return try document.integer(node, as: Int.self) as! T }
        // Foundation's decoder treats these specially; leave them to it.
        if T.self == Data.self || T.self == URL.self || T.self == Decimal.self { throw Declined() }
        return try T(from: NodeDecoder(document: document, node: node))
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let document: Document
        let object: Int
        var codingPath: [any CodingKey] { [] }

        /// The value node of `key`; nil when absent (keys are unique: the parse declined otherwise).
        func find(_ key: Key) -> Int? {
            var name = key.stringValue
            return name.withUTF8 { k in
                var index = object + 1
                for _ in 0..<document.nodes[object].count {
                    if document.keyEquals(index, k) { return index + 1 }
                    index = document.nodes[index + 1].next
                }
                return nil
            }
        }

        func require(_ key: Key) throws -> Int {
            guard let index = find(key) else { throw Declined() }
            return index
        }

        /// Every key, in document order; a key `Key` cannot hold is left out, as `JSONDecoder` does.
        var allKeys: [Key] {
            var keys: [Key] = []
            var index = object + 1
            for _ in 0..<document.nodes[object].count {
                if let name = try? document.string(index), let key = Key(stringValue: name) { keys.append(key) }
                index = document.nodes[index + 1].next
            }
            return keys
        }

        func contains(_ key: Key) -> Bool { find(key) != nil }

        func decodeNil(forKey key: Key) throws -> Bool { document.nodes[try require(key)].kind == .null }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try document.bool(require(key)) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try document.string(require(key)) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try document.double(require(key)) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { throw Declined() }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try document.integer(require(key), as: Int.self) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try document.integer(require(key), as: type) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try document.integer(require(key), as: type) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try document.integer(require(key), as: type) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try document.integer(require(key), as: type) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try document.integer(require(key), as: type) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try document.integer(require(key), as: type) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try document.integer(require(key), as: type) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try document.integer(require(key), as: type) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try document.integer(require(key), as: type) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try PayloadJSON.value(type, document, require(key))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try NodeDecoder(document: document, node: require(key)).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try NodeDecoder(document: document, node: require(key)).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { throw Declined() }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw Declined() }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let document: Document
        let array: Int
        var codingPath: [any CodingKey] { [] }
        var count: Int? { document.nodes[array].count }
        var currentIndex = 0
        /// The node of the current element.
        var cursor: Int

        init(document: Document, array: Int) {
            self.document = document
            self.array = array
            cursor = array + 1
        }

        var isAtEnd: Bool { currentIndex >= document.nodes[array].count }

        mutating func take() throws -> Int {
            guard !isAtEnd else { throw Declined() }
            let index = cursor
            cursor = document.nodes[index].next
            currentIndex += 1
            return index
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, document.nodes[cursor].kind == .null else { return false }
            _ = try take()
            return true
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { try document.bool(take()) }
        mutating func decode(_ type: String.Type) throws -> String { try document.string(take()) }
        mutating func decode(_ type: Double.Type) throws -> Double { try document.double(take()) }
        mutating func decode(_ type: Float.Type) throws -> Float { throw Declined() }
        mutating func decode(_ type: Int.Type) throws -> Int { try document.integer(take(), as: Int.self) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try document.integer(take(), as: type) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try document.integer(take(), as: type) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try document.integer(take(), as: type) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try document.integer(take(), as: type) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try document.integer(take(), as: type) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try document.integer(take(), as: type) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try document.integer(take(), as: type) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try document.integer(take(), as: type) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try document.integer(take(), as: type) }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try PayloadJSON.value(type, document, take()) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try NodeDecoder(document: document, node: take()).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try NodeDecoder(document: document, node: take()).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder { throw Declined() }
    }

    struct Single: SingleValueDecodingContainer {
        let document: Document
        let node: Int
        var codingPath: [any CodingKey] { [] }

        func decodeNil() -> Bool { document.nodes[node].kind == .null }
        func decode(_ type: Bool.Type) throws -> Bool { try document.bool(node) }
        func decode(_ type: String.Type) throws -> String { try document.string(node) }
        func decode(_ type: Double.Type) throws -> Double { try document.double(node) }
        func decode(_ type: Float.Type) throws -> Float { throw Declined() }
        func decode(_ type: Int.Type) throws -> Int { try document.integer(node, as: Int.self) }
        func decode(_ type: Int8.Type) throws -> Int8 { try document.integer(node, as: type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try document.integer(node, as: type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try document.integer(node, as: type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try document.integer(node, as: type) }
        func decode(_ type: UInt.Type) throws -> UInt { try document.integer(node, as: type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try document.integer(node, as: type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try document.integer(node, as: type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try document.integer(node, as: type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try document.integer(node, as: type) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try PayloadJSON.value(type, document, node) }
    }
}
