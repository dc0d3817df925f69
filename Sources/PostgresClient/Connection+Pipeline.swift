import Foundation
internal import CLibPQ

extension Connection {
    /// Sends `queries` in libpq's pipeline mode and returns each one's rows, in order.
    ///
    /// The whole pipeline ends in one Sync, so it is one implicit transaction: either every statement
    /// takes effect or, when one fails, none does and that statement's error is thrown. Statements are
    /// prepared once per connection. They go out in chunks with a flush request after each, so neither
    /// side's buffers can fill while the other waits.
    ///
    /// With `separately`, each statement is followed by its own Sync and so is its own implicit
    /// transaction: a failing one does not undo the others, and all still travel in one round trip.
    public func pipeline(_ queries: [PostgresQuery], chunkSize: Int = 200, separately: Bool = false) throws -> [Rows] {
        let outcomes = try pipelineOutcomes(queries, chunkSize: chunkSize, separately: separately)
        for outcome in outcomes { if case .failure(let error) = outcome { throw error } }
        return try outcomes.map { try $0.get() }
    }

    /// Sends `queries` in pipeline mode, each followed by its own Sync (so each is its own implicit
    /// transaction), and returns each one's outcome: its rows or its own error. For statements that do
    /// not depend on each other, where one failing must not hide that another took effect.
    public func pipelineEach(_ queries: [PostgresQuery]) throws -> [Result<Rows, PostgresError>] {
        try pipelineOutcomes(queries, chunkSize: 200, separately: true)
    }

    /// The pipeline itself: each statement's rows or error, in order; throws only when the pipeline
    /// cannot be sent or read.
    func pipelineOutcomes(_ queries: [PostgresQuery], chunkSize: Int, separately: Bool) throws
        -> [Result<Rows, PostgresError>]
    {
        let conn = try live()
        var names: [String] = []
        names.reserveCapacity(queries.count)
        for query in queries { names.append(try prepare(query.sql)) }

        guard PQenterPipelineMode(conn) == 1 else { throw lastError(conn, "cannot enter pipeline mode") }
        defer { PQexitPipelineMode(conn) }

        var results: [Result<Rows, PostgresError>] = []
        results.reserveCapacity(queries.count)
        var start = 0
        while start < queries.count {
            let end = min(start + chunkSize, queries.count)
            for i in start..<end {
                let sent = withCStrings(queries[i].parameters) { values in
                    PQsendQueryPrepared(conn, names[i], Int32(queries[i].parameters.count), values, nil, nil, 0)
                }
                guard sent == 1 else { throw lastError(conn, "cannot send a pipelined statement") }
                if separately {
                    guard PQpipelineSync(conn) == 1 else { throw lastError(conn, "cannot end a pipelined statement") }
                }
            }
            guard PQsendFlushRequest(conn) == 1, PQflush(conn) == 0 else {
                throw lastError(conn, "cannot flush the pipeline")
            }
            for _ in start..<end {
                guard let result = PQgetResult(conn) else { throw lastError(conn, "the pipeline lost a result") }
                do {
                    try check(result)
                    results.append(.success(Connection.copyRows(result)))
                } catch let error as PostgresError {
                    results.append(.failure(error))
                }
                PQclear(result)
                // Each statement's results end with a NULL.
                while let extra = PQgetResult(conn) { PQclear(extra) }
                if separately { try awaitSync(conn) }
            }
            start = end
        }
        if !separately {
            guard PQpipelineSync(conn) == 1 else { throw lastError(conn, "cannot end the pipeline") }
            try awaitSync(conn)
        }
        return results
    }

    /// Reads up to and including a Sync's own result.
    func awaitSync(_ conn: OpaquePointer) throws {
        while true {
            guard let result = PQgetResult(conn) else {
                if PQstatus(conn) != CONNECTION_OK { throw lastError(conn, "the connection was lost in a pipeline") }
                continue
            }
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { return }
        }
    }
}

