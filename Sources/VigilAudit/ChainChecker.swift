import Crypto
import Foundation

/// One event as the hash chain sees it: where it stands, the canonical text that was hashed, and the
/// hash stored (or exported) with it.
public struct CanonicalEvent: Sendable, Equatable {
    /// The event's global position.
    public var position: Int64
    /// The event's stream.
    public var stream: String
    /// The event's version in its stream.
    public var version: Int64
    /// The event's type, for people reading an export; the chain does not use it apart from the
    /// canonical text, which holds it too.
    public var type: String
    /// The text the hash covers: `EventStore.canonicalSQL` of the row.
    public var canonical: String
    /// The 32-byte hash stored with the event.
    public var hash: [UInt8]

    /// An event.
    public init(position: Int64, stream: String, version: Int64, type: String, canonical: String, hash: [UInt8]) {
        self.position = position
        self.stream = stream
        self.version = version
        self.type = type
        self.canonical = canonical
        self.hash = hash
    }

    /// SHA-256(previous ‖ canonical as UTF-8): the hash of an event whose stream's chain ended in
    /// `previous` (empty for a stream's first event), as `vigil.event_hash` computes it.
    public static func chainHash(previous: some Sequence<UInt8>, canonical: String) -> [UInt8] {
        let previous = Array(previous)
        var canonical = canonical
        return previous.withUnsafeBytes { p in
            canonical.withUTF8 { Array(ChainChecker.hash(previous: p, canonical: UnsafeRawBufferPointer($0))) }
        }
    }
}

/// Recomputes every stream's hash chain from events given in position order, and keeps every stream's
/// head as of one position (an anchor's): the one fold behind making an anchor, verifying the database
/// against one, and verifying an export without a database.
///
/// It holds one head (the stream id, a version and 32 bytes) per stream, never the events: a million
/// events in a thousand streams take a thousand heads.
public struct ChainChecker {
    struct Head {
        var version: Int64
        var hash: SHA256Digest?
        /// The last command seen in the stream, while its events go on.
        var run: CommandRun?
    }

    /// A command's events in a stream (one append, so consecutive versions): what 0037's ids and count
    /// are checked against.
    struct CommandRun {
        var command: [UInt8]
        var first: Int64
        var present: Int64 = 1
        /// The count its first event carries, when that event's id is the derived one (nil: not checked).
        var declared: CanonicalCommand.Count?
        var place: EventPlace

        /// The count's failure, once the command's events have ended.
        func failure() -> AuditFailure? {
            switch declared {
            case nil: return nil
            case .events(let n) where n == present: return nil
            case .events(let n):
                return .commandEventsMissing(place, command: String(decoding: command, as: UTF8.self), declared: n, present: present)
            case .notWhole:
                return .commandEventsMissing(place, command: String(decoding: command, as: UTF8.self), declared: nil, present: present)
            }
        }
    }

    /// The position whose heads are kept: the anchor's.
    public let anchorPosition: Int64
    private var heads: [String: Head] = [:]
    private var atAnchor: (streams: Int, events: Int, root: [UInt8])?
    private var eventsAtAnchor = 0
    /// How many events were added and held.
    public private(set) var checked = 0
    /// The last position added (0 before the first).
    public private(set) var lastPosition: Int64 = 0
    /// The first position whose canonical text covers its position (hash version 2), once one was added.
    public private(set) var positionsCoveredFrom: Int64?
    /// The first position whose event has the id its command gives it (0037), once one was added.
    public private(set) var commandIdsFrom: Int64?

    /// A checker that keeps the heads as of `anchorPosition` (`Int64.max`: as of the last event).
    public init(anchorPosition: Int64) {
        self.anchorPosition = anchorPosition
    }

    /// Adds the next event in position order; returns what is wrong with it, or nil when its chain holds.
    /// After a failure the checker's state is not meaningful: stop there.
    public mutating func add(_ event: CanonicalEvent, line: Int? = nil) -> AuditFailure? {
        var canonical = event.canonical
        return canonical.withUTF8 {
            add(position: event.position, stream: event.stream, version: event.version,
                canonical: UnsafeRawBufferPointer($0), hash: event.hash, line: line)
        }
    }

    /// `add` with the canonical text as UTF-8 bytes, for readers that have them without a `String`.
    public mutating func add(
        position: Int64, stream: String, version: Int64, canonical: UnsafeRawBufferPointer, hash stored: [UInt8],
        line: Int?
    ) -> AuditFailure? {
        let place = EventPlace(position: position, stream: stream, version: version, line: line)
        guard position > lastPosition else { return .outOfOrder(place, previousPosition: lastPosition) }
        if position > anchorPosition, atAnchor == nil { atAnchor = snapshot() }
        let head = heads[stream] ?? Head(version: 0, hash: nil)
        if version > head.version + 1 { return .removedEvent(stream: stream, missing: head.version + 1, found: place) }
        if version <= head.version { return .repeatedVersion(place, head: head.version) }
        // Once one event covers its position, an event that does not is a rewrite dodging it.
        if ExportFormat.coversPosition(canonical) {
            if positionsCoveredFrom == nil { positionsCoveredFrom = position }
        } else if let from = positionsCoveredFrom {
            return .canonicalMismatch(
                place, reason: "its hash uses the old formula, which leaves the position out, after the event at "
                    + "position \(from) was hashed with its position")
        }
        let digest = head.hash.map { d in d.withUnsafeBytes { ChainChecker.hash(previous: $0, canonical: canonical) } }
            ?? ChainChecker.hash(previous: UnsafeRawBufferPointer(start: nil, count: 0), canonical: canonical)
        guard digest.elementsEqual(stored) else { return .changedEvent(place) }
        var run = head.run
        if let failure = checkCommand(canonical, version: version, place: place, run: &run) { return failure }
        heads[stream] = Head(version: version, hash: digest, run: run)
        lastPosition = position
        checked += 1
        if position <= anchorPosition { eventsAtAnchor += 1 }
        return nil
    }

    /// The ids and counts 0037 gives a command's events, as `EventStore.verifyChains` checks them: an
    /// event whose id is of the derived kind (version 8) but not the one its command gives its place is
    /// named, and a command's first event with the derived id must count the events present. An event
    /// with an id of another kind was recorded before 0037, when its command's record went into
    /// `vigil.commands`, which an export does not carry: it is not judged (a binary of 0037 writing to a
    /// database not yet migrated made derived ids before the old kind ended, so their order proves
    /// nothing). An event that names no command after the first with its command's id is named: no
    /// append has taken one without a command id since long before 0037.
    private mutating func checkCommand(_ canonical: UnsafeRawBufferPointer, version: Int64, place: EventPlace, run: inout CommandRun?)
        -> AuditFailure?
    {
        guard ExportFormat.coversPosition(canonical) else {
            run = nil
            return nil
        }
        guard let parts = ExportFormat.canonicalCommand(canonical) else {
            return .canonicalMismatch(
                place, reason: "its canonical text is not the thirteen values of hash version 2, each of its kind")
        }
        if let command = parts.commandId, let current = run, current.command == command {
            run?.present += 1
        } else {
            if let failure = run?.failure() { return failure }
            run = parts.commandId.map { CommandRun(command: $0, first: version, place: place) }
        }
        guard let current = run else {
            if let from = commandIdsFrom { return .noCommand(place, idsFrom: from) }
            return nil
        }
        let index = version - current.first
        let derived = CommandEventId.derive(commandIdUTF8: current.command, index: Int(index))
        let id = ChainChecker.uuidBytes(parts.eventId)
        if let id, withUnsafeBytes(of: derived.uuid, { id.elementsEqual($0) }) {
            if index == 0 { run?.declared = parts.declared }
            if commandIdsFrom == nil { commandIdsFrom = place.position }
        } else if id.map({ $0[6] >> 4 == 8 }) ?? true {
            return .foreignEventId(place, command: String(decoding: current.command, as: UTF8.self), index: index)
        }
        return nil
    }

    /// The 16 bytes of a UUID's text (8-4-4-4-12 hex digits, either case), or nil. By hand rather than
    /// `UUID(uuidString:)`, which goes through `sscanf`: it was a sixth of verifying an export.
    static func uuidBytes(_ text: [UInt8]) -> [UInt8]? {
        guard text.count == 36, text[8] == 0x2D, text[13] == 0x2D, text[18] == 0x2D, text[23] == 0x2D else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var out = [UInt8](repeating: 0, count: 16)
        var i = 0
        for n in 0..<16 {
            if i == 8 || i == 13 || i == 18 || i == 23 { i += 1 }
            guard let high = nibble(text[i]), let low = nibble(text[i + 1]) else { return nil }
            out[n] = high << 4 | low
            i += 2
        }
        return out
    }

    /// What the end of the log shows: a command whose last events are missing there (its first event
    /// counts more than are left). Call once every event was added.
    public func finish() -> AuditFailure? {
        heads.values.compactMap { $0.run?.failure() }.min { a, b in
            guard case .commandEventsMissing(let p, _, _, _) = a, case .commandEventsMissing(let q, _, _, _) = b else { return false }
            return p.position < q.position
        }
    }

    /// The streams and events at or before the anchor's position, and the Merkle root of their heads.
    public mutating func stateAtAnchor() -> (streams: Int, events: Int, root: [UInt8]) {
        if let atAnchor { return atAnchor }
        let state = snapshot()
        atAnchor = state
        return state
    }

    /// What an anchor says that the events added so far contradict, or nil when they agree with it.
    /// The counts are compared first, so a removed stream or event is named as such rather than as a
    /// different root.
    public mutating func compare(with anchor: LogAnchor) -> AuditFailure? {
        let state = stateAtAnchor()
        let p = anchor.lastPosition
        if state.streams < anchor.streams {
            return .streamsMissing(lastPosition: p, anchored: anchor.streams, found: state.streams)
        }
        if state.events < anchor.events { return .eventsMissing(lastPosition: p, anchored: anchor.events, found: state.events) }
        if state.events > anchor.events { return .eventsAdded(lastPosition: p, anchored: anchor.events, found: state.events) }
        if state.root != anchor.merkleRoot { return .rootMismatch(lastPosition: p) }
        return nil
    }

    private func snapshot() -> (streams: Int, events: Int, root: [UInt8]) {
        let leaves = heads.map { StreamHead(stream: $0.key, version: $0.value.version, hash: $0.value.hash.map { Array($0) } ?? []) }
        return (heads.count, eventsAtAnchor, MerkleTree.root(of: leaves))
    }

    static func hash(previous: UnsafeRawBufferPointer, canonical: UnsafeRawBufferPointer) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(bufferPointer: previous)
        hasher.update(bufferPointer: canonical)
        return hasher.finalize()
    }
}
