import ArgumentParser
import EventStore
import Foundation
import PostgresClient
import VigilDomain

/// How the CLI turns errors into a message on stderr and an exit code.
enum CLI {
    /// Exit codes: one per kind of failure, so scripts can tell them apart. A usage error (a missing or
    /// unknown option) is argument-parser's own 64.
    enum ExitCode: Int32 {
        case invalidInput = 3
        case notFound = 4
        case conflict = 5
        case refused = 6
        case database = 7
        case tampered = 8
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

    static func describe(_ error: Error) -> (String, ExitCode) {
        switch error {
        case let error as PostgresError:
            switch error.kind {
            case .connection:
                return ("\(error.message)\(error.hint.map { "; \($0)" } ?? "")", .database)
            case .server, .client:
                return ("database error: \(error)", .database)
            }
        case let error as DomainError:
            switch error {
            case .invalid: return ("\(error)", .invalidInput)
            case .notFound: return ("\(error)", .notFound)
            case .alreadyExists: return ("\(error)", .conflict)
            case .refused: return ("\(error)", .refused)
            }
        case let error as EventStoreError:
            switch error {
            case .wrongExpectedVersion: return ("\(error); run the command again", .conflict)
            case .duplicateCommand: return ("\(error)", .conflict)
            case .corruptEvent: return ("\(error)", .internalError)
            }
        default:
            return ("\(error)", .internalError)
        }
    }
}
