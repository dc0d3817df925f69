import Foundation
internal import CLibPQ

extension Connection {
    /// Runs `COPY … FROM STDIN` (text format) and streams `rows` to it; returns how many rows were copied.
    ///
    /// Values are escaped for COPY's text format; nil is NULL. The rows are sent in 64 KiB pieces and
    /// never held in memory all at once.
    @discardableResult
    public func copyIn<S: Sequence>(_ sql: String, rows: S) throws -> Int where S.Element == [String?] {
        let conn = try live()
        guard let start = PQexec(conn, sql) else { throw lastError(conn, "no result from COPY") }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            try check(start)
            throw PostgresError(kind: .client, message: "the statement did not start COPY FROM STDIN")
        }
        PQclear(start)

        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var sendError: PostgresError?
        func flush() {
            guard sendError == nil, !buffer.isEmpty else { return }
            let ok = buffer.withUnsafeBufferPointer { bytes in
                bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    PQputCopyData(conn, $0, Int32(bytes.count))
                }
            }
            if ok != 1 { sendError = lastError(conn, "COPY data could not be sent") }
            buffer.removeAll(keepingCapacity: true)
        }
        for row in rows {
            for (i, value) in row.enumerated() {
                if i > 0 { buffer.append(UInt8(ascii: "\t")) }
                Connection.appendCopyText(value, to: &buffer)
            }
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 1 << 16 { flush() }
            if sendError != nil { break }
        }
        flush()
        let endMessage: String? = sendError.map { _ in "client gave up" }
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
