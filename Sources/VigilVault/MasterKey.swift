import Crypto
import Foundation
import VigilAudit
import VigilEncoding

/// The key that wraps every data key of the vault. It never enters the database: it is read from a key
/// file (`VIGIL_MASTER_KEY_FILE`, made by `vigil keys init`) or from the environment (`VIGIL_MASTER_KEY`,
/// 32 bytes in base64), and only the commands that seal or open a subject need it.
///
/// Printing a key, with `print`, `dump` or string interpolation, shows only its id: 16 hex digits of a
/// hash of the key, which say which key wrapped a row without saying anything about the key.
public struct MasterKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The 32 key bytes. Kept as bytes (`SymmetricKey` is not `Sendable`).
    private let bytes: [UInt8]
    /// The key's id, as the vault's rows carry it.
    public let id: String

    /// The first line of a key file: what the file is, for a person who finds it.
    static let fileHeader = "vigil master key (AES-256, base64); keep it outside the database, mode 0600"
    /// The environment variables a key is read from.
    public static let environmentKey = "VIGIL_MASTER_KEY"
    public static let environmentFile = "VIGIL_MASTER_KEY_FILE"

    /// A new random key, in memory (tests; `generate(to:)` makes one to keep).
    public init() {
        self.init(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
        var hash = SHA256()
        hash.update(data: Array("vigil master key id\u{0}".utf8))
        hash.update(data: bytes)
        id = Hex.encode(Array(hash.finalize()).prefix(8))
    }

    var symmetricKey: SymmetricKey { SymmetricKey(data: bytes) }

    /// Makes a new key and writes it to `path` (mode 0600). Refuses when the file exists: a master key is
    /// never overwritten, since the vault's data keys are wrapped by it.
    @discardableResult
    public static func generate(to path: String) throws -> MasterKey {
        let key = MasterKey()
        let text = fileHeader + "\n" + Data(key.bytes).base64EncodedString() + "\n"
        try wrappingFileErrors { try AuditFile.createExclusive(path, bytes: Array(text.utf8), mode: 0o600, what: "master key") }
        return key
    }

    /// Loads a key file written by `generate(to:)`. Refuses a file that others than its owner may read or
    /// write, as ssh does. Errors name the file and never quote it.
    public static func load(from path: String) throws -> MasterKey {
        let (bytes, mode) = try wrappingFileErrors { try AuditFile.load(path, what: "master key", limit: 4096) }
        guard mode & 0o077 == 0 else {
            throw VaultError.keyFileTooOpen(path: path, mode: String(mode, radix: 8))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw VaultError.keyFileMalformed(path: path, reason: "it is not text")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let last = lines.last, let key = decode(last) else {
            throw VaultError.keyFileMalformed(path: path, reason: "its last line is not 32 bytes in base64, as vigil keys init writes it")
        }
        return key
    }

    /// The key the environment names: `VIGIL_MASTER_KEY` (32 bytes in base64), else the file
    /// `VIGIL_MASTER_KEY_FILE`; nil when neither is set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MasterKey? {
        if let value = environment[environmentKey], !value.isEmpty {
            guard let key = decode(value.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw VaultError.environmentKeyMalformed
            }
            return key
        }
        if let path = environment[environmentFile], !path.isEmpty { return try load(from: path) }
        return nil
    }

    /// A key from its base64 text; nil unless it is exactly 32 bytes.
    static func decode(_ base64: String) -> MasterKey? {
        guard let data = Data(base64Encoded: base64), data.count == 32 else { return nil }
        return MasterKey(bytes: Array(data))
    }

    /// Names the key by its id only.
    public var description: String { "MasterKey(id \(id))" }
    /// Names the key by its id only.
    public var debugDescription: String { description }
    /// Shows `dump` the id only.
    public var customMirror: Mirror { Mirror(self, children: ["id": id]) }

    /// Runs a file step, turning the audit layer's file errors into the vault's.
    private static func wrappingFileErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as AuditError {
            throw VaultError.keyFile(error.description)
        }
    }
}
