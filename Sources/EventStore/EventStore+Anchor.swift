import Foundation
import PostgresClient
import VigilAudit

extension LogAnchor {
    /// Anchors the log as it stands: fixes the last position whose every predecessor has committed
    /// (`EventStore.settledPosition`), recomputes every stream's chain up to it from the events'
    /// contents, and signs the counts and the Merkle root of the heads with `key`.
    ///
    /// - Throws: `AuditError.brokenLog` when a chain does not hold (a broken log is not vouched for),
    ///   and the store's errors.
    public static func make(store: EventStore, key: AnchorKey, madeAt: Date = Date(), pageSize: Int = 5_000) throws
        -> LogAnchor
    {
        let position = try store.settledPosition()
        var checker = ChainChecker(anchorPosition: position)
        try store.forEachCanonicalEvent(through: position, pageSize: pageSize) { event in
            if let failure = checker.add(event) { throw AuditError.brokenLog(failure) }
            return true
        }
        if let failure = checker.finish() { throw AuditError.brokenLog(failure) }
        let state = checker.stateAtAnchor()
        return try LogAnchor.sign(
            lastPosition: position, streams: state.streams, events: state.events, merkleRoot: state.root, madeAt: madeAt,
            key: key)
    }
}

extension EventStore {
    /// Proves that today's log extends `anchor`: the signature verifies (with `trustedKey` when given:
    /// an anchor's own key proves nothing about who made it), and every stream's chain, recomputed from
    /// the events' contents without trusting a stored hash, gives as of the anchor's position the
    /// anchor's streams, events and Merkle root. The events after that position are checked too, up to
    /// the log's settled end: a chain broken there fails verification as well.
    ///
    /// The result names the first failure: a bad signature, an untrusted key, a changed event (its
    /// position), a removed event (the version missing from its stream), streams or events missing,
    /// or a root that differs (a change whose chain was rewritten after it).
    public func verify(against anchor: LogAnchor, trustedKey: AnchorPublicKey? = nil, pageSize: Int = 5_000) throws
        -> AnchorVerification
    {
        var result = AnchorVerification(anchor: anchor)
        if let failure = anchor.checkSignature(trustedKey: trustedKey) {
            result.failure = failure
            return result
        }
        result.keyTrusted = trustedKey != nil
        let through = max(try settledPosition(), anchor.lastPosition)
        var checker = ChainChecker(anchorPosition: anchor.lastPosition)
        var failure: AuditFailure?
        try forEachCanonicalEvent(through: through, pageSize: pageSize) { event in
            failure = checker.add(event)
            return failure == nil
        }
        result.conclude(&checker, failure: failure)
        return result
    }
}
