import ArgumentParser
import Foundation
import VigilDomain
import VigilEncoding
import VigilService

/// `vigil audit …`: the raw history, the state of anything as it stood, and proof the log was not altered.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit the event log: its history, replays as of a time, and verification.",
        subcommands: [Log.self, Replay.self, Verify.self, Keygen.self, Anchor.self, Export.self]
    )

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The raw history: position, time, login, actor, command id, event type and data.",
            discussion: """
                The login is who the server authenticated (recorded by vigil.append itself); the actor is the label the \
                command was given (--actor, VIGIL_ACTOR), which nobody checks.
                \(AuditTime.help)
                Example: vigil audit log --campaign dad-2004 --since 2026-01-01 --format json
                """
        )

        @Option(help: "Only this stream (such as gathering-dad-2004-washington).")
        var stream: String?
        @Option(help: "Only the streams of this campaign: the campaign and its gatherings, weekly gatherings and petitions.")
        var campaign: String?
        @Option(help: "Recorded at or after this time (UTC).")
        var since: String?
        @Option(help: "Recorded at or before this time (UTC).")
        var until: String?
        @Option(help: "At most this many events.")
        var limit = 1_000
        @Option(help: "table or json (one JSON object per line).")
        var format: OutputFormat = .table

        func run() throws {
            try CLI.run {
                let since = try self.since.map { try AuditTime.parse($0, field: "--since", endOfDay: false) }
                let until = try self.until.map { try AuditTime.parse($0, field: "--until", endOfDay: true) }
                let events = try VigilService().history(
                    HistoryFilter(stream: stream, campaign: campaign, since: since, until: until, limit: limit))
                if format == .json {
                    for e in events {
                        Output.printJSON([
                            "position": e.position, "recordedAt": Output.iso(e.recordedAt), "actor": e.actor, "login": e.login.map { $0 as Any } ?? NSNull(),
                            "commandId": e.commandId ?? "", "stream": e.stream, "version": e.version, "type": e.type,
                            "data": (try? JSONSerialization.jsonObject(with: Data(e.data.utf8))) ?? e.data,
                        ])
                    }
                } else {
                    Output.printRows(
                        ["position", "recorded (UTC)", "login", "actor", "command", "stream", "v", "type", "data"],
                        events.map {
                            [String($0.position), Output.iso($0.recordedAt), $0.login ?? "-", $0.actor, String(($0.commandId ?? "").prefix(20)),
                             $0.stream, String($0.version), $0.type, String($0.data.prefix(80))]
                        }, format: .table)
                }
            }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The state of a campaign, mission, gathering, weekly gathering or petition as it stood then.",
            discussion: """
                Computed by the domain's own evolve from the log: what Vigil knew at that time or at that log
                position; with neither, now. \(AuditTime.help)
                Example: vigil audit replay gathering dad-2004-washington --as-of 2004-12-21
                Example: vigil audit replay gathering dad-2004-washington --as-of 2026-11-23T07:17:34Z
                """
        )

        @Argument(help: "What to replay.")
        var kind: ReplayKind
        @Argument(help: "Its id.")
        var id: String
        @Option(name: .customLong("as-of"), help: "As recorded at this time (UTC).")
        var asOf: String?
        @Option(help: "As of this log position (inclusive).")
        var position: Int64?
        @Option(
            help: ArgumentHelp(
                "Open sealed values from the vault: organiser (notes, reasons) or restricted (also people's names). Organisers only; needs the master key.",
                valueName: "level"))
        var reveal: RevealLevel?
        @Option(help: "table (a state a person reads: dates as dates, local times with their zone) or json (ISO 8601 dates and instants).")
        var format: OutputFormat = .table

        func validate() throws {
            guard asOf == nil || position == nil else { throw ValidationError("give --as-of TIME or --position N, not both") }
            if format == .csv { throw ValidationError("--format csv is for reports; a replay prints table or json") }
        }

        func run() throws {
            try CLI.run {
                let asOf = try self.asOf.map { try AuditTime.parse($0, field: "--as-of", endOfDay: true) }
                let service = VigilService()
                let state = try service.replay(kind, id: id, asOf: asOf, position: position)
                var text = String(decoding: try state.json(), as: UTF8.self)
                if let reveal { text = try service.reveal(text, level: reveal) }
                guard format == .table else { return print(text) }
                let tree = try JSONSerialization.jsonObject(with: Data(text.utf8))
                guard let object = tree as? [String: Any] else { return print(text) }
                print("\(kind.rawValue) \(id) (stream \(state.stream)): \(state.events) events"
                    + (state.lastPosition.map { ", the last at position \($0)" } ?? "")
                    + (asOf != nil || position != nil ? ", as it stood then" : ", as it stands now"))
                if let zone = state.timeZone { print("local times are in \(zone)") }
                for line in StateText.render(object["state"] ?? [:], zone: state.timeZone) { print(line) }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove the log was not altered: hash chains, append-only guards, and read models equal to a replay.",
            discussion: """
                Recomputes every stream's hash chain from the events (positions included) and names the first event \
                that does not match, a version or a command's events missing, and runs of missing positions; checks the \
                guards of the log: the triggers fire always, the append, hash and guard functions are the ones the \
                migrations create (by digests built into vigil), and no role may write the log but through vigil.append; \
                replays the log in memory and compares each projection with its stored rows. Exits 0 only when all \
                hold. Example: vigil audit verify
                """
        )

        @Option(help: "An anchor (from vigil audit anchor): also prove that the log extends it.")
        var anchor: String?
        @Option(name: .customLong("trusted-key"), help: "The public key file whose signature on the anchor to accept.")
        var trustedKey: String?
        @Option(help: "An export (from vigil audit export) to verify against --anchor with no database at all.")
        var file: String?
        @Option(help: "table or json.")
        var format: OutputFormat = .table

        func validate() throws {
            if file != nil && anchor == nil { throw ValidationError("--file needs --anchor: an export is verified against an anchor") }
            if trustedKey != nil && anchor == nil { throw ValidationError("--trusted-key goes with --anchor") }
        }

        func run() throws {
            try CLI.run {
                if let file, let anchor {
                    // The independent auditor's path: no database, only the export and the anchor.
                    let check = try VigilService.verify(export: file, anchor: anchor, trustedKey: trustedKey)
                    try AnchorOutput.print(check, what: "the export \(file)", format: format)
                    return
                }
                let service = VigilService()
                var anchorCheck: AnchorCheck?
                if let anchor { anchorCheck = try service.verify(anchor: anchor, trustedKey: trustedKey) }
                let report = try service.verify()
                if format == .json {
                    var object: [String: Any] = [
                        "holds": report.holds, "streams": report.streams, "events": report.events,
                        "guards": report.guards.map { ["check": $0.name, "holds": $0.holds] },
                        "quarantined": report.quarantined.map { ["position": $0.position, "type": $0.type, "stream": $0.stream, "reason": $0.reason] },
                        "projections": report.projections.map {
                            ["projection": $0.name, "matchesReplay": $0.difference == nil, "difference": $0.difference ?? ""]
                        },
                    ]
                    if let broken = report.firstBreak {
                        object["firstBreak"] = ["position": broken.position, "stream": broken.stream, "version": broken.version, "reason": broken.reason]
                    }
                    Output.printJSON(object)
                } else {
                    if let broken = report.firstBreak {
                        print("the log was altered: \(broken)")
                    } else {
                        print("every hash chain holds: \(report.events) events in \(report.streams) streams")
                    }
                    let failed = report.guards.filter { !$0.holds }
                    print(failed.isEmpty ? "append-only guards in place: \(report.guards.count) checks" : "guards missing: " + failed.map(\.name).joined(separator: "; "))
                    for projection in report.projections {
                        print("projection \(projection.name): \(projection.difference ?? "equals a replay of the log")")
                    }
                    if !report.quarantined.isEmpty {
                        print("set aside: \(report.quarantined.count) events no projection can read (positions "
                            + report.quarantined.prefix(10).map { String($0.position) }.joined(separator: ", ")
                            + (report.quarantined.count > 10 ? ", …" : "") + "); see vigil projections status")
                    }
                }
                if let anchorCheck { try AnchorOutput.print(anchorCheck, what: "the log", format: format, exit: false) }
                if !report.holds || anchorCheck?.holds == false { throw CLI.Failure(message: nil, code: .tampered) }
            }
        }
    }
}

extension AuditCommand {
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key for signing anchors: FILE (mode 0600) and its public half FILE.pub.",
            discussion: """
                Keep FILE outside the database and away from the database's owner; hand FILE.pub to whoever will check
                anchors. Never overwrites a key. Example: vigil audit keygen --out ~/vigil-anchor.key
                """
        )

        @Option(help: "Where to write the private key.")
        var out: String

        func run() throws {
            try CLI.run {
                let (publicKey, path) = try VigilService.makeAnchorKey(at: out)
                print("wrote the private key to \(out) and the public key to \(path)")
                print("public key: \(publicKey)")
            }
        }
    }

    struct Anchor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a statement of the whole log: every stream's head as one Merkle root, and the last position.",
            discussion: """
                Hand the anchor file to someone outside (a partner organisation, a lawyer, a public archive): anyone holding
                it can later prove that the log still extends it, with or without a database.
                Example: vigil audit anchor --key ~/vigil-anchor.key --out anchor-2026-11-23.json
                """
        )

        @Option(help: "The private key file (from vigil audit keygen).")
        var key: String
        @Option(help: "Where to write the anchor.")
        var out: String

        func run() throws {
            try CLI.run {
                let anchor = try VigilService().anchor(key: key, to: out)
                print("anchored \(anchor.events) events in \(anchor.streams) streams up to position \(anchor.lastPosition)")
                print("merkle root \(anchor.merkleRoot), signed by \(anchor.publicKey); written to \(anchor.path)")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the whole log as NDJSON: one event a line, with the text its hash covers and the hash.",
            discussion: """
                An auditor verifies it against an anchor with no database: vigil audit verify --file FILE --anchor ANCHOR.
                Example: vigil audit export --out log.ndjson
                """
        )

        @Option(help: "Where to write the export.")
        var out: String

        func run() throws {
            try CLI.run {
                let (events, last) = try VigilService().export(to: out)
                print("exported \(events) events up to position \(last) to \(out)")
            }
        }
    }
}

/// How an anchor check is printed.
enum AnchorOutput {
    static func print(_ check: AnchorCheck, what: String, format: OutputFormat, exit: Bool = true) throws {
        if format == .json {
            var object: [String: Any] = [
                "extendsAnchor": check.holds, "anchorPosition": check.anchorPosition, "streams": check.streams,
                "events": check.events, "checked": check.checked, "keyTrusted": check.keyTrusted,
            ]
            if let failure = check.failure { object["failure"] = failure }
            Output.printJSON(object)
        } else if let failure = check.failure {
            Swift.print("\(what) does not extend the anchor: \(failure)")
        } else {
            Swift.print("\(what) extends the anchor: \(check.events) events in \(check.streams) streams up to position \(check.anchorPosition) as anchored; \(check.checked) events checked"
                + (check.keyTrusted ? "; signed by the trusted key" : "; signature valid (give --trusted-key to check whose it is)"))
        }
        if exit && !check.holds { throw CLI.Failure(message: nil, code: .tampered) }
    }
}

/// Times auditors type: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM`, in UTC.
/// The times audits take, in UTC, at three precisions; an "until" or "as of" time includes the whole of
/// what it names.
enum AuditTime {
    /// What the help of a command taking times says.
    static let help = """
        Times are UTC: a date (YYYY-MM-DD) is the whole day; a minute (YYYY-MM-DD HH:MM) its sixty seconds; an \
        instant as vigil audit log prints it (2026-11-23T07:17:34Z, or with an offset) that second. An --until or \
        --as-of time includes all of what it names, a --since time starts at its beginning.
        """

    static func parse(_ raw: String, field: String, endOfDay: Bool) throws -> Date {
        let utc = TimeZone(identifier: "UTC") ?? .current
        let text = raw.trimmingCharacters(in: .whitespaces)
        // An instant with seconds and an offset, as audit log and JSON output print it.
        if text.count >= 19, let instant = Timestamp.parse(text) {
            // Without a fraction it names a whole second, as a bare date names a whole day.
            guard endOfDay, !text.contains(".") else { return instant }
            return Date(timeIntervalSince1970: instant.timeIntervalSince1970.rounded(.down) + 0.999_999)
        }
        if text.count == 10 {
            let date = try LocalDate.parse(text, field: field)
            let start = try LocalTime.resolve(WallTime(year: date.year, month: date.month, day: date.day, hour: 0, minute: 0), in: utc, fold: nil, field: field).instant
            return endOfDay ? start.addingTimeInterval(86_400 - 0.000_001) : start
        }
        let wall = try WallTime.parse(text.replacingOccurrences(of: "Z", with: ""), field: field)
        let instant = try LocalTime.resolve(wall, in: utc, fold: nil, field: field).instant
        return endOfDay ? instant.addingTimeInterval(59.999_999) : instant
    }
}
