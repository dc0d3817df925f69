import Foundation
import Testing
import VigilAudit

/// A fresh empty folder under the system's temporary folder.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-audit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func mode(_ url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

let madeAt = Date(timeIntervalSince1970: 1_103_544_000.75)  // 2004-12-20 12:00:00.75 UTC

func sampleAnchor(_ key: AnchorKey) throws -> LogAnchor {
    try LogAnchor.sign(
        lastPosition: 1042, streams: 17, events: 1039, merkleRoot: sha256(Array("root".utf8)), madeAt: madeAt, key: key)
}

@Suite("Anchor keys")
struct AnchorKeyTests {
    @Test("generate writes a private key only its owner may read, and the public key beside it")
    func generate() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("anchor.key")
        let key = try AnchorKey.generate(to: path)
        #expect(try mode(path) == 0o600)
        let publicPath = folder.appendingPathComponent("anchor.key.pub")
        #expect(AnchorKey.publicKeyPath(for: path) == publicPath)
        #expect(try mode(publicPath) == 0o644)
        #expect(try String(contentsOf: path, encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(try String(contentsOf: publicPath, encoding: .utf8).hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(try AnchorKey.load(from: path).publicKey == key.publicKey)
        #expect(try AnchorPublicKey.load(from: publicPath) == key.publicKey)
    }

    @Test("generate refuses to overwrite a key, and leaves it as it was")
    func refusesOverwrite() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("anchor.key")
        let first = try AnchorKey.generate(to: path)
        #expect(throws: AuditError.fileExists(path: path.path, what: "private key")) { try AnchorKey.generate(to: path) }
        #expect(try AnchorKey.load(from: path).publicKey == first.publicKey)

        // A public key file alone is enough to refuse, and no private key is left behind.
        let other = folder.appendingPathComponent("other.key")
        try Data("x".utf8).write(to: AnchorKey.publicKeyPath(for: other))
        #expect(throws: AuditError.fileExists(path: AnchorKey.publicKeyPath(for: other).path, what: "public key")) {
            try AnchorKey.generate(to: other)
        }
        #expect(!FileManager.default.fileExists(atPath: other.path))
    }

    @Test("loading names a missing, malformed or too open file without printing it")
    func loadErrors() throws {
        let folder = try temporaryFolder()
        let missing = folder.appendingPathComponent("none.key")
        #expect(throws: AuditError.fileMissing(path: missing.path, what: "private key")) { try AnchorKey.load(from: missing) }
        #expect(throws: AuditError.fileMissing(path: missing.path, what: "public key")) {
            try AnchorPublicKey.load(from: missing)
        }

        let garbage = folder.appendingPathComponent("garbage.key")
        try Data("secret-looking text 0123456789".utf8).write(to: garbage)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: garbage.path)
        do {
            _ = try AnchorKey.load(from: garbage)
            Issue.record("a file without a key loaded")
        } catch let error as AuditError {
            guard case .fileMalformed(let path, "private key", _) = error else { throw error }
            #expect(path == garbage.path)
            #expect(!error.description.contains("secret-looking"))
        }

        // A public key where a private key should be.
        let path = folder.appendingPathComponent("anchor.key")
        try AnchorKey.generate(to: path)
        let publicAsPrivate = folder.appendingPathComponent("public-as-private.key")
        try FileManager.default.copyItem(at: AnchorKey.publicKeyPath(for: path), to: publicAsPrivate)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: publicAsPrivate.path)
        #expect(throws: AuditError.self) { try AnchorKey.load(from: publicAsPrivate) }
        #expect(throws: AuditError.self) { try AnchorPublicKey.load(from: path) }

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path.path)
        #expect(throws: AuditError.keyFileTooOpen(path: path.path, mode: "644")) { try AnchorKey.load(from: path) }
        #expect(throws: AuditError.self) { try AnchorKey.load(from: folder) }
    }

    @Test("a key made by OpenSSL loads (genpkey -algorithm ed25519), and signs as RFC 8032 says")
    func interoperates() throws {
        let folder = try temporaryFolder()
        // A throw-away key from `openssl genpkey -algorithm ed25519`; its public key from `openssl pkey -pubout`.
        let openssl = folder.appendingPathComponent("openssl.key")
        try Data("""
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEIK5EMwsp5sNBP4X+8qmqeqAKPV6xt6353+UHC5li8Ew7
            -----END PRIVATE KEY-----

            """.utf8).write(to: openssl)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: openssl.path)
        #expect(try AnchorKey.load(from: openssl).publicKey.hex == "c068048abd8c4ac6f3ebfd0dc198b335b84633e60fe77f67ee7ba13dc5ed710e")

        // RFC 8032, section 7.1, test 1: this secret key signs the empty message with this signature.
        let rfc = folder.appendingPathComponent("rfc8032.key")
        let seed = try #require(Data(hexString: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let der = Data([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]) + seed
        try Data("-----BEGIN PRIVATE KEY-----\n\(der.base64EncodedString())\n-----END PRIVATE KEY-----\n".utf8).write(to: rfc)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: rfc.path)
        let key = try AnchorKey.load(from: rfc)
        #expect(key.publicKey.hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = try key.sign([])
        #expect(key.publicKey.isValidSignature(signature, for: []))
        #expect(!key.publicKey.isValidSignature(signature, for: [0]))
        #if !canImport(CryptoKit)  // BoringSSL signs deterministically, as RFC 8032 does; CryptoKit adds randomness
        #expect(
            hex(signature) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065"
                + "224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #endif
    }

    @Test("a key prints, dumps and interpolates as its public half only")
    func neverPrinted() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("anchor.key")
        let key = try AnchorKey.generate(to: path)
        let pem = try String(contentsOf: path, encoding: .utf8)
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body) else { throw TestError("the key file is not base64") }
        let secretHex = hex(Array(der.suffix(32)))
        var dumped = ""
        dump(key, to: &dumped)
        for shown in ["\(key)", String(describing: key), String(reflecting: key), dumped] {
            #expect(!shown.contains(secretHex))
            #expect(shown.contains(key.publicKey.hex))
        }
    }
}

extension Data {
    init?(hexString: String) {
        var bytes: [UInt8] = []
        var text = Substring(hexString)
        while text.count >= 2 {
            guard let byte = UInt8(text.prefix(2), radix: 16) else { return nil }
            bytes.append(byte)
            text = text.dropFirst(2)
        }
        guard text.isEmpty else { return nil }
        self.init(bytes)
    }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite("Anchors: signing and the file")
struct LogAnchorTests {
    @Test("an anchor written and read back is the same and its signature verifies")
    func roundTrip() throws {
        let key = AnchorKey()
        let anchor = try sampleAnchor(key)
        #expect(anchor.madeAt == Date(timeIntervalSince1970: 1_103_544_000))
        #expect(anchor.checkSignature(trustedKey: nil) == nil)
        #expect(anchor.checkSignature(trustedKey: key.publicKey) == nil)

        let path = try temporaryFolder().appendingPathComponent("anchor.json")
        try anchor.write(to: path)
        let read = try LogAnchor.read(from: path)
        #expect(read == anchor)
        #expect(read.checkSignature(trustedKey: key.publicKey) == nil)
        #expect(throws: AuditError.fileExists(path: path.path, what: "anchor")) { try anchor.write(to: path) }

        let text = try String(contentsOf: path, encoding: .utf8)
        #expect(text.contains("\"format\": \"vigil-anchor/1\""))
        #expect(text.contains("\"madeAt\": \"2004-12-20T12:00:00Z\""))
        #expect(String(decoding: anchor.signedBytes, as: UTF8.self) == """
            vigil-anchor/1
            last-position: 1042
            streams: 17
            events: 1039
            merkle-root: \(hex(sha256(Array("root".utf8))))
            made-at: 2004-12-20T12:00:00Z
            public-key: \(key.publicKey.hex)

            """)
    }

    @Test("changing any signed field breaks the signature")
    func tamperedField() throws {
        let key = AnchorKey()
        let anchor = try sampleAnchor(key)
        let changes: [(String, (inout LogAnchor) -> Void)] = [
            ("lastPosition", { $0.lastPosition += 1 }),
            ("streams", { $0.streams -= 1 }),
            ("events", { $0.events -= 1 }),
            ("merkleRoot", { $0.merkleRoot[31] ^= 0x01 }),
            ("madeAt", { $0.madeAt = $0.madeAt.addingTimeInterval(1) }),
            ("publicKey", { $0.publicKey = AnchorKey().publicKey }),
            ("signature", { $0.signature[0] ^= 0x80 }),
        ]
        for (field, change) in changes {
            var tampered = anchor
            change(&tampered)
            #expect(tampered.checkSignature(trustedKey: nil) == .badSignature, "changed \(field)")
        }
    }

    @Test("a field changed in the file fails, whatever the reader")
    func tamperedFile() throws {
        let key = AnchorKey()
        let path = try temporaryFolder().appendingPathComponent("anchor.json")
        try sampleAnchor(key).write(to: path)
        let text = try String(contentsOf: path, encoding: .utf8).replacingOccurrences(of: "\"events\": 1039", with: "\"events\": 1040")
        let changed = try LogAnchor(json: Array(text.utf8), path: path.path)
        #expect(changed.events == 1040)
        #expect(changed.checkSignature(trustedKey: key.publicKey) == .badSignature)
    }

    @Test("an anchor signed by another key than the trusted one is refused, and re-signing does not help")
    func wrongKey() throws {
        let key = AnchorKey()
        let intruder = AnchorKey()
        let forged = try sampleAnchor(intruder)
        #expect(forged.checkSignature(trustedKey: nil) == nil)  // intact, but proves nothing about who made it
        #expect(
            forged.checkSignature(trustedKey: key.publicKey)
                == .untrustedKey(anchorKey: intruder.publicKey.hex, trustedKey: key.publicKey.hex))
        // The intruder's signature with the trusted key's name on it.
        var borrowed = forged
        borrowed.publicKey = key.publicKey
        #expect(borrowed.checkSignature(trustedKey: key.publicKey) == .badSignature)
    }

    @Test("a malformed anchor file is named with what is wrong")
    func malformedFile() throws {
        let good = try sampleAnchor(AnchorKey()).json
        let cases: [(String, String)] = [
            ("not json", "it is not a JSON object"),
            (good.replacingOccurrences(of: "\"streams\": 17,\n", with: ""), "\"streams\" is missing"),
            (good.replacingOccurrences(of: "\"streams\": 17", with: "\"streams\": \"17\""), "\"streams\" has the wrong type"),
            (good.replacingOccurrences(of: "\"streams\": 17", with: "\"streams\": -17"), "\"streams\" is negative"),
            (good.replacingOccurrences(of: "vigil-anchor/1", with: "vigil-anchor/9"), "its format is \"vigil-anchor/9\""),
            (good.replacingOccurrences(of: "2004-12-20T12:00:00Z", with: "2004-12-20 12:00:00"), "\"madeAt\" is not a UTC time"),
            (good.replacingOccurrences(of: "\"merkleRoot\": \"", with: "\"merkleRoot\": \"zz"), "\"merkleRoot\" is not 64 hex digits"),
        ]
        for (text, reason) in cases {
            do {
                _ = try LogAnchor(json: Array(text.utf8), path: "a.json")
                Issue.record("accepted: \(reason)")
            } catch let AuditError.fileMalformed(path, what, found) {
                #expect(path == "a.json" && what == "anchor")
                #expect(found.hasPrefix(reason), "\(found)")
            }
        }
        let missing = try temporaryFolder().appendingPathComponent("none.json")
        #expect(throws: AuditError.fileMissing(path: missing.path, what: "anchor")) { try LogAnchor.read(from: missing) }
    }
}
