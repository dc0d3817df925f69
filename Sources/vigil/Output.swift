import Foundation
import VigilDomain
import VigilEncoding
import VigilService

/// Printing for people (aligned tables) and machines (JSON, CSV).
enum Output {
    static func printOutcome(_ outcome: CommandOutcome, summary: String, format: OutputFormat) {
        // "projection X is" or "projections X, Y are", and the sessions in parentheses.
        func notYet(_ names: [String], _ sessions: [String], _ why: String, _ then: String) {
            guard !names.isEmpty else { return }
            let which = names.count == 1 ? "projection \(names[0]) is" : "projections \(names.joined(separator: ", ")) are"
            let who = sessions.isEmpty ? "" : " (\(sessions.joined(separator: "; ")))"
            FileHandle.standardError.write(Data("vigil: recorded, but \(which) \(why)\(who)\(then)\n".utf8))
        }
        notYet(outcome.lagging, outcome.heldBackBy, "held back by an older open transaction", "; reports will show this once it ends")
        notYet(outcome.busy, outcome.busyWith, "kept busy by another session",
               ", comparing or catching up; reports will show this at the next catch-up after it is done (the next command, or vigil projections run)")
        for warning in outcome.warnings { FileHandle.standardError.write(Data("vigil: \(warning)\n".utf8)) }
        switch format {
        case .json:
            let events: [[String: Any]] = outcome.events.map {
                [
                    "position": $0.position, "version": $0.version, "type": $0.type,
                    "data": (try? JSONSerialization.jsonObject(with: Data($0.data.utf8))) ?? $0.data,
                ]
            }
            printJSON([
                "stream": outcome.streamId, "duplicate": outcome.duplicate, "events": events, "idempotencyKey": outcome.commandId,
            ])
        case .table, .csv:
            if outcome.duplicate {
                print("already done: \(summary) (this key was used before; nothing new was recorded)")
            } else {
                print(summary)
            }
            for event in outcome.events {
                print("  \(event.type) → \(outcome.streamId) v\(event.version), position \(event.position)")
            }
            // The key it ran under: running the command again with it records nothing twice.
            print("  idempotency key \(outcome.commandId)")
        }
    }

    static func printJSON(_ object: Any) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return
        }
        print(String(decoding: data, as: UTF8.self))
    }

    /// An Encodable value as a JSON object tree, for printJSON: the codec's JSON (ISO 8601 instants).
    static func jsonValue<T: Encodable>(_ value: T) throws -> Any {
        try JSONSerialization.jsonObject(with: try VigilService.json(value), options: [.fragmentsAllowed])
    }

    /// Prints report rows: a table with a line saying how far behind the log the read models are; JSON
    /// as {"rows": […], "behindLog": […]}; or CSV (the lag then goes to stderr).
    ///
    /// A table shows only the `narrow` columns (by header, in the order of `headers`) unless `wide`: a
    /// report with twenty columns does not fit a terminal, and people read a few of them first. JSON and
    /// CSV are for machines and always carry every column.
    static func report<R: Encodable>(
        _ rows: [R], lag: [ProjectionLag], standby: StandbyLag? = nil, format: OutputFormat, headers: [String], narrow: [String]? = nil,
        wide: Bool = true, cells: (R) -> [String]
    ) throws {
        switch format {
        case .json:
            var object = ["rows": try jsonValue(rows), "behindLog": try jsonValue(lag)]
            if let standby { object["standby"] = try jsonValue(standby) }
            printJSON(object)
        case .csv:
            printRows(headers, rows.map(cells), format: .csv)
            if lag.contains(where: { $0.eventsBehind > 0 || $0.quarantined > 0 }) || standby != nil {
                FileHandle.standardError.write(Data("vigil: \(lagText(lag, standby: standby))\n".utf8))
            }
        case .table:
            let all = rows.map(cells)
            let keep = wide || narrow == nil ? Array(headers.indices) : headers.indices.filter { narrow?.contains(headers[$0]) == true }
            let table = all.map { row in keep.map { row[$0] } }
            printRows(keep.map { headers[$0] }, table, format: .table)
            printLag(lag, standby: standby)
            printHiddenLegend(table.flatMap { $0 })
        }
    }

    /// Says what "<5" and "withheld" mean, below a table in which one of `cells` is either.
    static func printHiddenLegend(_ cells: [String]) {
        let hidden = [DisclosedCount.fewerThanFiveText, DisclosedCount.withheldText]
        guard cells.contains(where: hidden.contains) else { return }
        print("(<5: 1 to 4 people, hidden so that nobody is singled out; withheld: hidden so that a <5 cannot be worked out"
            + " from a total; organisers see every figure with --exact)")
    }

    static func printLag(_ lag: [ProjectionLag], standby: StandbyLag? = nil) {
        print("(\(lagText(lag, standby: standby)))")
    }

    /// How current a report is: the read models against the log, and, when it was read from a standby,
    /// the standby against the primary.
    static func lagText(_ lag: [ProjectionLag], standby: StandbyLag? = nil) -> String {
        let behind = lag.filter { $0.eventsBehind > 0 }
        var text = behind.isEmpty ? "read models up to date with the log" : "read models behind the log: " + behind.map {
            "\($0.projection) \($0.eventsBehind) events (\(String(format: "%.1f", $0.secondsBehind)) s)"
        }.joined(separator: ", ")
        if let quarantined = lag.map(\.quarantined).max(), quarantined > 0 {
            text += "; \(quarantined) events no projection can read are set aside and not counted (vigil projections status)"
        }
        if let standby { text += "; \(standby)" }
        return text
    }

    static func printFigures(_ f: Figures) {
        print("gatherings: \(f.gatheringsScheduled) scheduled, \(f.gatheringsHeld) held, \(f.gatheringsCancelled) cancelled, \(f.gatheringsNotHeld) not held; \(f.weeklyHeld) weekly dates held")
        print("attendance: \(f.attendanceExpected) expected, \(f.attendanceReported) reported")
        print("deliveries: \(f.deliveriesAccepted) accepted, \(f.deliveriesRefused) refused, \(f.deliveriesBlocked) blocked, \(f.deliveriesNobodyCameOut) with nobody coming out")
        print("name lists read: \(f.readings) (\(f.namesRead) names); coverage: \(f.coverage); outlets that did not come: \(f.noShows)")
    }

    /// `2004-12-22T17:00:00Z`.
    static func iso(_ date: Date) -> String { Timestamp.format(date) }

    /// `2004-12-22 17:00` in UTC.
    static func utc(_ date: Date) -> String {
        let wall = WallTime(date, in: TimeZone(identifier: "UTC") ?? .current)
        return "\(wall.dateString) \(wall.clock)"
    }

    /// Prints rows as an aligned table, JSON (`json`, or objects keyed by the headers), or CSV with a header.
    static func printRows(_ headers: [String], _ rows: [[String]], json: Any? = nil, format: OutputFormat) {
        switch format {
        case .json:
            printJSON(json ?? rows.map { Dictionary(uniqueKeysWithValues: zip(headers, $0)) })
        case .csv:
            print(headers.map(csvField).joined(separator: ","))
            for row in rows { print(row.map(csvField).joined(separator: ",")) }
        case .table:
            var widths = headers.map(displayWidth)
            for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], displayWidth(cell)) } }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, cell in cell + String(repeating: " ", count: widths[i] - displayWidth(cell)) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            }
            print(line(headers))
            print(line(widths.map { String(repeating: "-", count: $0) }))
            for row in rows { print(line(row)) }
        }
    }

    /// A CSV cell, neutralised against spreadsheet formulas: the web's downloads write the same.
    static func csvField(_ text: String) -> String { CSVText.field(text) }

    /// Columns a string takes in a terminal: East Asian wide characters take two.
    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { width, scalar in
            let v = scalar.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
            let zero = scalar.properties.generalCategory == .nonspacingMark
            return width + (zero ? 0 : wide ? 2 : 1)
        }
    }
}
