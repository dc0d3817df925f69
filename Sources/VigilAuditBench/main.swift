// vigil-audit-bench: the time and peak memory of anchoring, exporting and verifying a large log, one
// step per process so that each step's peak RSS is its own (scripts/bench-audit runs them in order).
//
//   vigil-audit-bench seed N              migrate, then append N events (100 per append, over 1,000 streams)
//   vigil-audit-bench keygen KEY          make a signing key (KEY and KEY.pub)
//   vigil-audit-bench anchor KEY ANCHOR   make an anchor of the log with the key file KEY
//   vigil-audit-bench export FILE         export the log
//   vigil-audit-bench verify-db ANCHOR    verify the database against the anchor
//   vigil-audit-bench verify-export FILE ANCHOR   verify the export against the anchor, no database
//
// The database is the one libpq's PG* variables name. Each step prints one line:
//   step=… events=… seconds=… peak_rss_mib=…
import EventStore
import Foundation
import PostgresClient
import VigilAudit

func peakRSSMiB() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576  // bytes on macOS
    #endif
}

func report(_ step: String, events: Int, since start: Date, _ extra: String = "") {
    let seconds = Date().timeIntervalSince(start)
    print(String(format: "step=%@ events=%d seconds=%.2f peak_rss_mib=%.1f%@", step, events, seconds, peakRSSMiB(), extra))
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("vigil-audit-bench: \(message)\n".utf8))
    exit(1)
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    let start = Date()
    switch (arguments.first, arguments.count) {
    case ("seed", 2):
        guard let count = Int(arguments[1]), count > 0 else { fail("seed takes a number of events") }
        let connection = try Connection()
        try Migrator(directory: try Migrator.defaultDirectory()).migrate(connection)
        let store = EventStore(connection: connection)
        let text = String(repeating: "x", count: 120)
        var appended = 0
        var batch = 0
        while appended < count {
            let n = min(100, count - appended)
            let events = (0..<n).map { i in
                NewEvent(type: "BenchNoted", data: "{\"n\": \(appended + i), \"text\": \"\(text)\"}")
            }
            try store.append(
                to: "bench-\(batch % 1_000)", expected: .any, events: events,
                metadata: EventMetadata(commandId: UUID().uuidString, actor: "bench"))
            appended += n
            batch += 1
        }
        report("seed", events: appended, since: start)
    case ("keygen", 2):
        let key = try AnchorKey.generate(to: URL(fileURLWithPath: arguments[1]))
        print("public key \(key.publicKey.hex)")
    case ("anchor", 3):
        let anchor = try LogAnchor.make(store: EventStore(connection: try Connection()), key: try AnchorKey.load(from: URL(fileURLWithPath: arguments[1])))
        try anchor.write(to: URL(fileURLWithPath: arguments[2]))
        report("anchor", events: anchor.events, since: start, " streams=\(anchor.streams)")
    case ("export", 2):
        let summary = try EventStore(connection: try Connection()).export(to: URL(fileURLWithPath: arguments[1]))
        report("export", events: summary.events, since: start, String(format: " mib=%.1f", Double(summary.bytes) / 1_048_576))
    case ("verify-db", 2):
        let anchor = try LogAnchor.read(from: URL(fileURLWithPath: arguments[1]))
        let result = try EventStore(connection: try Connection()).verify(against: anchor)
        report("verify-db", events: result.checked, since: start, " holds=\(result.holds)")
        if let failure = result.failure { fail("\(failure)") }
    case ("verify-export", 3):
        let result = try LogAudit.verify(
            export: URL(fileURLWithPath: arguments[1]), anchor: URL(fileURLWithPath: arguments[2]), trustedKey: nil)
        report("verify-export", events: result.checked, since: start, " holds=\(result.holds)")
        if let failure = result.failure { fail("\(failure)") }
    default:
        fail("usage: vigil-audit-bench seed N | keygen KEY | anchor KEY ANCHOR | export FILE | verify-db ANCHOR | verify-export FILE ANCHOR")
    }
} catch {
    fail("\(error)")
}
