import Foundation

/// An error from PostgreSQL or from libpq, with the SQLSTATE and the fields the server sent.
///
/// Its `description` carries the server's message and detail, never a connection string or password.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What failed: connecting, running a statement, or talking to the server.
    public enum Kind: Sendable, Equatable {
        case connection
        case server
        case client
    }

    public var kind: Kind
    /// The five-character SQLSTATE, where the server sent one.
    public var sqlState: SQLState?
    /// The constraint that was violated, where the server named one.
    public var constraint: String?
    /// The table the error is about, where the server named one.
    public var table: String?
    public var message: String
    public var detail: String?
    public var hint: String?

    public init(
        kind: Kind, sqlState: SQLState? = nil, constraint: String? = nil, table: String? = nil,
        message: String, detail: String? = nil, hint: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.constraint = constraint
        self.table = table
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState.code))" }
        if let detail, !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}

/// A SQLSTATE code. The named constants are the ones this project acts on, grouped by class.
public struct SQLState: Hashable, Sendable, CustomStringConvertible {
    public var code: String
    public init(_ code: String) { self.code = code }
    public var description: String { code }

    /// The two-character class, such as "23" for integrity constraint violations.
    public var errorClass: String { String(code.prefix(2)) }

    // Class 08 — connection exception
    public static let connectionException = SQLState("08000")
    public static let connectionFailure = SQLState("08006")
    // Class 23 — integrity constraint violation
    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let checkViolation = SQLState("23514")
    public static let notNullViolation = SQLState("23502")
    // Class 25 — invalid transaction state
    public static let idleInTransactionSessionTimeout = SQLState("25P03")
    // Class 40 — transaction rollback
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    // Class 42 — syntax error or access rule violation
    public static let insufficientPrivilege = SQLState("42501")
    public static let undefinedTable = SQLState("42P01")
    public static let undefinedObject = SQLState("42704")
    public static let duplicateObject = SQLState("42710")
    public static let duplicateDatabase = SQLState("42P04")
    // Class 57 — operator intervention
    public static let queryCanceled = SQLState("57014")
    public static let adminShutdown = SQLState("57P01")
    public static let cannotConnectNow = SQLState("57P03")
    // Class P0 — PL/pgSQL error
    public static let raiseException = SQLState("P0001")
    // Vigil's own codes, raised by functions in schema/ (class "VG" is not used by PostgreSQL).
    /// The stream's version is not the one the append expected.
    public static let wrongExpectedVersion = SQLState("VG001")
    /// Someone tried to change or remove an event.
    public static let immutableEvent = SQLState("VG002")
    /// The command id was handled before; nothing was appended.
    public static let duplicateCommand = SQLState("VG003")
    /// The command id was handled before for a command with a different fingerprint; nothing was appended.
    public static let keyReused = SQLState("VG004")
    /// The login is limited to some campaigns and the stream is not in one of them; nothing was appended.
    public static let campaignNotAllowed = SQLState("VG005")
}
