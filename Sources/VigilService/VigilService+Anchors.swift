import EventStore
import Foundation
import VigilEncoding
import VigilAudit

/// A signed anchor of the log, as written to a file.
public struct AnchorSummary: Sendable, Equatable {
    public var path: String
    public var lastPosition: Int64
    public var streams: Int
    public var events: Int
    /// The Merkle root of every stream's head, in hex.
    public var merkleRoot: String
    /// The public key that signed it, in hex.
    public var publicKey: String
}

/// The outcome of verifying the log, or an export of it, against an anchor.
public struct AnchorCheck: Sendable, Equatable {
    /// The anchor's last position, and what was found at or before it.
    public var anchorPosition: Int64
    public var streams: Int
    public var events: Int
    /// Every event whose chain was recomputed, after the anchor's position too.
    public var checked: Int
    /// True when a trusted public key was given and it signed the anchor.
    public var keyTrusted: Bool
    /// The first thing that does not hold, in words; nil when the log extends the anchor.
    public var failure: String?

    public var holds: Bool { failure == nil }

    init(_ result: AnchorVerification) {
        anchorPosition = result.anchor.lastPosition
        streams = result.streams
        events = result.events
        checked = result.checked
        keyTrusted = result.keyTrusted
        failure = result.failure.map { "\($0)" }
    }
}

extension VigilService {
    /// Makes an Ed25519 signing key for anchors at `path` (mode 0600) and its public half at `path.pub`;
    /// refuses to overwrite either. The key never enters the database. Returns the public key in hex.
    public static func makeAnchorKey(at path: String) throws -> (publicKey: String, publicKeyPath: String) {
        try audited {
            let url = URL(fileURLWithPath: path)
            let key = try AnchorKey.generate(to: url)
            return (key.publicKey.hex, AnchorKey.publicKeyPath(for: url).path)
        }
    }

    /// Signs a statement of the whole log with the key at `keyPath` and writes it to `path`: the last
    /// settled position, the counts, and the Merkle root of every stream's head. Anchors are meant to be
    /// handed to someone outside, who can later prove the log still extends them.
    public func anchor(key keyPath: String, to path: String) throws -> AnchorSummary {
        let key = try VigilService.audited { try AnchorKey.load(from: URL(fileURLWithPath: keyPath)) }
        return try guarded {
            let anchor = try VigilService.audited { try LogAnchor.make(store: try session(.auditor).store, key: key) }
            try VigilService.audited { try anchor.write(to: URL(fileURLWithPath: path)) }
            return AnchorSummary(
                path: path, lastPosition: anchor.lastPosition, streams: anchor.streams, events: anchor.events,
                merkleRoot: Hex.encode(anchor.merkleRoot), publicKey: anchor.publicKey.hex)
        }
    }

    /// Proves that today's log extends the anchor at `anchorPath`, recomputing every chain from the
    /// events' contents; `trustedKey` (a public key file) says whose signature to accept.
    public func verify(anchor anchorPath: String, trustedKey: String? = nil) throws -> AnchorCheck {
        let (anchor, trusted) = try VigilService.audited {
            (try LogAnchor.read(from: URL(fileURLWithPath: anchorPath)), try trustedKey.map { try AnchorPublicKey.load(from: URL(fileURLWithPath: $0)) })
        }
        return try guarded {
            AnchorCheck(try VigilService.audited { try session(.auditor).store.verify(against: anchor, trustedKey: trusted) })
        }
    }

    /// Writes the whole log to `path` as NDJSON, one event a line with the text its hash covers and the
    /// hash: what an auditor needs to verify it against an anchor with no database at all.
    public func export(to path: String) throws -> (events: Int, lastPosition: Int64) {
        try guarded {
            let summary = try VigilService.audited { try session(.auditor).store.export(to: URL(fileURLWithPath: path)) }
            return (summary.events, summary.lastPosition)
        }
    }

    /// Verifies an export against an anchor with no database: every chain recomputed from the lines,
    /// the Merkle root at the anchor's position, and the signature.
    public static func verify(export: String, anchor: String, trustedKey: String? = nil) throws -> AnchorCheck {
        try audited {
            let trusted = try trustedKey.map { try AnchorPublicKey.load(from: URL(fileURLWithPath: $0)) }
            return AnchorCheck(
                try LogAudit.verify(export: URL(fileURLWithPath: export), anchor: URL(fileURLWithPath: anchor), trustedKey: trusted))
        }
    }

    /// Runs an audit step, turning a file's problems into invalid input and a broken log into tampering.
    static func audited<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as AuditError {
            switch error {
            case .brokenLog: throw VigilError(.tampered, "\(error)")
            case .transactionsStillOpen, .insideWritingTransaction: throw VigilError(.conflict, "\(error)")
            default: throw VigilError(.invalidInput, "\(error)")
            }
        }
    }
}
