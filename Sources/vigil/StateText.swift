import Foundation
import VigilEncoding

/// A replayed state as a person reads it: one `name: value` line per field, nested fields indented,
/// lists as `-` items, instants as `2004-12-22 17:00:00 UTC`, wall times with their place's zone
/// (`2004-12-22 12:00 America/New_York`), and names in words (`startsAt` is `starts at`).
///
/// It renders the service's JSON (`ReplayedState.json()`), whose dates, wall times and instants are
/// ISO 8601 text: a wall time is the only value of the form `YYYY-MM-DDTHH:MM`, so it is recognised by
/// its shape and read in the zone of the nearest object that names one (the entity's, at the top).
enum StateText {
    static func render(_ tree: Any, zone: String?) -> [String] {
        var lines: [String] = []
        walk(tree, zone: zone, indent: "", into: &lines)
        return lines
    }

    static func walk(_ value: Any, zone: String?, indent: String, into lines: inout [String]) {
        guard let object = value as? [String: Any] else {
            lines.append(indent + scalar(value, zone: zone))
            return
        }
        let zone = (object["timeZone"] as? String) ?? zone
        for key in object.keys.sorted() {
            let name = words(key)
            switch object[key] {
            case let child as [String: Any] where child.isEmpty:
                lines.append("\(indent)\(name): none")
            case let child as [String: Any]:
                lines.append("\(indent)\(name):")
                walk(child, zone: zone, indent: indent + "  ", into: &lines)
            case let list as [Any] where list.isEmpty:
                lines.append("\(indent)\(name): none")
            case let list as [Any] where list.allSatisfy({ !($0 is [String: Any]) && !($0 is [Any]) }):
                lines.append("\(indent)\(name): " + list.map { scalar($0, zone: zone) }.joined(separator: ", "))
            case let list as [Any]:
                lines.append("\(indent)\(name):")
                for item in list {
                    var inner: [String] = []
                    walk(item, zone: zone, indent: indent + "    ", into: &inner)
                    for (i, line) in inner.enumerated() {
                        lines.append(i == 0 ? indent + "  - " + line.dropFirst(indent.count + 4) : line)
                    }
                }
            case let other?:
                lines.append("\(indent)\(name): \(scalar(other, zone: zone))")
            case nil:
                continue
            }
        }
    }

    /// One value: an instant in UTC, a wall time with its zone, a date as it is, anything else as text.
    static func scalar(_ value: Any, zone: String?) -> String {
        switch value {
        case let text as String:
            if isWallTime(text) { return text.replacingOccurrences(of: "T", with: " ") + (zone.map { " " + $0 } ?? "") }
            if text.count >= 20, text.hasSuffix("Z"), let instant = Timestamp.parse(text) {
                return Output.iso(instant).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
            }
            return text
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumber too, of the C type char.
            if String(cString: number.objCType) == "c" { return number.boolValue ? "yes" : "no" }
            return number.stringValue
        case is NSNull:
            return "none"
        default:
            return "\(value)"
        }
    }

    /// `2004-12-22T12:00`.
    static func isWallTime(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 16, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A else { return false }
        return [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15].allSatisfy { (0x30...0x39).contains(b[$0]) }
    }

    /// `startsAt` → `starts at`; `campaignId` → `campaign id`.
    static func words(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase { out += " " + character.lowercased() } else { out.append(character) }
        }
        return out
    }
}
