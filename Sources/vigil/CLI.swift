import ArgumentParser
import Foundation
import VigilDomain
import VigilService

/// How the CLI turns errors into a message on stderr and an exit code.
enum CLI {
    /// Exit codes: one per kind of failure, so scripts can tell them apart. A usage error (a missing or
    /// unknown option, a value outside a closed set) is argument-parser's own 64.
    enum ExitCode: Int32 {
        case invalidInput = 3
        case notFound = 4
        case conflict = 5
        case refused = 6
        case database = 7
        case tampered = 8
        case permission = 9
        /// The vault's master key is missing, unreadable, or not the vault's.
        case keyMissing = 10
        case internalError = 70
    }

    /// A failure the CLI already explained (or explains with `message`), ending with `code`.
    struct Failure: Error {
        var message: String?
        var code: ExitCode
    }

    /// Runs `body`; on error prints one line to stderr and exits with the error's code.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ValidationError {
            throw error
        } catch let code as ArgumentParser.ExitCode {
            throw code  // already explained by an inner CLI.run
        } catch let failure as Failure {
            if let message = failure.message { FileHandle.standardError.write(Data("vigil: \(message)\n".utf8)) }
            throw ArgumentParser.ExitCode(failure.code.rawValue)
        } catch {
            let (message, code) = describe(error)
            FileHandle.standardError.write(Data("vigil: \(message)\n".utf8))
            throw ArgumentParser.ExitCode(code.rawValue)
        }
    }

    /// The message and exit code of any error a use case throws.
    static func describe(_ error: Error) -> (String, ExitCode) {
        switch error {
        case let error as DomainError:
            switch error {
            case .invalid(let field, let reason): return ("\(flag(field)): \(reason)", .invalidInput)
            case .notFound(let kind, _): return ("\(error)\(nextStep[kind].map { " (\($0))" } ?? "")", .notFound)
            case .alreadyExists: return ("\(error)", .conflict)
            case .refused: return ("\(error)", .refused)
            }
        case let error as VigilError:
            switch error.kind {
            case .invalidInput: return (error.message, .invalidInput)
            case .notFound: return (error.message, .notFound)
            case .conflict: return (error.message, .conflict)
            case .database: return (error.message, .database)
            case .tampered: return (error.message, .tampered)
            case .corrupt: return (error.message, .internalError)
            case .permission: return (error.message, .permission)
            case .keyMissing: return (error.message, .keyMissing)
            }
        case let error as LocatedError:
            let (message, code) = describe(error.underlying)
            return ("\(error.place): \(message)", code)
        case let failure as Failure:
            return (failure.message ?? "failed", failure.code)
        default:
            return ("\(error)", .internalError)
        }
    }

    /// The command that records what a "not found" error names.
    static let nextStep = ["mission": "vigil mission register", "gathering": "vigil gathering schedule"]

    /// The flag for a field the domain names in its own words; a word that is no flag (`mission id`,
    /// an argument) stays as it is.
    static func flag(_ field: String) -> String {
        if let flag = flags[field] { return flag }
        if field.hasPrefix("count for ") { return "--count " + field.dropFirst("count for ".count) }
        return plainFlags.contains(field) ? "--" + field.replacingOccurrences(of: " ", with: "-") : field
    }

    /// Domain words whose flag is another word.
    static let flags = [
        "local time": "--at", "time zone": "--zone", "last date": "--last", "first date": "--from",
        "list reference": "--list-ref", "batch reference": "--batch-ref", "expected attendance": "--expected",
        "weekday": "--every", "claim source": "--claim source", "actor": "--actor", "limit": "--limit",
    ]

    /// Domain words whose flag is the word itself, hyphenated (`received by` is `--received-by`).
    static let plainFlags: Set<String> = [
        "address", "addressee", "annual day", "attendance", "batch", "campaign", "cause", "channel", "city", "claim",
        "coalition", "count", "country", "date", "demand", "email", "endorser", "gathering", "kind", "language", "link",
        "mission", "name", "names", "notes", "office", "organisation", "organiser", "outcome", "outlet", "readers",
        "reason", "received by", "role", "sending state", "summary", "text", "time", "title", "until", "venue", "version", "from",
        "days",
    ]
}
