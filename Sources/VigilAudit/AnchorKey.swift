import Crypto
import Foundation
import VigilEncoding

/// The Ed25519 key that signs anchors. It lives in a file outside the database and never enters it:
/// whoever owns the database can rewrite every hash in it, but cannot sign an anchor.
///
/// Files are PEM, the forms OpenSSL reads and writes (`openssl genpkey -algorithm ed25519` makes one
/// this loads; `openssl pkey -pubin -in KEY.pub -text` shows a public key): the private key as PKCS#8
/// (`BEGIN PRIVATE KEY`, RFC 8410), mode 0600, and the public key beside it as SubjectPublicKeyInfo
/// (`BEGIN PUBLIC KEY`) in `PATH.pub`. Printing a key, with `print`, `dump` or string interpolation,
/// shows only its public half.
public struct AnchorKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The 32-byte seed. Kept as bytes (the library's key type is not `Sendable`); the key is rebuilt
    /// from it to sign, which costs far less than the signature.
    private let seed: [UInt8]

    /// The public half, which every anchor carries and auditors compare with the key they trust.
    public let publicKey: AnchorPublicKey

    /// A new random key, in memory only (tests; `generate(to:)` is the way to make a key to keep).
    public init() {
        self.init(Curve25519.Signing.PrivateKey())
    }

    init(_ privateKey: Curve25519.Signing.PrivateKey) {
        seed = Array(privateKey.rawRepresentation)
        publicKey = AnchorPublicKey(privateKey.publicKey)
    }

    /// Makes a new key and writes it to `path` (mode 0600) and its public half to `path` + `.pub`
    /// (mode 0644). Refuses when either file exists: a signing key is never overwritten.
    @discardableResult
    public static func generate(to path: URL) throws -> AnchorKey {
        let privatePath = path.path
        let publicPath = publicKeyPath(for: path).path
        for (file, what) in [(privatePath, "private key"), (publicPath, "public key")] where AuditFile.exists(file) {
            throw AuditError.fileExists(path: file, what: what)
        }
        let key = AnchorKey()
        try AuditFile.createExclusive(
            privatePath, bytes: Array(PEM.encode(PEM.privateKeyPrefix + key.seed, label: "PRIVATE KEY").utf8),
            mode: 0o600, what: "private key")
        do {
            try AuditFile.createExclusive(publicPath, bytes: Array(key.publicKey.pem.utf8), mode: 0o644, what: "public key")
        } catch {
            // Half a pair is worse than none: the private key would sign anchors nobody can check.
            unlink(privatePath)
            throw error
        }
        return key
    }

    /// Where `generate(to:)` puts the public key of the private key at `path`.
    public static func publicKeyPath(for path: URL) -> URL {
        path.deletingLastPathComponent().appendingPathComponent(path.lastPathComponent + ".pub")
    }

    /// Loads a private key file written by `generate(to:)` or by OpenSSL. Refuses a file that others
    /// than its owner may read or write, as ssh does.
    public static func load(from path: URL) throws -> AnchorKey {
        let (bytes, mode) = try AuditFile.load(path.path, what: "private key")
        guard mode & 0o077 == 0 else {
            throw AuditError.keyFileTooOpen(path: path.path, mode: String(mode, radix: 8))
        }
        let der = try PEM.decode(bytes, label: "PRIVATE KEY", path: path.path, what: "private key")
        guard der.count == PEM.privateKeyPrefix.count + 32, der.starts(with: PEM.privateKeyPrefix) else {
            throw AuditError.fileMalformed(
                path: path.path, what: "private key", reason: "it does not hold an Ed25519 private key (PKCS#8, RFC 8410)")
        }
        do {
            return AnchorKey(try Curve25519.Signing.PrivateKey(rawRepresentation: der.dropFirst(PEM.privateKeyPrefix.count)))
        } catch {
            throw AuditError.fileMalformed(path: path.path, what: "private key", reason: "the key is not a valid Ed25519 key")
        }
    }

    /// Signs `bytes` with Ed25519.
    public func sign(_ bytes: [UInt8]) throws -> [UInt8] {
        do {
            return Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed).signature(for: bytes))
        } catch {
            throw AuditError.signingFailed(reason: "\(error)")
        }
    }

    /// Names the key by its public half only.
    public var description: String { "AnchorKey(public \(publicKey.hex))" }
    /// Names the key by its public half only.
    public var debugDescription: String { description }
    /// Shows `dump` the public half only.
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey.hex]) }
}

/// The public half of an anchor key: 32 bytes, written in anchors as hex and in key files as PEM.
public struct AnchorPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The raw 32-byte Ed25519 public key.
    public let rawBytes: [UInt8]

    init(_ key: Curve25519.Signing.PublicKey) {
        rawBytes = Array(key.rawRepresentation)
    }

    /// A public key from its 64 hex digits; nil when they are not a valid Ed25519 public key.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == 32,
            (try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)) != nil
        else { return nil }
        rawBytes = bytes
    }

    /// The key as 64 lower-case hex digits, as anchors carry it.
    public var hex: String { Hex.encode(rawBytes) }

    /// The key as a PEM SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`), as key files hold it.
    public var pem: String { PEM.encode(PEM.publicKeyPrefix + rawBytes, label: "PUBLIC KEY") }

    /// The hex form.
    public var description: String { hex }

    /// Loads a public key file (PEM SubjectPublicKeyInfo, as `generate(to:)` or OpenSSL writes it): the
    /// key an auditor trusts, got from its owner by a channel other than the anchor itself.
    public static func load(from path: URL) throws -> AnchorPublicKey {
        let (bytes, _) = try AuditFile.load(path.path, what: "public key")
        let der = try PEM.decode(bytes, label: "PUBLIC KEY", path: path.path, what: "public key")
        guard der.count == PEM.publicKeyPrefix.count + 32, der.starts(with: PEM.publicKeyPrefix),
            let key = AnchorPublicKey(hex: Hex.encode(der.dropFirst(PEM.publicKeyPrefix.count)))
        else {
            throw AuditError.fileMalformed(
                path: path.path, what: "public key", reason: "it does not hold an Ed25519 public key (SubjectPublicKeyInfo, RFC 8410)")
        }
        return key
    }

    /// Whether `signature` is this key's Ed25519 signature of `bytes`.
    public func isValidSignature(_ signature: [UInt8], for bytes: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawBytes) else { return false }
        return key.isValidSignature(signature, for: bytes)
    }
}

/// PEM armour and the two fixed DER prefixes of Ed25519 keys (RFC 8410): an Ed25519 key's DER is a
/// constant prefix followed by the 32 key bytes, so no ASN.1 library is needed.
enum PEM {
    /// SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) }
    static let publicKeyPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
    /// SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }
    static let privateKeyPrefix: [UInt8] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }

    /// The DER inside the one `label` block of `bytes`. Errors never quote the file's contents.
    static func decode(_ bytes: [UInt8], label: String, path: String, what: String) throws -> [UInt8] {
        func malformed(_ reason: String) -> AuditError { .fileMalformed(path: path, what: what, reason: reason) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw malformed("it is not text") }
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex)
        else {
            throw malformed("it has no \(begin) … \(end) block")
        }
        let body = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        guard let der = Data(base64Encoded: String(body)) else { throw malformed("its \(label) block is not base64") }
        return Array(der)
    }
}
