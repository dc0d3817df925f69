internal import CLibPQ

extension Connection {
    /// The SCRAM-SHA-256 verifier of `password` for the role `user` (`SCRAM-SHA-256$4096:…`), computed here
    /// by libpq (`PQencryptPasswordConn`), so that `CREATE ROLE … PASSWORD` sends the server the verifier and
    /// the password itself never reaches the server, its logs or `pg_stat_activity`.
    public func scramVerifier(password: String, user: String) throws -> String {
        let conn = try live()
        guard let verifier = PQencryptPasswordConn(conn, password, user, "scram-sha-256") else {
            throw lastError(conn, "libpq could not compute a SCRAM-SHA-256 verifier")
        }
        defer { PQfreemem(verifier) }
        return String(cString: verifier)
    }

    /// Quotes a value as a string literal for a statement that takes no parameters (`CREATE ROLE …
    /// PASSWORD '…'`): libpq's `PQescapeLiteral`, for this connection's encoding.
    public func quoteLiteral(_ value: String) throws -> String {
        let conn = try live()
        guard let quoted = PQescapeLiteral(conn, value, value.utf8.count) else {
            throw lastError(conn, "cannot quote a literal")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }
}
