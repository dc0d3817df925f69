import Foundation

/// Why the domain refused a command, in the user's words. Nothing is appended when one is thrown.
public enum DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value is malformed or out of range: `field` names it in the domain's words (`local time`,
    /// `expected attendance`; a front end maps it to its own flag or form field), `reason` says what to do.
    case invalid(field: String, reason: String)
    /// The command names something that was never recorded.
    case notFound(kind: String, id: String)
    /// The command would record something a second time.
    case alreadyExists(kind: String, id: String)
    /// The command breaks a rule given what already happened.
    case refused(String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): return "\(field): \(reason)"
        case .notFound(let kind, let id):
            let first = kind == "mission" ? "register it first" : kind == "gathering" ? "schedule it first" : "record it first"
            return "no \(kind) \"\(id)\" is on record; check the id, or \(first)"
        case .alreadyExists(let kind, let id): return "\(kind) \"\(id)\" already exists; choose another id"
        case .refused(let why): return why
        }
    }
}
