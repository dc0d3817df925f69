import Foundation
import VigilEncoding

/// A signed statement of the whole log at one position, meant to be handed to someone else: whoever
/// holds it can later prove that the log extends it — nothing at or before that position removed or
/// changed — from the database (`EventStore.verify(against:trustedKey:)`) or from an export alone
/// (`LogAudit.verify(export:anchor:trustedKey:)`). Certificate Transparency's signed tree head, for an
/// event log.
///
/// The file is one JSON object (UTF-8, keys in this order, a newline at the end):
///
///     {
///       "format": "vigil-anchor/1",
///       "lastPosition": 1042,         every event at or before this global position is covered
///       "streams": 17,                streams holding an event at or before it
///       "events": 1039,               events at or before it (positions of failed appends are gaps)
///       "merkleRoot": "64 hex",       MerkleTree's root over every stream's head as of lastPosition
///       "madeAt": "2026-11-23T15:02:03Z",  UTC, whole seconds
///       "publicKey": "64 hex",        the raw Ed25519 public key that signed it
///       "signature": "128 hex"        Ed25519 over signedBytes
///     }
///
/// The signed bytes are not the JSON (whose spelling tools may change) but these seven lines of ASCII,
/// each ending in a line feed, numbers in decimal and bytes in lower-case hex:
///
///     vigil-anchor/1
///     last-position: 1042
///     streams: 17
///     events: 1039
///     merkle-root: <64 hex>
///     made-at: 2026-11-23T15:02:03Z
///     public-key: <64 hex>
///
/// so `openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin -in signed.txt -sigfile signature.bin`
/// checks an anchor without Vigil.
public struct LogAnchor: Sendable, Equatable {
    /// The format this code writes and reads.
    public static let format = "vigil-anchor/1"

    /// The last global position covered: the anchor speaks for every event at or before it.
    public var lastPosition: Int64
    /// How many streams hold an event at or before `lastPosition`.
    public var streams: Int
    /// How many events are at or before `lastPosition`.
    public var events: Int
    /// The Merkle root over every stream's head as of `lastPosition` (32 bytes; see `MerkleTree`).
    public var merkleRoot: [UInt8]
    /// When the anchor was made (whole seconds, UTC).
    public var madeAt: Date
    /// The key that signed it. An anchor's own key proves nothing about who made it: compare it with a
    /// key you trust (`trustedKey`).
    public var publicKey: AnchorPublicKey
    /// The Ed25519 signature of `signedBytes` (64 bytes).
    public var signature: [UInt8]

    /// Signs a statement of the log with `key`; `madeAt` is cut to whole seconds.
    public static func sign(
        lastPosition: Int64, streams: Int, events: Int, merkleRoot: [UInt8], madeAt: Date, key: AnchorKey
    ) throws -> LogAnchor {
        var anchor = LogAnchor(
            lastPosition: lastPosition, streams: streams, events: events, merkleRoot: merkleRoot,
            madeAt: Date(timeIntervalSince1970: (madeAt.timeIntervalSince1970).rounded(.down)),
            publicKey: key.publicKey, signature: [])
        anchor.signature = try key.sign(anchor.signedBytes)
        return anchor
    }

    /// The bytes the signature covers (see the type's documentation).
    public var signedBytes: [UInt8] {
        let text = """
            \(LogAnchor.format)
            last-position: \(lastPosition)
            streams: \(streams)
            events: \(events)
            merkle-root: \(Hex.encode(merkleRoot))
            made-at: \(LogAnchor.timestamp(madeAt))
            public-key: \(publicKey.hex)

            """
        return Array(text.utf8)
    }

    /// nil when the signature verifies with the anchor's key and, given `trustedKey`, that key is the
    /// trusted one; otherwise `.badSignature` or `.untrustedKey`.
    public func checkSignature(trustedKey: AnchorPublicKey?) -> AuditFailure? {
        guard signature.count == 64, publicKey.isValidSignature(signature, for: signedBytes) else { return .badSignature }
        if let trustedKey, trustedKey != publicKey {
            return .untrustedKey(anchorKey: publicKey.hex, trustedKey: trustedKey.hex)
        }
        return nil
    }

    // MARK: The file

    /// The anchor file's text.
    public var json: String {
        """
        {
          "format": "\(LogAnchor.format)",
          "lastPosition": \(lastPosition),
          "streams": \(streams),
          "events": \(events),
          "merkleRoot": "\(Hex.encode(merkleRoot))",
          "madeAt": "\(LogAnchor.timestamp(madeAt))",
          "publicKey": "\(publicKey.hex)",
          "signature": "\(Hex.encode(signature))"
        }

        """
    }

    /// Writes the anchor file; never overwrites one (an anchor is evidence).
    public func write(to path: URL) throws {
        try AuditFile.createExclusive(path.path, bytes: Array(json.utf8), mode: 0o644, what: "anchor")
    }

    /// Reads an anchor file. Its signature is not checked here: `checkSignature` and the verifiers do.
    public static func read(from path: URL) throws -> LogAnchor {
        let (bytes, _) = try AuditFile.load(path.path, what: "anchor")
        return try LogAnchor(json: bytes, path: path.path)
    }

    /// Parses an anchor file's bytes; `path` names the file in errors.
    public init(json bytes: [UInt8], path: String) throws {
        func malformed(_ reason: String) -> AuditError { .fileMalformed(path: path, what: "anchor", reason: reason) }
        let file: AnchorFile
        do {
            file = try JSONDecoder().decode(AnchorFile.self, from: Data(bytes))
        } catch DecodingError.keyNotFound(let key, _) {
            throw malformed("\"\(key.stringValue)\" is missing")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw malformed("\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw malformed("\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" is not valid")
        } catch {
            throw malformed("it is not a JSON object")
        }
        func hexField(_ key: String, _ value: String, count: Int) throws -> [UInt8] {
            guard let decoded = Hex.decode(value), decoded.count == count else {
                throw malformed("\"\(key)\" is not \(count * 2) hex digits")
            }
            return decoded
        }
        func count(_ key: String, _ value: Int64) throws -> Int64 {
            guard value >= 0 else { throw malformed("\"\(key)\" is negative") }
            return value
        }
        guard file.format == LogAnchor.format else {
            throw malformed("its format is \"\(file.format.prefix(40))\", and this version of Vigil reads \(LogAnchor.format)")
        }
        lastPosition = try count("lastPosition", file.lastPosition)
        streams = Int(try count("streams", file.streams))
        events = Int(try count("events", file.events))
        merkleRoot = try hexField("merkleRoot", file.merkleRoot, count: 32)
        guard let date = LogAnchor.parseTimestamp(file.madeAt) else {
            throw malformed("\"madeAt\" is not a UTC time like 2026-11-23T15:02:03Z")
        }
        madeAt = date
        guard let key = AnchorPublicKey(hex: file.publicKey) else {
            throw malformed("\"publicKey\" is not an Ed25519 public key in 64 hex digits")
        }
        publicKey = key
        signature = try hexField("signature", file.signature, count: 64)
    }

    /// The file's fields as JSON holds them.
    private struct AnchorFile: Decodable {
        var format: String
        var lastPosition: Int64
        var streams: Int64
        var events: Int64
        var merkleRoot: String
        var madeAt: String
        var publicKey: String
        var signature: String
    }

    init(
        lastPosition: Int64, streams: Int, events: Int, merkleRoot: [UInt8], madeAt: Date, publicKey: AnchorPublicKey,
        signature: [UInt8]
    ) {
        self.lastPosition = lastPosition
        self.streams = streams
        self.events = events
        self.merkleRoot = merkleRoot
        self.madeAt = madeAt
        self.publicKey = publicKey
        self.signature = signature
    }

    // MARK: Time, whole seconds in UTC

    /// `2026-11-23T15:02:03Z`.
    static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ n: Int32, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }

    /// The inverse of `timestamp`: only text it would write is accepted, so the signed bytes rebuilt
    /// from a read anchor are the bytes that were signed.
    static func parseTimestamp(_ text: String) -> Date? {
        let u = Array(text.utf8)
        guard u.count == 20, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54, u[13] == 0x3A, u[16] == 0x3A, u[19] == 0x5A
        else { return nil }
        func num(_ from: Int, _ len: Int) -> Int32? {
            var n: Int32 = 0
            for c in u[from..<(from + len)] {
                guard c >= 0x30, c <= 0x39 else { return nil }
                n = n * 10 + Int32(c - 0x30)
            }
            return n
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
            let s = num(17, 2)
        else { return nil }
        var parts = tm()
        parts.tm_year = y - 1900
        parts.tm_mon = mo - 1
        parts.tm_mday = d
        parts.tm_hour = h
        parts.tm_min = mi
        parts.tm_sec = s
        let seconds = timegm(&parts)
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        return timestamp(date) == text ? date : nil
    }
}
