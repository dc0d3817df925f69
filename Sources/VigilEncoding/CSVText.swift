/// CSV as every front end writes it (RFC 4180 quoting), with cells a spreadsheet would run as formulas
/// neutralised. Hand-written: it is twelve lines, and the CSV packages on this machine read CSV rather
/// than write it.
public enum CSVText {
    /// A CSV cell. A cell a spreadsheet would run as a formula (starting with = + - @, a tab or a
    /// carriage return) gets a leading apostrophe, so it is shown as text (OWASP's CSV injection advice).
    public static func field(_ text: String) -> String {
        var cell = text
        if let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { cell = "'" + cell }
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A header line and one line per row, each ended by CRLF as RFC 4180 asks.
    public static func document(headers: [String], rows: [[String]]) -> String {
        ([headers] + rows).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }
}
