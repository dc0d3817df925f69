import Foundation

extension Connection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// If the rollback itself fails (the connection is gone), the body's error is the one thrown.
    @discardableResult
    public func withTransaction<R>(_ isolation: IsolationLevel = .readCommitted, _ body: () throws -> R) throws -> R {
        // Named even for READ COMMITTED: a login's default_transaction_isolation must not choose it.
        try execute("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        let value: R
        do {
            value = try body()
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
        try execute("COMMIT")
        return value
    }

    /// PostgreSQL's transaction isolation levels.
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }
}
