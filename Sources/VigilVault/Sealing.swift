import Crypto
import Foundation

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

/// Random bytes from the generator `SymmetricKey(size:)` uses (the system's), drawn `chunk` bytes at a
/// time and handed out a few at a time: a sealed subject takes 72 (its id, its data key, two nonces), and
/// a system call for each of the four cost an import a fifth of its sealing. The bytes handed out are
/// zeroed in the buffer. Not `Sendable`: one per thread.
public struct RandomBytes {
    private let chunk: Int
    private var buffer: [UInt8] = []
    private var offset = 0

    /// Draws `chunk` bytes when it runs out: 72 for one subject, more for a batch.
    public init(chunk: Int = 1 << 16) { self.chunk = chunk }

    /// The next `count` random bytes.
    mutating func take(_ count: Int) -> [UInt8] {
        if offset + count > buffer.count {
            buffer = SymmetricKey(size: SymmetricKeySize(bitCount: 8 * max(chunk, count))).withUnsafeBytes { Array($0) }
            offset = 0
        }
        let taken = Array(buffer[offset..<(offset + count)])
        for i in offset..<(offset + count) { buffer[i] = 0 }
        offset += count
        return taken
    }

    /// A random (version 4) UUID, as `UUID()` makes one.
    mutating func uuid() -> UUID {
        var b = take(16)
        b[6] = b[6] & 0x0F | 0x40
        b[8] = b[8] & 0x3F | 0x80
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
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
