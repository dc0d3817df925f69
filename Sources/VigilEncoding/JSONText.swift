/// JSON string literals: the one place Vigil escapes text for JSON it writes by hand (the store's
/// append arguments, the audit export's lines), where a whole `JSONEncoder` would be work for nothing.
public enum JSONText {
    /// Appends a JSON string literal of `text` to `out`, with the escapes RFC 8259 requires and nothing
    /// else escaped. Byte by byte: every escaped character is ASCII, so none occurs inside another's UTF-8.
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(Hex.lowerDigits[Int(byte >> 4)])
                out.append(Hex.lowerDigits[Int(byte & 0x0f)])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    /// A JSON string literal of `text`, quotes included.
    public static func string(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        appendString(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
