import Foundation
import VigilService

/// Printing for people (aligned tables) and machines (JSON, CSV).
enum Output {
    static func printOutcome(_ outcome: CommandOutcome, summary: String, format: OutputFormat) {
        for name in outcome.lagging {
            FileHandle.standardError.write(Data(
                "vigil: recorded, but projection \(name) is held back by an older open transaction; reports will show this once it ends\n".utf8))
        }
        switch format {
        case .json:
            let events: [[String: Any]] = outcome.events.map {
                [
                    "position": $0.position, "version": $0.version, "type": $0.type,
                    "data": (try? JSONSerialization.jsonObject(with: Data($0.data.utf8))) ?? $0.data,
                ]
            }
            printJSON(["stream": outcome.streamId, "duplicate": outcome.duplicate, "events": events])
        case .table, .csv:
            if outcome.duplicate {
                print("already done: \(summary) (this key was used before; nothing new was recorded)")
            } else {
                print(summary)
            }
            for event in outcome.events {
                print("  \(event.type) → \(outcome.streamId) v\(event.version), position \(event.position)")
            }
        }
    }

    static func printJSON(_ object: Any) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return
        }
        print(String(decoding: data, as: UTF8.self))
    }

    /// Prints rows as an aligned table, a JSON array of objects, or CSV with a header.
    static func printRows(_ headers: [String], _ rows: [[String]], keys: [String], json: [[String: Any]], format: OutputFormat) {
        switch format {
        case .json:
            printJSON(json)
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

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

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
