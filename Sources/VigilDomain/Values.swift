import Foundation

/// Where a mission stands: WGS 84 degrees, north and east positive, to six decimals (about 10 cm).
/// A mission is a public building, so its place is public; it is what the report site's map draws.
public struct Coordinates: Codable, Sendable, Equatable, Hashable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// `38.943,-77.066`: latitude then longitude, as a map application copies them.
    public var description: String { "\(Coordinates.format(latitude)),\(Coordinates.format(longitude))" }

    /// Degrees as the database and the web take them: six decimals at most, no trailing zeros.
    public static func text(_ degrees: Double) -> String { format(degrees) }

    static func format(_ degrees: Double) -> String {
        var text = String(format: "%.6f", degrees)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}

/// Checks and normalises the values commands carry. Each check throws `DomainError.invalid` naming
/// the field and saying what would be accepted.
public enum Check {
    /// An id people can type: 3–64 lower-case letters, digits and hyphens, such as `prc-embassy-washington`.
    public static func id(_ raw: String, field: String) throws -> String {
        let value = raw.trimmingCharacters(in: .whitespaces)
        let allowed = value.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard (3...64).contains(value.count), allowed, value.first != "-", value.last != "-" else {
            throw DomainError.invalid(
                field: field,
                reason: "\"\(preview(raw))\" is not an id: use 3 to 64 lower-case letters, digits and hyphens, "
                    + "such as prc-embassy-washington")
        }
        return value
    }

    /// `LAT,LON` in decimal degrees (`38.9430,-77.0660`): latitude within ±90, longitude within ±180,
    /// rounded to six decimals so the same place typed twice is the same value.
    public static func coordinates(_ raw: String, field: String) throws -> Coordinates {
        let parts = raw.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        func degrees(_ text: String, limit: Double) -> Double? {
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+") }),
                let value = Double(text), value.isFinite, abs(value) <= limit
            else { return nil }
            return (value * 1_000_000).rounded() / 1_000_000
        }
        guard parts.count == 2, let latitude = degrees(parts[0], limit: 90), let longitude = degrees(parts[1], limit: 180) else {
            throw DomainError.invalid(
                field: field,
                reason: "\"\(preview(raw))\" is not a place: give latitude,longitude in decimal degrees, latitude within "
                    + "±90 and longitude within ±180, such as 38.943,-77.066 (north and east are positive)")
        }
        return Coordinates(latitude: latitude + 0, longitude: longitude + 0)
    }

    /// Text of at most `max` characters with no control characters (newlines and tabs only where
    /// `multiline`); surrounding blanks are trimmed. Any script is kept exactly as given.
    public static func text(_ raw: String, field: String, max: Int, multiline: Bool = false) throws -> String {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw DomainError.invalid(field: field, reason: "must not be empty") }
        guard value.count <= max else {
            throw DomainError.invalid(field: field, reason: "is \(value.count) characters long; at most \(max) are allowed")
        }
        for scalar in value.unicodeScalars where scalar.properties.generalCategory == .control {
            if multiline && (scalar == "\n" || scalar == "\t" || scalar == "\r") { continue }
            throw DomainError.invalid(
                field: field,
                reason: "holds the control character U+\(String(scalar.value, radix: 16, uppercase: true)); remove it")
        }
        return value
    }

    /// Optional text: nil or blank stays nil.
    public static func optionalText(_ raw: String?, field: String, max: Int, multiline: Bool = false) throws -> String? {
        guard let raw, !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return try text(raw, field: field, max: max, multiline: multiline)
    }

    /// The largest count a gathering, list or batch may report.
    public static let maximumCount = 10_000_000

    /// A whole number from 0 to `maximumCount`.
    public static func count(_ value: Int, field: String) throws -> Int {
        guard value >= 0 else { throw DomainError.invalid(field: field, reason: "is \(value); a count cannot be negative") }
        guard value <= maximumCount else {
            throw DomainError.invalid(field: field, reason: "is \(value); counts above \(maximumCount) are refused as implausible")
        }
        return value
    }

    /// A yes or no, as a signer file writes whether someone agreed to hear back: yes, y, true, 1 or x;
    /// no, n, false, 0 or nothing. Any other value is refused rather than guessed.
    public static func consent(_ raw: String?, field: String) throws -> Bool {
        guard let raw else { return false }
        switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
        case "yes", "y", "true", "1", "x": return true
        case "no", "n", "false", "0", "": return false
        default: throw DomainError.invalid(field: field, reason: "\"\(preview(raw))\" is neither yes nor no; write yes or no")
        }
    }

    /// An ISO 3166-1 alpha-2 country code such as US, KR or GB, upper-cased.
    public static func country(_ raw: String, field: String) throws -> String {
        if let code = asciiCountry(raw) { return code }
        let code = raw.trimmingCharacters(in: .whitespaces).uppercased()
        guard code.count == 2, Countries.codes.contains(code) else {
            throw DomainError.invalid(
                field: field, reason: "\"\(preview(raw))\" is not an ISO 3166 country code; use two letters such as US, KR, CN or GB")
        }
        return code
    }

    /// What `CharacterSet.whitespaces` holds in ASCII: space and tab.
    static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    /// A known code given in ASCII (blanks around it, either case), upper-cased; nil for anything else.
    static func asciiCountry(_ raw: String) -> String? {
        let bytes = Array(raw.utf8)[...].trimming(isBlank)
        guard bytes.count == 2, bytes.allSatisfy({ (0x41...0x5A).contains($0 & ~0x20) }) else { return nil }
        let code = String(decoding: bytes.map { $0 & ~0x20 }, as: UTF8.self)
        return Countries.codes.contains(code) ? code : nil
    }

    /// An IANA time zone such as America/New_York; abbreviations and offsets are refused because they
    /// do not follow a place's daylight-saving rules.
    public static func zone(_ raw: String, field: String) throws -> TimeZone {
        let name = raw.trimmingCharacters(in: .whitespaces)
        let known = TimeZone.knownTimeZoneIdentifiers
        if known.contains(name), name.contains("/") || name == "UTC", let zone = TimeZone(identifier: name) {
            return zone
        }
        // People write "america/new york" or "Seoul": compare without case, with spaces as underscores.
        let typed = name.lowercased().replacingOccurrences(of: " ", with: "_")
        let suggestion = known.first { $0.lowercased() == typed } ?? known.first { $0.lowercased().hasSuffix("/" + typed) }
        var reason = "\"\(preview(raw))\" is not an IANA time zone"
        if let suggestion { reason += "; did you mean \(suggestion)?" } else { reason += "; use a name such as America/New_York or Asia/Seoul" }
        throw DomainError.invalid(field: field, reason: reason)
    }

    /// A reference to something kept outside the log (a list of names, a batch of paper forms): an id,
    /// so that a name cannot be pasted where a reference belongs.
    public static func reference(_ raw: String, field: String) throws -> String {
        do {
            return try id(raw, field: field)
        } catch {
            throw DomainError.invalid(
                field: field,
                reason: "must be a reference such as nkfc-list-2015 (3 to 64 lower-case letters, digits and hyphens); "
                    + "never put the names themselves here")
        }
    }

    /// An ISO 639 language code such as ko, en or zh, lower-cased.
    public static func language(_ raw: String, field: String) throws -> String {
        let code = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard (2...3).contains(code.count), code.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) }) else {
            throw DomainError.invalid(field: field, reason: "\"\(preview(raw))\" is not a language code; use ISO 639 such as ko, en or zh")
        }
        return code
    }

    /// An http or https link of at most 500 characters.
    public static func link(_ raw: String, field: String) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard text.count <= 500, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty,
            !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " })
        else {
            throw DomainError.invalid(field: field, reason: "\"\(preview(raw))\" is not an http(s) link")
        }
        return text
    }

    /// A list of demands: each non-empty, at most 500 characters, at most 20 of them.
    public static func demands(_ raw: [String], field: String) throws -> [String] {
        let demands = try raw.map { try text($0, field: field, max: 500) }
        guard demands.count <= 20 else { throw DomainError.invalid(field: field, reason: "at most 20 demands") }
        return demands
    }

    static func preview(_ raw: String) -> String {
        let cleaned = String(raw.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
        return cleaned.count > 40 ? String(cleaned.prefix(40)) + "…" : cleaned
    }
}

extension ArraySlice<UInt8> {
    /// Without the leading and trailing bytes `blank` picks.
    func trimming(_ blank: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        var slice = self
        while let first = slice.first, blank(first) { slice.removeFirst() }
        while let last = slice.last, blank(last) { slice.removeLast() }
        return slice
    }
}
