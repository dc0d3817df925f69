import Foundation
import Testing
@testable import VigilAudit

/// A log made in memory the way the database makes it: per stream, hash = SHA-256(previous ‖ canonical).
struct SyntheticLog {
    var events: [CanonicalEvent] = []
    var heads: [String: (version: Int64, hash: [UInt8])] = [:]

    /// Appends one event to `stream` at the next position; the payload may hold anything JSON can. With
    /// `coversPosition`, its canonical text is hash version 2's, which begins with the position.
    mutating func append(_ stream: String, payload: String = "\"n\": 1", coversPosition: Bool = false) {
        let version = (heads[stream]?.version ?? 0) + 1
        let position = Int64(events.count + 1) * 2
        // Version 1 ends with the data here (the database's goes on; the chain checks only its place);
        // version 2 has all thirteen values, with a command of its own and an id of the older kind.
        let canonical = coversPosition
            ? "[\(position), \(jsonQuote(stream)), \(version), \"\(UUID().uuidString.lowercased())\", \"Happened\", 1, {\(payload)}, "
                + "{\"login\": \"vigil\"}, \"command-\(position)\", null, null, \"someone\", 1796651285141039]"
            : "[\(jsonQuote(stream)), \(version), \"\(UUID().uuidString.lowercased())\", \"Happened\", 1, {\(payload)}]"
        let hash = CanonicalEvent.chainHash(previous: heads[stream]?.hash ?? [], canonical: canonical)
        events.append(CanonicalEvent(
            position: position, stream: stream, version: version, type: "Happened", canonical: canonical, hash: hash))
        heads[stream] = (version, hash)
    }

    /// Appends one event to `stream` as the database's canonical text has it since 0037 (hash version 2,
    /// with metadata and the command's id): `id` nil is the id `command` gives the event at `index`.
    mutating func append(_ stream: String, command: String?, index: Int = 0, id: String? = nil, metadata: String = #"{"login": "vigil"}"#) {
        let version = (heads[stream]?.version ?? 0) + 1
        let position = Int64(events.count + 1) * 2
        let eventId = id ?? CommandEventId.derive(commandId: command ?? "", index: index).uuidString.lowercased()
        let canonical = "[\(position), \(jsonQuote(stream)), \(version), \"\(eventId)\", \"Happened\", 1, {\"n\": \(position)}, "
            + "\(metadata), \(command.map(jsonQuote) ?? "null"), null, null, \"someone\", 1796651285141039]"
        let hash = CanonicalEvent.chainHash(previous: heads[stream]?.hash ?? [], canonical: canonical)
        events.append(CanonicalEvent(
            position: position, stream: stream, version: version, type: "Happened", canonical: canonical, hash: hash))
        heads[stream] = (version, hash)
    }

    /// Appends a command of `count` events to `stream` as the store does since 0037: ids its command gives
    /// them, and the count on the first when there are several.
    mutating func appendCommand(_ stream: String, _ command: String, count: Int = 1) {
        for i in 0..<count {
            append(stream, command: command, index: i,
                   metadata: i == 0 && count > 1 ? #"{"login": "vigil", "commandEvents": \#(count)}"# : #"{"login": "vigil"}"#)
        }
    }

    /// The anchor of the log as it stands now.
    func anchor(_ key: AnchorKey) throws -> LogAnchor {
        var checker = ChainChecker(anchorPosition: events.last?.position ?? 0)
        for event in events { if let failure = checker.add(event) { throw TestError("\(failure)") } }
        if let failure = checker.finish() { throw TestError("\(failure)") }
        let state = checker.stateAtAnchor()
        return try LogAnchor.sign(
            lastPosition: events.last?.position ?? 0, streams: state.streams, events: state.events, merkleRoot: state.root,
            madeAt: Date(), key: key)
    }

    /// The export's lines, each without its line feed.
    var lines: [String] {
        events.map { event in
            var out: [UInt8] = []
            ExportFormat.appendLine(event, to: &out)
            return String(decoding: out.dropLast(), as: UTF8.self)
        }
    }
}

func jsonQuote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// Writes `lines` as an export and `anchor` beside it, and verifies the one against the other.
func verifyOffline(_ lines: [String], _ anchor: LogAnchor, trustedKey: AnchorPublicKey? = nil, ending: String = "\n")
    throws -> AnchorVerification
{
    let folder = try temporaryFolder()
    let export = folder.appendingPathComponent("log.ndjson")
    let anchorPath = folder.appendingPathComponent("anchor.json")
    try Data(lines.map { $0 + ending }.joined().utf8).write(to: export)
    try anchor.write(to: anchorPath)
    return try LogAudit.verify(export: export, anchor: anchorPath, trustedKey: trustedKey)
}

/// Three streams, one with awkward text in its payload and id.
func sampleLog() -> SyntheticLog {
    var log = SyntheticLog()
    for i in 0..<12 {
        log.append(["mission-a", "gathering-b", "petition \"c\" \\ ü"][i % 3], payload: "\"n\": \(i), \"note\": \"line\\nbreak \\\"q\\\" 주중 \\u0001\"")
    }
    return log
}

@Suite("Verifying an export against an anchor, with no database")
struct OfflineVerifyTests {
    let key = AnchorKey()

    @Test("an untouched export verifies, and so does one that goes on past the anchor")
    func holds() throws {
        var log = sampleLog()
        let anchor = try log.anchor(key)
        var result = try verifyOffline(log.lines, anchor, trustedKey: key.publicKey)
        #expect(result.failure == nil)
        #expect(result.keyTrusted)
        #expect(result.streams == 3 && result.events == 12 && result.checked == 12)
        #expect(result.merkleRoot == anchor.merkleRoot)

        log.append("mission-a")
        log.append("mission-new")
        result = try verifyOffline(log.lines, anchor, trustedKey: key.publicKey, ending: "\r\n")
        #expect(result.failure == nil)
        #expect(result.events == 12 && result.checked == 14)
        #expect(result.lastPosition == log.events.last?.position)
    }

    @Test("every byte of a line matters: a flipped byte fails with its line")
    func flippedByte() throws {
        let log = sampleLog()
        let anchor = try log.anchor(key)
        let lines = log.lines
        // Flip a byte in the canonical text of line 5: its payload changed.
        var changed = lines
        changed[4] = changed[4].replacingOccurrences(of: "\\\"n\\\": 4", with: "\\\"n\\\": 5")
        let result = try verifyOffline(changed, anchor)
        #expect(result.failure == .changedEvent(EventPlace(position: 10, stream: "gathering-b", version: 2, line: 5)))
        #expect(result.failure?.description.hasPrefix("line 5: ") == true)

        // Flip every byte of one line in turn: each one is caught, on that line. All but the position's
        // digits: today's canonical text does not cover the position (a position moved between its
        // neighbours is not seen; one moved across the anchor's position is, by the counts).
        let line = Array(lines[6].utf8)
        let digits = Array(#"{"position":14,"#.utf8)
        #expect(line.starts(with: digits))
        var firstSix = ChainChecker(anchorPosition: anchor.lastPosition)
        for (i, text) in lines[0..<6].enumerated() {
            let failure = Array(text.utf8).withUnsafeBufferPointer { LogAudit.check($0, number: i + 1, into: &firstSix) }
            #expect(failure == nil)
        }
        for i in line.indices where !(12..<14).contains(i) {
            var bytes = line
            bytes[i] ^= 0x01
            var checker = firstSix
            let failure = bytes.withUnsafeBufferPointer { LogAudit.check($0, number: 7, into: &checker) }
            let onLine7: Bool
            switch failure {
            case .malformedLine(let n, _): onLine7 = n == 7
            case .changedEvent(let place), .canonicalMismatch(let place, _), .outOfOrder(let place, _), .repeatedVersion(let place, _):
                onLine7 = place.line == 7
            case .removedEvent(_, _, let place): onLine7 = place.line == 7
            default: onLine7 = false
            }
            #expect(onLine7, "byte \(i) of line 7 flipped: \(String(describing: failure))")
        }
    }

    @Test("a removed line is a missing version; a removed last event of a stream is a count")
    func removedEvent() throws {
        let log = sampleLog()
        let anchor = try log.anchor(key)
        var lines = log.lines
        lines.remove(at: 3)  // mission-a version 2
        #expect(
            try verifyOffline(lines, anchor).failure
                == .removedEvent(stream: "mission-a", missing: 2, found: EventPlace(position: 14, stream: "mission-a", version: 3, line: 6)))

        lines = log.lines
        lines.remove(at: 11)  // the last event of its stream: no gap shows
        #expect(try verifyOffline(lines, anchor).failure == .eventsMissing(lastPosition: 24, anchored: 12, found: 11))
    }

    @Test("a removed stream is named as streams missing")
    func removedStream() throws {
        let log = sampleLog()
        let anchor = try log.anchor(key)
        let lines = log.lines.enumerated().filter { $0.offset % 3 != 1 }.map(\.element)
        #expect(try verifyOffline(lines, anchor).failure == .streamsMissing(lastPosition: 24, anchored: 3, found: 2))
    }

    @Test("a changed event whose chain was rewritten shows as a different root")
    func rewrittenChain() throws {
        let log = sampleLog()
        let anchor = try log.anchor(key)
        var rewritten = SyntheticLog()
        for (i, event) in log.events.enumerated() {
            rewritten.append(event.stream, payload: i == 2 ? "\"n\": 999" : "\"n\": \(i)")
        }
        #expect(try verifyOffline(rewritten.lines, anchor).failure == .rootMismatch(lastPosition: 24))
    }

    @Test("lines out of order, a stream that is not its canonical text's, and bad JSON are each named")
    func badLines() throws {
        let log = sampleLog()
        let anchor = try log.anchor(key)
        var lines = log.lines
        lines.swapAt(1, 2)
        #expect(try verifyOffline(lines, anchor).failure == .outOfOrder(
            EventPlace(position: 4, stream: "gathering-b", version: 1, line: 3), previousPosition: 6))

        lines = log.lines
        lines[0] = lines[0].replacingOccurrences(of: "\"stream\":\"mission-a\"", with: "\"stream\":\"mission-z\"")
        guard case .canonicalMismatch(let place, _)? = try verifyOffline(lines, anchor).failure else {
            Issue.record("a stream that is not its canonical text's passed")
            return
        }
        #expect(place.line == 1)

        lines = log.lines
        lines[8] = String(lines[8].dropLast())
        guard case .malformedLine(9, _)? = try verifyOffline(lines, anchor).failure else {
            Issue.record("a line cut short passed")
            return
        }
        lines = log.lines
        lines.insert("", at: 4)
        guard case .malformedLine(5, _)? = try verifyOffline(lines, anchor).failure else {
            Issue.record("an empty line passed")
            return
        }
    }

    @Test("since hash version 2 a line's position is in its hash: moved, or back on the old formula, it fails")
    func positionsCovered() throws {
        // A log from before migration 0014 (old formula), then on: both verify.
        var log = SyntheticLog()
        for i in 0..<4 { log.append("mission-a", payload: "\"n\": \(i)") }
        for i in 0..<4 { log.append(["mission-a", "gathering-b"][i % 2], coversPosition: true) }
        let anchor = try log.anchor(key)
        #expect(try verifyOffline(log.lines, anchor).failure == nil)

        // Line 7 (position 14) moved to position 15, still in order: its canonical text says 14.
        var lines = log.lines
        lines[6] = lines[6].replacingOccurrences(of: "\"position\":14", with: "\"position\":15")
        guard case .canonicalMismatch(let place, let reason)? = try verifyOffline(lines, anchor).failure else {
            Issue.record("a moved line passed")
            return
        }
        #expect(place.line == 7 && reason.contains("position 14"))

        // A chain recomputed with its last event back on the old formula, which leaves the position out.
        var downgraded = SyntheticLog()
        for i in 0..<4 { downgraded.append("mission-a", coversPosition: i < 3) }
        var checker = ChainChecker(anchorPosition: .max)
        let failures = downgraded.events.map { checker.add($0) }
        #expect(failures.prefix(3).allSatisfy { $0 == nil })
        guard case .canonicalMismatch(let last, let why)? = failures.last else {
            Issue.record("the old formula after the new passed")
            return
        }
        #expect(last.position == 8 && why.contains("old formula"))
    }

    @Test("lines with their keys in another order and spaces read the same")
    func otherSpelling() throws {
        let log = sampleLog()
        let anchor = try log.anchor(key)
        let respelled = try log.lines.map { line -> String in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestError("not an object")
            }
            var withExtra = object
            withExtra["comment"] = ["nested": [1, 2.5, true, NSNull()]]
            let data = try JSONSerialization.data(withJSONObject: withExtra, options: [.prettyPrinted])
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        }
        #expect(try verifyOffline(respelled, anchor).failure == nil)
    }

    @Test("a forged or untrusted anchor fails before the export is read")
    func anchorChecks() throws {
        let log = sampleLog()
        var anchor = try log.anchor(key)
        let other = AnchorKey()
        #expect(
            try verifyOffline(log.lines, anchor, trustedKey: other.publicKey).failure
                == .untrustedKey(anchorKey: key.publicKey.hex, trustedKey: other.publicKey.hex))
        anchor.events += 1
        #expect(try verifyOffline(log.lines, anchor).failure == .badSignature)
        let missing = try temporaryFolder().appendingPathComponent("none.ndjson")
        let anchorPath = try temporaryFolder().appendingPathComponent("anchor.json")
        try log.anchor(key).write(to: anchorPath)
        #expect(throws: AuditError.fileMissing(path: missing.path, what: "export")) {
            try LogAudit.verify(export: missing, anchor: anchorPath, trustedKey: nil)
        }
    }

    @Test("an empty log anchors and verifies")
    func emptyLog() throws {
        let anchor = try SyntheticLog().anchor(key)
        #expect(anchor.lastPosition == 0 && anchor.streams == 0 && anchor.events == 0)
        #expect(try verifyOffline([], anchor).failure == nil)
    }
    /// A log from before 0037 (ids chosen by the caller, a command without a name), then one since.
    func commandLog() -> SyntheticLog {
        var log = SyntheticLog()
        log.append("mission-a", command: "old-1", id: UUID().uuidString.lowercased())
        log.append("mission-a", command: "old-2", id: UUID().uuidString.lowercased())
        log.append("mission-a", command: "old-2", id: UUID().uuidString.lowercased())
        log.append("gathering-b", command: nil, id: UUID().uuidString.lowercased())
        log.appendCommand("gathering-b", "new-1")
        log.appendCommand("mission-a", "new-2", count: 3)
        log.appendCommand("gathering-b", "new-3", count: 2)
        return log
    }

    @Test("since 0037 an export's ids are its commands': a log from before and after verifies, and the ids and counts are recomputed")
    func commandIdsHold() throws {
        let log = commandLog()
        let anchor = try log.anchor(key)
        let result = try verifyOffline(log.lines, anchor)
        #expect(result.failure == nil)
        #expect(result.checked == 10)
    }

    @Test("since 0037, an event put in with its chain recomputed but an id its command does not give it is named, whatever its id's kind")
    func forgedIds() throws {
        let base = commandLog()
        let anchor = try base.anchor(key)
        var log = base
        log.append("gathering-b", command: "forged-1", id: CommandEventId.derive(commandId: "other", index: 0).uuidString.lowercased())
        let place = EventPlace(position: 22, stream: "gathering-b", version: 5, line: 11)
        #expect(try verifyOffline(log.lines, anchor).failure == .foreignEventId(place, command: "forged-1", index: 0))
        // An id of the older kind is not judged without the database: its record was in vigil.commands.
        var older = base
        older.append("gathering-b", command: "forged-1", id: UUID().uuidString.lowercased())
        #expect(try verifyOffline(older.lines, anchor).failure == nil)
        // Not even after the first derived id: a binary of 0037 on a database not yet migrated wrote some.
        var early = SyntheticLog()
        early.append("mission-a", command: "old-1", id: UUID().uuidString.lowercased())
        early.append("mission-a", command: "old-2", id: CommandEventId.derive(commandId: "victim", index: 0).uuidString.lowercased())
        let earlyAnchor = try SyntheticLog().anchor(key)
        #expect(try verifyOffline(early.lines, earlyAnchor).failure
            == .foreignEventId(EventPlace(position: 4, stream: "mission-a", version: 2, line: 2), command: "old-2", index: 0))
        early.events.removeLast()
        #expect(try verifyOffline(early.lines, earlyAnchor).failure == nil)
        var mixed = SyntheticLog()
        mixed.append("mission-a", command: "old-1", id: UUID().uuidString.lowercased())
        mixed.append("mission-a", command: "new-1")
        mixed.append("mission-a", command: "old-3", id: UUID().uuidString.lowercased())
        #expect(try verifyOffline(mixed.lines, earlyAnchor).failure == nil)

        // An event with no command after the first with its command's id.
        var unnamed = base
        unnamed.append("mission-a", command: nil, id: UUID().uuidString.lowercased())
        #expect(try verifyOffline(unnamed.lines, anchor).failure
            == .noCommand(EventPlace(position: 22, stream: "mission-a", version: 7, line: 11), idsFrom: 10))
    }

    @Test("a canonical text of version 2 that is not its thirteen values, each of its kind, fails instead of skipping the command's checks")
    func canonicalShape() throws {
        let anchor = try SyntheticLog().anchor(key)
        let id = CommandEventId.derive(commandId: "c", index: 0).uuidString.lowercased()
        let good = "[2, \"s\", 1, \"\(id)\", \"T\", 1, {}, {}, \"c\", null, null, \"a\", 1]"
        for text in [
            good, "[2, \"s\", 1, \"\(id)\", \"T\"]", "[2, \"s\", 1, 5, \"T\", 1, {}, {}, \"c\", null, null, \"a\", 1]",
            "[2, \"s\", 1, \"\(id)\", \"T\", 1, {\"x\": nope}, {}, \"c\", null, null, \"a\", 1]",
            "[2, \"s\", 1, \"\(id)\", \"T\", 1, {}, {}, \"\\ud800\", null, null, \"a\", 1]",
            "[2, \"s\", 1, \"\(id)\", \"T\", 1, {}, {}, \"c\", null, null, \"a\", 1, 2]",
        ] {
            let event = CanonicalEvent(position: 2, stream: "s", version: 1, type: "T", canonical: text,
                                       hash: CanonicalEvent.chainHash(previous: [], canonical: text))
            var lines: [UInt8] = []
            ExportFormat.appendLine(event, to: &lines)
            let failure = try verifyOffline([String(decoding: lines.dropLast(), as: UTF8.self)], anchor).failure
            if text == good {
                #expect(failure == nil)
            } else {
                guard case .canonicalMismatch(_, let reason)? = failure else {
                    Issue.record("\(text) gave \(String(describing: failure))")
                    continue
                }
                #expect(reason.contains("thirteen values"))
            }
        }
    }

    @Test("data nested deeper than the database takes verifies without overflowing the stack")
    func deepData() throws {
        var log = SyntheticLog()
        let depth = 200_000
        log.append("mission-a", command: "c")
        let text = log.events[0].canonical.replacingOccurrences(
            of: "{\"n\": 2}", with: "{\"n\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}")
        log.events[0] = CanonicalEvent(position: 2, stream: "mission-a", version: 1, type: "Happened", canonical: text,
                                       hash: CanonicalEvent.chainHash(previous: [], canonical: text))
        #expect(text.count > 2 * depth)
        #expect(try verifyOffline(log.lines, try log.anchor(key)).failure == nil)
    }

    @Test("since 0037, the first event of a command removed and its stream renumbered and rehashed is named by the next one's id")
    func firstEventRemoved() throws {
        var before = SyntheticLog()
        before.appendCommand("mission-a", "new-0")
        let anchor = try before.anchor(key)
        // The command appended versions 2–4; the owner removed 2 and rewrote 3 and 4 as 2 and 3.
        var log = before
        log.append("mission-a", command: "new-1", index: 1, metadata: #"{"login": "vigil"}"#)
        log.append("mission-a", command: "new-1", index: 2, metadata: #"{"login": "vigil"}"#)
        #expect(try verifyOffline(log.lines, anchor).failure
            == .foreignEventId(EventPlace(position: 4, stream: "mission-a", version: 2, line: 2), command: "new-1", index: 0))
    }

    @Test("since 0037, the last events of a command removed at the export's very end, after the anchor, are named by its first event's count")
    func tailRemoved() throws {
        var log = SyntheticLog()
        log.appendCommand("mission-a", "new-0")
        let anchor = try log.anchor(key)
        log.appendCommand("gathering-b", "new-1", count: 3)
        log.appendCommand("mission-a", "new-2")
        let whole = log.lines
        #expect(try verifyOffline(whole, anchor).failure == nil)
        let first = EventPlace(position: 4, stream: "gathering-b", version: 1)
        // Its last event, the export's last line but one: the anchor, made before, counts nothing after it.
        var cut = whole
        cut.remove(at: 3)
        #expect(try verifyOffline(cut, anchor).failure
            == .commandEventsMissing(EventPlace(position: 4, stream: "gathering-b", version: 1, line: 2), command: "new-1", declared: 3, present: 2))
        // Its last two, at the very end.
        #expect(try verifyOffline(Array(whole.prefix(2)), anchor).failure
            == .commandEventsMissing(EventPlace(position: first.position, stream: first.stream, version: 1, line: 2), command: "new-1", declared: 3, present: 1))
        // An anchor is not made of such a log.
        var short = SyntheticLog()
        short.appendCommand("gathering-b", "new-1", count: 3)
        short.events.removeLast()
        #expect(throws: TestError.self) { try short.anchor(key) }

        #expect(ExportFormat.wholeNumber("3") == 3 && ExportFormat.wholeNumber("3.00") == 3 && ExportFormat.wholeNumber("30e-1") == 3)
        #expect(ExportFormat.wholeNumber("0.3E1") == 3 && ExportFormat.wholeNumber("-2") == -2 && ExportFormat.wholeNumber("2E+2") == 200)
        #expect(ExportFormat.wholeNumber("3.0000000000000000001") == nil && ExportFormat.wholeNumber("2.5") == nil)
        #expect(ExportFormat.wholeNumber("1e400") == nil && ExportFormat.wholeNumber("x") == nil && ExportFormat.wholeNumber("1.") == nil)
        #expect(ExportFormat.wholeNumber("1e-9223372036854775808") == nil && ExportFormat.wholeNumber("-9223372036854775808") == .min)
        for number in ["0", "-0", "12", "1.5", "-1.5e10", "1E+2", "0.0e-0"] { #expect(JSONReader.isNumber(number.utf8), "\(number)") }
        for word in ["01", "+1", "0x10", "1.", ".5", "1e", "Infinity", "NaN", "-", "1e+", "--1"] { #expect(!JSONReader.isNumber(word.utf8), "\(word)") }
        // A command of several events with no count (appended before 0037 with ids of the command kind)
        // is not judged; a count that appears twice is a forged text.
        var uncounted = SyntheticLog()
        uncounted.append("mission-a", command: "c", index: 0)
        uncounted.append("mission-a", command: "c", index: 1)
        #expect(try verifyOffline(uncounted.lines, try SyntheticLog().anchor(key)).failure == nil)
        var twice = SyntheticLog()
        twice.append("mission-a", command: "c", index: 0, metadata: #"{"commandEvents": 1, "commandEvents": 2}"#)
        guard case .canonicalMismatch? = try verifyOffline(twice.lines, try SyntheticLog().anchor(key)).failure else {
            Issue.record("a count that appears twice passed")
            return
        }
        // A whole number written with a fraction counts, as numeric compares it; one that is not whole never holds.
        var whole3 = SyntheticLog()
        whole3.append("mission-a", command: "c", index: 0, metadata: #"{"commandEvents": 2.0}"#)
        whole3.append("mission-a", command: "c", index: 1)
        #expect(try verifyOffline(whole3.lines, try SyntheticLog().anchor(key)).failure == nil)
        var odd = SyntheticLog()
        odd.append("mission-a", command: "c", index: 0, metadata: #"{"commandEvents": 1.5, "login": "vigil"}"#)
        #expect(try verifyOffline(odd.lines, try SyntheticLog().anchor(key)).failure
            == .commandEventsMissing(EventPlace(position: 2, stream: "mission-a", version: 1, line: 1), command: "c", declared: nil, present: 1))
    }
}
