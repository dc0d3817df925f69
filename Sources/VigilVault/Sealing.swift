import Crypto
import Foundation
#if os(Linux)
import Glibc
#endif

/// AES-256-GCM as the vault uses it: a random 96-bit nonce per seal, stored as nonce ‖ ciphertext ‖ tag,
/// and the row's identity authenticated with it (what it is and whose), so that a sealed value moved to
/// another row, or a wrapped key put in place of a value, does not open.
enum Sealing {
    /// What a sealed value is, authenticated with it.
    enum Purpose: String {
        case dataKey = "data key"
        case fields = "fields"
        case petitionKey = "petition key"
    }

    static func aad(_ purpose: Purpose, _ owner: String) -> [UInt8] {
        Array("vigil vault 1\u{0}\(purpose.rawValue)\u{0}\(owner)".utf8)
    }

    /// `plaintext` sealed under `key` with a random nonce: the system's, or 12 bytes of `random`.
    static func seal(_ plaintext: [UInt8], key: SymmetricKey, _ purpose: Purpose, owner: String, random: inout RandomBytes) -> [UInt8] {
        // AES-GCM fails only on a nonce of the wrong size, which this is not; a box with the standard
        // nonce size always has a combined form.
        let nonce = try! AES.GCM.Nonce(data: random.take(12))
        let box = try! AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: aad(purpose, owner))
        return Array(box.combined!)
    }

    /// The plaintext, or `VaultError.damaged` naming `what` when it does not open.
    static func open(_ sealed: [UInt8], key: SymmetricKey, _ purpose: Purpose, owner: String, what: String) throws -> [UInt8] {
        do {
            return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: aad(purpose, owner)))
        } catch {
            throw VaultError.damaged(what: what)
        }
    }

    /// A new random 256-bit key, as bytes.
    static func newKey() -> [UInt8] { SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) } }
}

/// Random bytes from the system's generator (the one `SymmetricKey(size:)` uses), drawn `chunk` bytes at
/// a time and handed out a few at a time: a sealed subject takes 72 (its id, its data key, two nonces).
/// The bytes handed out are zeroed in the buffer. Not `Sendable`: one per thread.
public struct RandomBytes {
    private let chunk: Int
    private var buffer: [UInt8] = []
    private var offset = 0
    /// The sequence number in this generator's ids (`uuid()`), from a random start.
    private var sequence: UInt32?

    /// Draws `chunk` bytes when it runs out: 72 for one subject, more for a batch.
    public init(chunk: Int = 1 << 16) { self.chunk = chunk }

    /// Makes sure `count` bytes are there to take.
    private mutating func fill(_ count: Int) {
        if offset + count > buffer.count {
            buffer = RandomBytes.system(max(chunk, count))
            offset = 0
        }
    }

    /// `count` bytes from the system's generator. On Linux one read of `/dev/urandom` (the kernel's
    /// generator, as `getrandom` is): `SymmetricKey(size:)` (swift-crypto) asks
    /// `SystemRandomNumberGenerator` for 8 bytes at a time, a system call each, which was a fifth of an
    /// import's sealing even with the bytes drawn in bulk.
    static func system(_ count: Int) -> [UInt8] {
        #if os(Linux)
        var bytes = [UInt8](repeating: 0, count: count)
        let done: Bool = bytes.withUnsafeMutableBytes { buffer in
            let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var done = 0
            while done < count {
                let got = read(fd, buffer.baseAddress! + done, count - done)
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { return false }
                done += got
            }
            return true
        }
        if done { return bytes }
        #endif
        return SymmetricKey(size: SymmetricKeySize(bitCount: 8 * count)).withUnsafeBytes { Array($0) }
    }

    /// The next `count` random bytes.
    mutating func take(_ count: Int) -> [UInt8] {
        withBytes(count) { Array($0) }
    }

    /// Lends `body` the next `count` random bytes, then zeroes them in the buffer.
    mutating func withBytes<R>(_ count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        fill(count)
        let start = offset
        offset += count
        return try buffer.withUnsafeMutableBytes { all in
            let bytes = UnsafeMutableRawBufferPointer(rebasing: all[start..<(start + count)])
            defer { bytes.initializeMemory(as: UInt8.self, repeating: 0) }
            return try body(UnsafeRawBufferPointer(bytes))
        }
    }

    /// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix time in milliseconds, then a 32-bit
    /// sequence number that goes up by one an id from a random start (so one generator's ids only ever
    /// grow), then 42 random bits. Ids made one after another land at the right-hand end of an index on
    /// them, as appends, where random ids would each dirty a page of their own. The time they hold to the
    /// millisecond is the creation time the row's `created_at` holds anyway.
    mutating func uuid() -> UUID {
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        // A random start in the lower half: 2^31 ids before the number could wrap.
        let n = sequence ?? withBytes(4) { UInt32($0[0]) << 23 | UInt32($0[1]) << 15 | UInt32($0[2]) << 7 | UInt32($0[3]) >> 1 }
        sequence = n &+ 1
        return uuid(millis: millis, sequence: n)
    }

    /// The version 7 UUID of `millis` and `sequence`, its last 42 bits random.
    mutating func uuid(millis: UInt64, sequence n: UInt32) -> UUID {
        var b = take(16)
        for i in 0..<6 { b[i] = UInt8(truncatingIfNeeded: millis >> (40 - 8 * UInt64(i))) }
        b[6] = 0x70 | UInt8(truncatingIfNeeded: n >> 28)
        b[7] = UInt8(truncatingIfNeeded: n >> 20)
        b[8] = 0x80 | UInt8(truncatingIfNeeded: n >> 14) & 0x3F
        b[9] = UInt8(truncatingIfNeeded: n >> 6)
        b[10] = UInt8(truncatingIfNeeded: n << 2) | b[10] & 0x03
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}

/// The same bytes as a generator for `shuffle(using:)` and the like: `SystemRandomNumberGenerator` makes a
/// system call for each 8 bytes, which put the shuffle of an import's batch (50,000 draws) at a twentieth
/// of the sealing thread's time in `perf`.
extension RandomBytes: RandomNumberGenerator {
    public mutating func next() -> UInt64 {
        withBytes(8) { $0.loadUnaligned(as: UInt64.self) }
    }
}

extension MasterKey {
    /// `key` (32 bytes) sealed under this master key for `owner`.
    func wrap(_ key: [UInt8], _ purpose: Sealing.Purpose, owner: String) -> [UInt8] {
        var random = RandomBytes(chunk: 12)
        return wrap(key, purpose, owner: owner, random: &random)
    }

    /// `wrap`, with the nonce from `random`.
    func wrap(_ key: [UInt8], _ purpose: Sealing.Purpose, owner: String, random: inout RandomBytes) -> [UInt8] {
        Sealing.seal(key, key: symmetricKey, purpose, owner: owner, random: &random)
    }

    /// The key `wrap` sealed for `owner`.
    func unwrap(_ wrapped: [UInt8], _ purpose: Sealing.Purpose, owner: String) throws -> SymmetricKey {
        SymmetricKey(data: try Sealing.open(wrapped, key: symmetricKey, purpose, owner: owner, what: "the \(purpose.rawValue) of \(owner)"))
    }
}

/// HMAC-SHA-256 under one petition's key, keyed once: each blind index copies the keyed state instead of
/// deriving the key's pads again (an import makes a million).
public struct BlindIndexer: Sendable {
    private let keyBytes: [UInt8]

    init(key: SymmetricKey) { keyBytes = key.withUnsafeBytes { Array($0) } }

    /// A keyed state to make many indexes from, on one thread.
    public func makeHasher() -> Hasher { Hasher(keyed: HMAC<SHA256>(key: SymmetricKey(data: keyBytes))) }

    /// Makes blind indexes; not `Sendable` (one per thread).
    public struct Hasher {
        let keyed: HMAC<SHA256>

        /// The blind index of a normalised identity: 32 bytes.
        public func index(_ normalised: String) -> [UInt8] {
            var hmac = keyed
            hmac.update(data: Array(normalised.utf8))
            return Array(hmac.finalize())
        }
    }
}
