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

    static func seal(_ plaintext: [UInt8], key: SymmetricKey, _ purpose: Purpose, owner: String) -> [UInt8] {
        // AES-GCM with a fresh random nonce fails only on a nonce of the wrong size, which this is not.
        let box = try! AES.GCM.seal(plaintext, using: key, authenticating: aad(purpose, owner))
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

extension MasterKey {
    /// `key` (32 bytes) sealed under this master key for `owner`.
    func wrap(_ key: [UInt8], _ purpose: Sealing.Purpose, owner: String) -> [UInt8] {
        Sealing.seal(key, key: symmetricKey, purpose, owner: owner)
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
