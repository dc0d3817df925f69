/// A stable 64-bit FNV-1a hash of text: the same on every machine and run (Swift's `hashValue` is
/// seeded per process). For checksums, advisory-lock keys and idempotency keys, not for security.
public enum StableHash {
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
