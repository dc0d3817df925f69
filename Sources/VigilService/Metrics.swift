import PostgresClient
import VigilDomain

/// How many commands of one kind came to one outcome, as every process that handled commands counted
/// them in `vigil_ops.command_counts` (0032): what `vigil serve` and `vigil projections run` show an
/// operator as `vigil_commands_total` and `vigil_command_conflicts_total`.
public struct CommandCount: Sendable, Equatable {
    /// The command's family and case (`gathering.schedule`, `petition.import`).
    public var kind: String
    /// `appended`, `repeated`, `refused`, `conflict` or `failed`.
    public var outcome: String
    public var commands: Int64
    /// Decisions among them that lost a race and were decided again.
    public var conflicts: Int64
}

extension VigilService {
    /// Runs one command and adds what came of it to the counts: `outcome` names a success (`appended`,
    /// `repeated`); a refusal, a lost race that was not won in the end, and any other failure are
    /// counted as `refused`, `conflict` and `failed`, and thrown on.
    func counted<T>(_ kind: String, _ outcome: (T) -> String, _ body: () throws -> T) throws -> T {
        lostRaces = 0
        do {
            let done = try body()
            count(kind, outcome(done), conflicts: lostRaces)
            return done
        } catch {
            let failure: String
            switch error {
            case is DomainError: failure = "refused"
            case let error as VigilError where error.kind == .conflict: failure = "conflict"
            default: failure = "failed"
            }
            count(kind, failure, conflicts: lostRaces)
            throw error
        }
    }

    /// Adds one handled command to the counts, on the writer's session if it is open and idle (a command
    /// that never reached the database is not counted; one inside a caller's transaction neither), in a transaction of its own that does not wait for the
    /// disk. A count that fails is dropped: it must never turn a command's outcome into another. The
    /// command's own work is over (committed or rolled back) when this runs.
    func count(_ kind: String, _ outcome: String, conflicts: Int) {
        guard let session = sessions[.writer], session.connection.isIdle else { return }
        _ = try? session.connection.query(
            """
            SELECT set_config('synchronous_commit', 'off', true),
                   vigil_ops.count_command(\(kind), \(outcome), \(Int32(clamping: conflicts)))
            """)
    }

    /// Every kind and outcome counted so far (read where reports read: the standby, when there is one).
    public func commandCounts() throws -> [CommandCount] {
        try guarded {
            try session(.reporter).connection.query(
                "SELECT kind, outcome, commands, conflicts FROM vigil_ops.command_counts ORDER BY kind, outcome LIMIT 1000"
            ).map {
                CommandCount(
                    kind: try $0.string("kind"), outcome: try $0.string("outcome"), commands: try $0.int64("commands"),
                    conflicts: try $0.int64("conflicts"))
            }
        }
    }
}

extension VigilCommand {
    /// `gathering.schedule`: the command's family and case, for a metric's label.
    var metricKind: String {
        func name(_ value: Any) -> String { Mirror(reflecting: value).children.first?.label ?? "\(value)" }
        switch self {
        case .campaign(let c): return "campaign." + name(c)
        case .mission(let c): return "mission." + name(c)
        case .gathering(let c): return "gathering." + name(c)
        case .recurrence(let c): return "weekly." + name(c)
        case .petition(let c): return "petition." + name(c)
        }
    }
}
