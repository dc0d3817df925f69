import Foundation
internal import CLibPQ

extension Connection {
    /// Runs `COPY … FROM STDIN` (text format) and streams `rows` to it; returns how many rows were copied.
    ///
    /// Values are escaped for COPY's text format; nil is NULL. The rows are sent in 64 KiB pieces and
    /// never held in memory all at once.
    @discardableResult
    public func copyIn<S: Sequence>(_ sql: String, rows: S) throws -> Int where S.Element == [String?] {
        try copying(sql) { send in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 16)
            for row in rows {
                for (i, value) in row.enumerated() {
                    if i > 0 { buffer.append(UInt8(ascii: "\t")) }
                    Connection.appendCopyText(value, to: &buffer)
                }
                buffer.append(UInt8(ascii: "\n"))
                if buffer.count >= 1 << 16 {
                    guard send(buffer[...]) else { return }
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            _ = send(buffer[...])
        }
    }

    /// Runs `COPY … FROM STDIN WITH (FORMAT binary)` and sends `parts`, one after another, between the
    /// format's header and trailer; returns how many rows were copied. Binary rows skip the server's
    /// parsing of text (and a `bytea` goes as itself, not as twice as many hex digits).
    @discardableResult
    public func copyIn(_ sql: String, binary parts: [BinaryCopyRows]) throws -> Int {
        try copying(sql) { send in
            guard send(BinaryCopyRows.header) else { return }
            for part in parts {
                var offset = 0
                while offset < part.bytes.count {
                    let end = min(part.bytes.count, offset + (1 << 20))
                    guard send(part.bytes[offset..<end]) else { return }
                    offset = end
                }
            }
            _ = send(BinaryCopyRows.trailer)
        }
    }

    /// Starts the COPY `sql`, lets `body` send its data (`send` returns false once sending failed, and
    /// `body` should stop), ends it and returns how many rows the server copied.
    private func copying(_ sql: String, _ body: (_ send: (ArraySlice<UInt8>) -> Bool) throws -> Void) throws -> Int {
        let conn = try live()
        guard let start = PQexec(conn, sql) else { throw lastError(conn, "no result from COPY") }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            try check(start)
            throw PostgresError(kind: .client, message: "the statement did not start COPY FROM STDIN")
        }
        PQclear(start)

        var sendError: PostgresError?
        func send(_ bytes: ArraySlice<UInt8>) -> Bool {
            guard sendError == nil else { return false }
            guard !bytes.isEmpty else { return true }
            let ok = bytes.withUnsafeBufferPointer { bytes in
                bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    PQputCopyData(conn, $0, Int32(bytes.count))
                }
            }
            if ok != 1 { sendError = lastError(conn, "COPY data could not be sent") }
            return sendError == nil
        }
        var bodyError: Error?
        do {
            try body(send)
        } catch {
            bodyError = error
        }
        let endMessage: String? = (sendError != nil || bodyError != nil) ? "client gave up" : nil
        let ended = PQputCopyEnd(conn, endMessage)
        var copied = 0
        var serverError: PostgresError?
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            do {
                try check(result)
                copied = Int(String(cString: PQcmdTuples(result))) ?? copied
            } catch let error as PostgresError {
                serverError = serverError ?? error
            }
        }
        if let bodyError { throw bodyError }
        if let sendError { throw sendError }
        if ended != 1 { throw lastError(conn, "COPY could not be ended") }
        if let serverError { throw serverError }
        return copied
    }

    /// Appends one value in COPY text format: `\N` for NULL; backslash, tab, newline and CR escaped.
    static func appendCopyText(_ value: String?, to buffer: inout [UInt8]) {
        guard let value else {
            buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "N"))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "t"))
            case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "r"))
            default: buffer.append(byte)
            }
        }
    }
}

/// Rows in COPY's binary format, built a value at a time, for `copyIn(_:binary:)`: each value goes in as
/// its type's binary form (a `uuid` its 16 bytes, a `boolean` one byte, `text` its UTF-8, a `bytea` itself).
/// Building never fails; the server checks every row against the table's column types. Pieces built on
/// several threads are sent one after another.
public struct BinaryCopyRows: Sendable {
    /// The rows so far, without the format's header and trailer.
    public private(set) var bytes: [UInt8] = []
    /// How many rows were started.
    public private(set) var count = 0

    /// Empty rows, with room for `capacity` bytes.
    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Starts a row of `fields` values; exactly that many must follow.
    public mutating func startRow(fields: Int) {
        appendBigEndian(UInt16(fields))
        count += 1
    }

    /// A value of `bytes` bytes as they are: a `bytea`, or any type's binary form.
    public mutating func append(_ value: some Collection<UInt8>) {
        appendBigEndian(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `text` value.
    public mutating func append(text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// A `uuid` value.
    public mutating func append(uuid: UUID) {
        appendBigEndian(UInt32(16))
        withUnsafeBytes(of: uuid.uuid) { bytes.append(contentsOf: $0) }
    }

    /// A `boolean` value.
    public mutating func append(bool: Bool) {
        appendBigEndian(UInt32(1))
        bytes.append(bool ? 1 : 0)
    }

    /// A NULL.
    public mutating func appendNull() { appendBigEndian(UInt32.max) }

    private mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// The signature, flags (none) and header extension length (none) that start the data.
    static let header: ArraySlice<UInt8> = ArraySlice(Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0])
    /// The field count -1 that ends it.
    static let trailer: ArraySlice<UInt8> = [0xFF, 0xFF]
}
