import EventStore
import Foundation
import VigilVault
import PostgresClient
import VigilDomain
import VigilProjections

/// The role a session acts in. The database grants each one only what it needs.
public enum SessionRole: String, Sendable, CaseIterable {
    /// Appends events (through vigil.append) and reads the read models.
    case writer = "vigil_writer"
    /// Keeps the read models: the only role that may write them.
    case projector = "vigil_projector"
    /// Reads the log and the read models.
    case auditor = "vigil_auditor"
    /// Reads the read models only.
    case reporter = "vigil_reporter"
    /// The login user as it is: the owner of the schema, for migrations and rebuilds.
    case owner = ""
}

/// Why a use case failed, for any front end: what kind of failure, and a message for a person.
/// Domain refusals stay `DomainError`; everything from the database or the log arrives as this.
public struct VigilError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, so that a front end can map it (an exit code, an HTTP status).
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// Malformed input: a file, a time, a value.
        case invalidInput
        /// Something the request names is not on record.
        case notFound
        /// Someone else got there first, or a key was used for another command.
        case conflict
        /// The database could not be reached or refused the statement.
        case database
        /// The log or its guards were altered.
        case tampered
        /// A stored event cannot be read back: a bug or a damaged log.
        case corrupt
        /// The login may not act in the role the use case needs.
        case permission
        /// The vault's master key is missing, unreadable or not the vault's.
        case keyMissing
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Vigil's one front door: every use case — each command, each report, audit, import, seed load,
/// projections, migrations — is a call here that takes and returns Swift values. A front end (the
/// CLI, a web server) parses, calls, renders; it never sees SQL, the event store or the client.
///
/// The service opens one session per role it needs, on first use, and keeps it for its lifetime. It is
/// used from one thread at a time.
public final class VigilService {
    /// A `postgresql://` URL or libpq `key=value` string; nil uses libpq's `PG*` variables.
    let conninfo: String?
    /// Where reports read (the reporter role's session): a streaming standby, from
    /// `VIGIL_REPORT_DATABASE_URL`; nil reads them from `conninfo`, the primary.
    let reportConninfo: String?
    /// A connection to the primary that asks only how far its WAL is ahead of the report standby.
    var primaryProbe: Connection?
    var sessions: [SessionRole: Session] = [:]
    /// The vault's master key: given here, or read from the environment by the first use case that seals
    /// or opens a subject (`VIGIL_MASTER_KEY`, `VIGIL_MASTER_KEY_FILE`). The others never read it.
    var masterKey: MasterKey?
    /// Where a missing master key is looked for.
    let environment: [String: String]
    /// Decisions of the command being handled that lost a race and were decided again, for its count.
    var lostRaces = 0

    /// A service over the database `conninfo` names (nil: `VIGIL_DATABASE_URL`, else libpq's `PG*`
    /// variables), sealing with `masterKey` (nil: `environment`'s, when a use case needs it). Nothing
    /// connects until a use case needs it.
    public init(
        conninfo: String? = nil, reportConninfo: String? = nil, masterKey: MasterKey? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.conninfo = conninfo ?? environment["VIGIL_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        self.reportConninfo = reportConninfo ?? environment["VIGIL_REPORT_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        self.masterKey = masterKey
        self.environment = environment
    }

    /// The session acting in `role`, opened on first use.
    func session(_ role: SessionRole) throws -> Session {
        if let session = sessions[role] { return session }
        let session: Session
        if role == .reporter, let reportConninfo {
            do {
                session = try Session(role: role, conninfo: reportConninfo)
            } catch let error as PostgresError where error.kind == .connection {
                throw VigilError(
                    .database,
                    "the standby reports read from (VIGIL_REPORT_DATABASE_URL) cannot be reached: \(error.message); start it "
                        + "(scripts/db standby start), or unset VIGIL_REPORT_DATABASE_URL to read reports from the primary")
            }
        } else {
            session = try Session(role: role, conninfo: conninfo)
        }
        sessions[role] = session
        return session
    }

    /// Runs a use case, turning the layers' errors into `VigilError` (domain refusals pass as they are).
    func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DomainError {
            throw error
        } catch let error as VigilError {
            throw error
        } catch let error as VaultError {
            switch error {
            case .masterKeyMissing, .keyFile, .keyFileTooOpen, .keyFileMalformed, .environmentKeyMalformed, .wrongMasterKey:
                throw VigilError(.keyMissing, "\(error)")
            case .damaged: throw VigilError(.tampered, "\(error)")
            }
        } catch let error as ProjectionRunner.TablesInUse {
            throw VigilError(.conflict, "\(error)")
        } catch let error as ProjectionRunner.LockBusy {
            throw VigilError(.conflict, "\(error)")
        } catch let error as EventStoreError {
            switch error {
            case .wrongExpectedVersion: throw VigilError(.conflict, "\(error); run the command again")
            case .duplicateCommand, .keyReused: throw VigilError(.conflict, "\(error)")
            case .corruptEvent: throw VigilError(.corrupt, "\(error)")
            }
        } catch let error as PostgresError {
            switch error.kind {
            case .connection:
                // A broken connection is forgotten, so that the next use case connects again.
                sessions.removeAll()
                throw VigilError(.database, "\(error.message)\(error.hint.map { "; \($0)" } ?? "")")
            case .server where error.sqlState == .campaignNotAllowed:
                throw VigilError(.permission, error.message)
            case .server, .client:
                if error.sqlState?.errorClass == "08" || error.sqlState?.errorClass == "57" { sessions.removeAll() }
                throw VigilError(.database, "database error: \(error)")
            }
        }
    }
}

/// One connection acting in one role, with the event store over it.
final class Session {
    let connection: Connection
    let store: EventStore
    let role: SessionRole

    /// Connects and takes on `role`. A login that is not a member of the role is refused, naming the
    /// role: acting with the login's own rights instead would fail open (the owner's, in a default set-up).
    init(role: SessionRole, conninfo: String?) throws {
        connection = try Connection(conninfo: conninfo)
        store = EventStore(connection: connection)
        self.role = role
        guard role != .owner else { return }
        try take(role)
    }

    /// Runs `body` acting as `role` on this session's connection, then takes this session's own role
    /// back: a command brings the read models up to date as vigil_projector without a second connection.
    func acting<T>(as other: SessionRole, _ body: () throws -> T) throws -> T {
        guard other != role else { return try body() }
        try take(other)
        do {
            let result = try body()
            try take(role)
            return result
        } catch {
            try? take(role)
            throw error
        }
    }

    /// Takes on `role` for the rest of the session, in one round trip, only where the login (the session
    /// user, whatever role it acts as now) is a member of it.
    private func take(_ role: SessionRole) throws {
        let rows = try connection.query(
            """
            SELECT session_user::text AS login, pg_has_role(session_user, \(role.rawValue), 'MEMBER') AS member,
                   CASE WHEN pg_has_role(session_user, \(role.rawValue), 'MEMBER')
                        THEN set_config('role', \(role.rawValue), false) END AS role
            """)
        guard let row = rows.first, try row.bool("member") else {
            let login = try rows.first?.string("login") ?? "this login"
            throw VigilError(
                .permission,
                "login \(login) is not a member of \(role.rawValue), the role this needs; an administrator grants it with GRANT \(role.rawValue) TO \(login)")
        }
    }
}

// The read models' value types, named through the front door so that a front end needs no other import.

/// A mission's row in the missions report.
public typealias MissionReportRow = VigilProjections.MissionReportRow
/// A campaign's row in the campaigns report.
public typealias CampaignReportRow = VigilProjections.CampaignReportRow
/// One gathering of a day of action.
public typealias DayRow = VigilProjections.DayRow
/// The roll-up figures of a mission or a campaign.
public typealias Figures = VigilProjections.Figures
/// Gatherings of one kind by status.
public typealias KindFigures = VigilProjections.KindFigures
/// How far one projection is behind the log.
public typealias ProjectionLag = VigilProjections.ProjectionLag
/// How far a rebuild has come.
public typealias RebuildProgress = VigilProjections.RebuildProgress
/// An event no projection could read, set aside with the reason.
public typealias QuarantinedEvent = VigilProjections.QuarantinedEvent
/// A count of people in a report: exact, or hidden in the reporter's view ("<5", "withheld").
public typealias DisclosedCount = VigilProjections.DisclosedCount
/// The rule that hides small counts in the reporter's view.
public typealias SmallCounts = VigilProjections.SmallCounts
