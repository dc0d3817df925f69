import Crypto
import Foundation
import PostgresClient
import VigilEncoding

/// A blind index as a value: 32 bytes, hashable, without an array's allocation. A batch of an import is
/// told apart from its own repeats by these.
public struct BlindIndex: Hashable, Comparable, Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64)

    init(_ bytes: UnsafeRawBufferPointer) {
        words = (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    /// The 32 bytes, in order.
    public var bytes: [UInt8] { withUnsafeBytes(of: words) { Array($0) } }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { withUnsafeBytes(of: words) { body($0) } }

    /// The same 32 bytes.
    public static func == (a: BlindIndex, b: BlindIndex) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    /// Hashes the first 16 bytes: an HMAC's bytes are as good as random.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    /// In the order of the bytes, as PostgreSQL orders a `bytea` (and so the petition's unique index).
    public static func < (a: BlindIndex, b: BlindIndex) -> Bool {
        if a.words.0 != b.words.0 { return a.words.0.bigEndian < b.words.0.bigEndian }
        if a.words.1 != b.words.1 { return a.words.1.bigEndian < b.words.1.bigEndian }
        if a.words.2 != b.words.2 { return a.words.2.bigEndian < b.words.2.bigEndian }
        return a.words.3.bigEndian < b.words.3.bigEndian
    }
}

/// Signers sealed for the vault, a part of an import's batch, as the rows COPY writes straight into the
/// vault's two tables: `vault.signatures` (petition, blind index, subject id, consent) and
/// `vault.subjects` (subject id, kind, master key id, wrapped data key, sealed record); beside them each
/// signer's subject id and country, for the counts, and the blind indexes to look for before copying.
public struct SealedSigners: Sendable {
    /// Rows of `vault.signatures`: petition, blind index, subject id, consent.
    public internal(set) var signatures: BinaryCopyRows
    /// Rows of `vault.subjects`: subject id, kind, master key id, wrapped data key, sealed record.
    public internal(set) var subjects: BinaryCopyRows
    /// Each signer's subject id, in the order of the rows.
    public internal(set) var ids: [UUID] = []
    /// Each signer's country, "ZZ" where unknown.
    public internal(set) var countries: [String] = []
    /// How many signers of each country.
    public internal(set) var byCountry: [String: Int] = [:]
    /// Each signer's blind index, in the order of the rows, as `bytea` text (`\\x` and 64 hex digits): the
    /// import looks for all of them before it copies (`Vault.addSealed`).
    public internal(set) var blindIndexes: [String] = []

    /// No signers yet, with room for `capacity`.
    public init(capacity: Int = 0) {
        signatures = BinaryCopyRows(capacity: capacity * 80)
        subjects = BinaryCopyRows(capacity: capacity * 200)
        ids.reserveCapacity(capacity)
        blindIndexes.reserveCapacity(capacity)
        countries.reserveCapacity(capacity)
    }

    /// How many signers.
    public var count: Int { ids.count }
}

/// Seals signers of one petition as new subjects, for an import, on one thread (not `Sendable`: one per
/// thread, each with its own buffers, reused from one signer to the next). A subject gets a time-ordered
/// id (`RandomBytes.uuid()`), a new data key wrapped by the master key, and its record sealed under that
/// key, byte for byte as `SubjectSealer.sealed` seals it: the same associated data, so `Vault` opens
/// both alike.
public struct SignerBatchSealer {
    let masterId: [UInt8]
    let masterKey: SymmetricKey
    let petitionId: String
    let hasher: BlindIndexer.Hasher
    var random = RandomBytes()
    /// The associated data of the two seals, the prefix kept and the rest rewritten per signer.
    var keyAAD: [UInt8]
    var fieldsAAD: [UInt8]
    var json: [UInt8] = []
    let keyPrefix: Int
    let fieldsPrefix: Int

    /// The ids of one batch: the same millisecond, and a sequence number from a random start, one up a
    /// signer in the batch's order (`append`'s `position`).
    let millis: UInt64
    let firstSequence: UInt32

    /// A sealer for one batch's signers, on one thread; `batch` says which ids the batch's signers get
    /// (`SignerBatchSealer.ids()`, the same for every thread of the batch).
    public init(sealer: SubjectSealer, petitionId: String, indexer: BlindIndexer, batch ids: (millis: UInt64, firstSequence: UInt32)) {
        (millis, firstSequence) = ids
        masterId = Array(sealer.master.id.utf8)
        masterKey = sealer.master.symmetricKey
        self.petitionId = petitionId
        hasher = indexer.makeHasher()
        keyAAD = Sealing.aad(.dataKey, "")
        fieldsAAD = Sealing.aad(.fields, "")
        keyPrefix = keyAAD.count
        fieldsPrefix = fieldsAAD.count
        json.reserveCapacity(256)
    }

    /// The ids of a batch sealed now: this millisecond, and a random first sequence number in the lower
    /// half of its range (so that a batch of up to 2^31 signers never wraps).
    public static func ids() -> (millis: UInt64, firstSequence: UInt32) {
        var random = RandomBytes(chunk: 4)
        let bytes = random.take(4)
        return (UInt64(Date().timeIntervalSince1970 * 1000), UInt32(bytes[0]) << 23 | UInt32(bytes[1]) << 15 | UInt32(bytes[2]) << 7 | UInt32(bytes[3]) >> 1)
    }

    /// The blind index of a normalised identity.
    public func index(_ normalised: String) -> BlindIndex {
        var hmac = hasher.keyed
        var text = normalised
        text.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
        return hmac.finalize().withUnsafeBytes { BlindIndex($0) }
    }

    /// Seals one signer, the `position`th of the batch in the order its rows go in (a random order, see
    /// `ImportBatches.sealed`), and appends their rows to `batch`. Their id follows the previous position's, so
    /// both of the vault's indexes on a batch's rows take them in order.
    public mutating func append(
        to batch: inout SealedSigners, position: Int, blindIndex: BlindIndex, record: SignerRecord, consent: Bool, country: String?
    ) {
        let id = random.uuid(millis: millis, sequence: firstSequence &+ UInt32(truncatingIfNeeded: position))
        // The owner, as `uuidString.lowercased()` writes it, straight into both associated data.
        keyAAD.removeSubrange(keyPrefix...)
        appendLowerUUID(id, to: &keyAAD)
        fieldsAAD.removeSubrange(fieldsPrefix...)
        appendLowerUUID(id, to: &fieldsAAD)
        // SubjectSealer.signerBinding: signer, petition, blind index in hex, consent.
        fieldsAAD.append(0)
        fieldsAAD.append(contentsOf: "signer".utf8)
        fieldsAAD.append(0)
        fieldsAAD.append(contentsOf: petitionId.utf8)
        fieldsAAD.append(0)
        blindIndex.withBytes { bytes in
            for b in bytes {
                fieldsAAD.append(lowerHex[Int(b >> 4)])
                fieldsAAD.append(lowerHex[Int(b & 0x0F)])
            }
        }
        fieldsAAD.append(0)
        fieldsAAD.append(contentsOf: consent ? "true".utf8 : "false".utf8)

        json.removeAll(keepingCapacity: true)
        record.appendSealedJSON(to: &json)

        // The data key and the two nonces, drawn at once (and zeroed in the buffer after).
        let (wrapped, sealed) = random.withBytes(56) { bytes in
            let key = UnsafeRawBufferPointer(rebasing: bytes[0..<32])
            let dataKey = SymmetricKey(data: key)
            // AES-GCM fails only on a nonce of the wrong size, which these are not.
            let wrapped = try! AES.GCM.seal(
                key, using: masterKey, nonce: try! AES.GCM.Nonce(data: UnsafeRawBufferPointer(rebasing: bytes[32..<44])), authenticating: keyAAD)
            let sealed = try! AES.GCM.seal(
                json, using: dataKey, nonce: try! AES.GCM.Nonce(data: UnsafeRawBufferPointer(rebasing: bytes[44..<56])), authenticating: fieldsAAD)
            return (wrapped, sealed)
        }

        batch.signatures.startRow(fields: 4)
        batch.signatures.append(text: petitionId)
        blindIndex.withBytes { batch.signatures.append($0) }
        batch.signatures.append(uuid: id)
        batch.signatures.append(bool: consent)

        batch.subjects.startRow(fields: 5)
        batch.subjects.append(uuid: id)
        batch.subjects.append(text: "signer")
        batch.subjects.append(masterId)
        wrapped.combined!.withUnsafeBytes { batch.subjects.append($0) }
        sealed.combined!.withUnsafeBytes { batch.subjects.append($0) }

        batch.blindIndexes.append("\\x" + Hex.encode(blindIndex.bytes))
        batch.ids.append(id)
        batch.countries.append(country ?? "ZZ")
        batch.byCountry[country ?? "ZZ", default: 0] += 1
    }
}

private let lowerHex: [UInt8] = Array("0123456789abcdef".utf8)

/// `id` as 36 lower-case characters, as `UUID().uuidString.lowercased()` writes it.
func appendLowerUUID(_ id: UUID, to out: inout [UInt8]) {
    withUnsafeBytes(of: id.uuid) { bytes in
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(lowerHex[Int(b >> 4)])
            out.append(lowerHex[Int(b & 0x0F)])
        }
    }
}
