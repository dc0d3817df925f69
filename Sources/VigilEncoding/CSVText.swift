/// CSV as every front end writes it (RFC 4180 quoting), with cells a spreadsheet would run as formulas
/// neutralised. Hand-written: it is twelve lines, and the CSV packages on this machine read CSV rather
/// than write it.
public enum CSVText {
    /// A CSV cell. A cell a spreadsheet would run as a formula (starting with = + - @, a tab or a
    /// carriage return) gets a leading apostrophe, so it is shown as text (OWASP's CSV injection advice);
    /// a plain number (`-77.0665`, a longitude west of Greenwich) is a number, not a formula, and stays.
    public static func field(_ text: String) -> String {
        var cell = text
        if let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), !isPlainNumber(cell) { cell = "'" + cell }
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `-12`, `+3.5`: a sign, digits, at most one point with digits after it, and nothing else.
    static func isPlainNumber(_ text: String) -> Bool {
        let body = text.utf8.dropFirst()
        guard let first = body.first, (0x30...0x39).contains(first) else { return false }
        var point = false
        var last: UInt8 = 0
        for c in body {
            if c == UInt8(ascii: ".") {
                if point { return false }
                point = true
            } else if !(0x30...0x39).contains(c) {
                return false
            }
            last = c
        }
        return last != UInt8(ascii: ".")
    }

    /// A header line and one line per row, each ended by CRLF as RFC 4180 asks.
    public static func document(headers: [String], rows: [[String]]) -> String {
        ([headers] + rows).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }
}
