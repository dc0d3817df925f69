/// Hexadecimal text of bytes: the one place Vigil writes or reads hex (signer references, `bytea`,
/// UUIDs).
public enum Hex {
    /// The value of one hex digit in either case (`0`–`9`, `a`–`f`, `A`–`F`); nil for any other byte.
    @inlinable
    public static func digit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c &- 0x30
        case 0x61...0x66: return c &- 0x57
        case 0x41...0x46: return c &- 0x37
        default: return nil
        }
    }

    /// Lower-case hex of `bytes`, two digits a byte.
    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(lowerDigits[Int(b >> 4)])
            out.append(lowerDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` spells in hex, either case; nil unless it is an even number of hex digits.
    @inlinable
    public static func decode(_ text: some StringProtocol) -> [UInt8]? { decode(utf8: text.utf8) }

    /// The bytes hex digits given as UTF-8 spell, either case; nil unless they are an even number of hex digits.
    @inlinable
    public static func decode(utf8: some Collection<UInt8>) -> [UInt8]? {
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var high: UInt8?
        for c in utf8 {
            guard let value = digit(c) else { return nil }
            if let h = high {
                out.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return out
    }

    @usableFromInline
    static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
