import Foundation
import PostgresClient
import VigilDomain

/// What a person does in a coalition, and the group role their login is granted for it.
public enum LoginRole: String, Sendable, CaseIterable {
    /// Records commands: a member of vigil_writer.
    case organiser
    /// Reads the log and the read models: a member of vigil_auditor.
    case auditor
    /// Reads the read models only: a member of vigil_reporter.
    case reporter

    /// The group role a login in this role is granted.
    public var groupRole: String {
        switch self {
        case .organiser: return SessionRole.writer.rawValue
        case .auditor: return SessionRole.auditor.rawValue
        case .reporter: return SessionRole.reporter.rawValue
        }
    }
}

/// Where organisers reach the shared server, for the URL `addOrganiser` hands out. Nil parts are taken
/// from the administrator's own session (the port, the database).
public struct CoalitionAddress: Sendable, Equatable {
    /// The host name in the server's certificate (`localhost`, `vigil.example.org`).
    public var host: String
    public var port: Int?
    /// The coalition's certificate authority's certificate, as organisers will save it.
    public var caFile: String?

    public init(host: String = "localhost", port: Int? = nil, caFile: String? = nil) {
        self.host = host
        self.port = port
        self.caFile = caFile
    }
}

/// A login just made by `addOrganiser`: its name, role, the URL to connect with (no password in it)
/// and the password, which exists nowhere else: the server keeps only its SCRAM verifier.
public struct NewLogin: Sendable {
    public var login: String
    public var role: LoginRole
    public var groupRole: String
    /// A libpq URL without the password: `postgresql://LOGIN@HOST:PORT/DB?sslmode=verify-full&sslrootcert=…`.
    public var url: String
    /// Whether the URL names the certificate authority's file (else the organiser adds `sslrootcert`).
    public var namesCertificateAuthority: Bool
    /// The password generated for this login: shown once, then forgotten.
    public var password: String
    /// The campaigns the login is limited to (empty: every campaign).
    public var campaigns: [String]
}

extension VigilService {
    /// Creates a login for a person of the coalition: a role that can log in with a freshly generated
    /// password (192 random bits), granted `role`'s group role and nothing else, and, with `campaigns`,
    /// limited to recording in those campaigns. The password goes to the server only as a SCRAM-SHA-256
    /// verifier computed here. One transaction: a refusal leaves nothing made. Needs the administrator's
    /// session (a login that may create roles).
    public func addOrganiser(
        _ rawName: String, role: LoginRole, campaigns rawCampaigns: [String] = [], address: CoalitionAddress = CoalitionAddress()
    ) throws -> NewLogin {
        try guarded {
            let name = try VigilService.checkLoginName(rawName)
            let campaigns = try rawCampaigns.map { try Check.id($0, field: "campaign") }
            guard role == .organiser || campaigns.isEmpty else {
                throw VigilError(.invalidInput, "--campaign limits what an organiser records; a \(role.rawValue) records nothing")
            }
            let connection = try session(.owner).connection
            let password = VigilService.generatePassword()
            let verifier = try connection.scramVerifier(password: password, user: name)
            let (port, database) = try connection.withTransaction { () throws -> (Int, String) in
                if try !connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(name)").isEmpty {
                    throw VigilError(.conflict, "a role named \(name) exists already; choose another name (nothing was created)")
                }
                let ident = try connection.quoteIdentifier(name)
                do {
                    try connection.execute(
                        "CREATE ROLE \(ident) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD \(try connection.quoteLiteral(verifier))")
                    try connection.execute("GRANT \(try connection.quoteIdentifier(role.groupRole)) TO \(ident)")
                } catch let error as PostgresError where error.sqlState == .insufficientPrivilege {
                    throw VigilError(
                        .permission,
                        "this login may not create roles: run vigil admin as the coalition's administrator (scripts/coalition vigil admin …); nothing was created")
                } catch let error as PostgresError where error.sqlState == .duplicateObject {
                    throw VigilError(.conflict, "a role named \(name) exists already; choose another name (nothing was created)")
                }
                for campaign in campaigns {
                    try connection.query("INSERT INTO vigil.campaign_grants (login, campaign_id) VALUES (\(name), \(campaign)) ON CONFLICT DO NOTHING")
                }
                let row = try connection.query("SELECT current_setting('port') AS port, current_database() AS db").first
                return (Int(try row?.string("port") ?? "") ?? 5432, try row?.string("db") ?? "vigil")
            }
            let url = VigilService.connectionURL(login: name, host: address.host, port: address.port ?? port, database: database, caFile: address.caFile)
            return NewLogin(
                login: name, role: role, groupRole: role.groupRole, url: url, namesCertificateAuthority: address.caFile != nil,
                password: password, campaigns: campaigns)
        }
    }

    /// Limits `login` to recording in the campaigns it is allowed (this one and any allowed before): from
    /// its first allowance on, `vigil.append` refuses it every stream outside them (missions included).
    /// Needs the administrator's session.
    public func allow(login rawLogin: String, campaign rawCampaign: String) throws {
        try guarded {
            let login = try VigilService.checkLoginName(rawLogin, reserved: false)
            let campaign = try Check.id(rawCampaign, field: "campaign")
            let connection = try session(.owner).connection
            guard try coalitionLogin(login, connection).role == .organiser else {
                throw VigilError(.invalidInput, "\(login) is not an organiser: only an organiser records, so only an organiser is allowed campaigns")
            }
            try administering(connection) {
                try connection.query(
                    "INSERT INTO vigil.campaign_grants (login, campaign_id) VALUES (\(login), \(campaign)) ON CONFLICT DO NOTHING")
            }
        }
    }

    /// Takes one campaign from a limited login's allowances. The last one is never
    /// taken: a login with no allowance records in every campaign, so taking the last would widen what it
    /// may do. To stop a login recording at all, disable it. Needs the administrator's session.
    public func disallow(login rawLogin: String, campaign rawCampaign: String) throws -> [String] {
        try guarded {
            let login = try VigilService.checkLoginName(rawLogin, reserved: false)
            let campaign = try Check.id(rawCampaign, field: "campaign")
            let connection = try session(.owner).connection
            _ = try coalitionLogin(login, connection)
            return try administering(connection) {
                try connection.withTransaction {
                    let allowed = try connection.query(
                        "SELECT campaign_id FROM vigil.campaign_grants WHERE login = \(login) ORDER BY campaign_id FOR UPDATE"
                    ).map { try $0.string("campaign_id") }
                    guard allowed.contains(campaign) else {
                        throw VigilError(
                            .notFound,
                            allowed.isEmpty
                                ? "\(login) is not limited to any campaign (it records in every one); nothing was changed"
                                : "\(login) is not allowed campaign \(campaign) (it records in: \(allowed.joined(separator: ", "))); nothing was changed")
                    }
                    guard allowed.count > 1 else {
                        throw VigilError(
                            .invalidInput,
                            "\(campaign) is the only campaign \(login) may record in, and a login with no allowance records in every campaign: "
                                + "allow it another first, or stop it recording at all with vigil admin disable \(login); nothing was changed")
                    }
                    try connection.query("DELETE FROM vigil.campaign_grants WHERE login = \(login) AND campaign_id = \(campaign)")
                    return allowed.filter { $0 != campaign }
                }
            }
        }
    }

    /// Gives a coalition login a new password (192 random bits; only its SCRAM verifier reaches the
    /// server) and returns it: the old one stops working at once. Needs the administrator's session.
    public func resetPassword(login rawLogin: String) throws -> (password: String, canLogIn: Bool) {
        try guarded {
            let login = try VigilService.checkLoginName(rawLogin, reserved: true)
            let connection = try session(.owner).connection
            let found = try coalitionLogin(login, connection)
            let password = VigilService.generatePassword()
            let verifier = try connection.scramVerifier(password: password, user: login)
            try administering(connection) {
                try connection.execute(
                    "ALTER ROLE \(try connection.quoteIdentifier(login)) PASSWORD \(try connection.quoteLiteral(verifier))")
            }
            return (password, found.canLogIn)
        }
    }

    /// Stops a coalition login (`enabled: false`): it can no longer log in, and its open sessions are
    /// ended, so a lost laptop or a person who left records nothing more. Or lets it log in again. What it
    /// recorded stays in the log under its name. Returns how many sessions were ended. Needs the
    /// administrator's session.
    public func setLogin(_ rawLogin: String, enabled: Bool) throws -> Int {
        try guarded {
            let login = try VigilService.checkLoginName(rawLogin, reserved: true)
            let connection = try session(.owner).connection
            _ = try coalitionLogin(login, connection)
            // One transaction: a login that may not end the sessions is not disabled either.
            return try administering(connection) {
                try connection.withTransaction {
                    try connection.execute("ALTER ROLE \(try connection.quoteIdentifier(login)) \(enabled ? "LOGIN" : "NOLOGIN")")
                    guard !enabled else { return 0 }
                    return try connection.query(
                        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS ended FROM pg_stat_activity WHERE usename = \(login) AND pid <> pg_backend_pid()"
                    ).first.map { Int(try $0.int64("ended")) } ?? 0
                }
            }
        }
    }

    /// Every login of the coalition (a member of an organiser's, auditor's or reporter's group role): its
    /// role, whether it can log in, and the campaigns it is limited to (empty: every campaign).
    public func coalitionLogins() throws -> [(login: String, role: LoginRole, canLogIn: Bool, campaigns: [String])] {
        try guarded { try coalitionLoginRows(try session(.owner).connection) }
    }

    /// The login `login` as the coalition made it. Anything else is refused, so that these commands never
    /// change the password of, or lock out, a role Vigil did not hand out.
    func coalitionLogin(_ login: String, _ connection: Connection) throws -> (role: LoginRole, canLogIn: Bool) {
        guard let found = try coalitionLoginRows(connection, named: login).first else {
            throw VigilError(.notFound, "no coalition login named \(login) exists (vigil admin logins lists them; vigil admin add-organiser makes one)")
        }
        return (found.role, found.canLogIn)
    }

    /// The coalition's logins (or the one `named`): roles granted an organiser's, auditor's or reporter's
    /// group role, neither a group role of Vigil's or PostgreSQL's nor an administrator (superuser, or
    /// may create roles). One row each, in its strongest role: an organiser's if it holds several.
    func coalitionLoginRows(_ connection: Connection, named login: String = "")
        throws -> [(login: String, role: LoginRole, canLogIn: Bool, campaigns: [String])]
    {
        try connection.query(
            """
            SELECT DISTINCT ON (r.rolname) r.rolname AS login, g.rolname AS group_role, r.rolcanlogin AS can_log_in,
                   coalesce((SELECT string_agg(c.campaign_id, ',' ORDER BY c.campaign_id) FROM vigil.campaign_grants c
                              WHERE c.login = r.rolname), '') AS campaigns
              FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid
             WHERE g.rolname = ANY(\(LoginRole.allCases.map(\.groupRole))::text[])
               AND NOT r.rolsuper AND NOT r.rolcreaterole AND r.rolname !~ '^(vigil|pg_)'
               AND (\(login) = '' OR r.rolname = \(login))
             ORDER BY r.rolname, g.rolname = 'vigil_writer' DESC, g.rolname
            """
        ).compactMap { row in
            let group = try row.string("group_role")
            guard let role = LoginRole.allCases.first(where: { $0.groupRole == group }) else { return nil }
            return (try row.string("login"), role, try row.bool("can_log_in"), try row.string("campaigns").split(separator: ",").map(String.init))
        }
    }

    /// Runs an administrator's statement, turning a refusal for want of rights into what to do.
    func administering<T>(_ connection: Connection, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.sqlState == .insufficientPrivilege {
            throw VigilError(.permission, "this login may not manage the coalition's logins: run vigil admin as the coalition's administrator (scripts/coalition vigil admin …); nothing was changed")
        }
    }

    /// The campaigns each limited login may record in (a login not listed records in every campaign).
    public func campaignGrants() throws -> [(login: String, campaigns: [String])] {
        try guarded {
            try session(.owner).connection.query(
                "SELECT login, array_to_string(array_agg(campaign_id ORDER BY campaign_id), ',') AS campaigns FROM vigil.campaign_grants GROUP BY login ORDER BY login"
            ).map { (try $0.string("login"), try $0.string("campaigns").split(separator: ",").map(String.init)) }
        }
    }

    /// A login's name: 2 to 63 lower-case letters, digits and `_`, starting with a letter, so that it is
    /// the same name quoted or not; never one of PostgreSQL's (`pg_…`) or Vigil's own roles (`vigil…`).
    static func checkLoginName(_ raw: String, reserved: Bool = true) throws -> String {
        let allowed = raw.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard (2...63).contains(raw.count), allowed, let first = raw.unicodeScalars.first, ("a"..."z").contains(first) else {
            throw VigilError(
                .invalidInput,
                "\"\(String(raw.prefix(70)).filter { !$0.isNewline })\" is not a login name: use 2 to 63 lower-case letters, digits and _, starting with a letter (such as tokyo_kim)")
        }
        if reserved && (raw.hasPrefix("pg_") || raw.hasPrefix("vigil") || raw == "postgres" || raw == "public") {
            throw VigilError(.invalidInput, "\(raw) is a name PostgreSQL or Vigil keeps for itself; choose another")
        }
        return raw
    }

    /// 24 bytes from the system's cryptographic generator, in URL-safe base64 without padding: 32
    /// characters that need no quoting in a shell, a URL or ~/.pgpass.
    static func generatePassword() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A libpq URL for `login` with TLS verified against the coalition's authority; never a password.
    /// `host` may name several servers, comma-separated, each `HOST` or `HOST:PORT` (`[IPv6]:PORT`): the
    /// nodes of a failover pair. The URL then names them all with `target_session_attrs=read-write`, so
    /// libpq keeps whichever accepts writes.
    static func connectionURL(login: String, host: String, port: Int, database: String, caFile: String?) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        func escape(_ text: String, keeping extra: String = "") -> String {
            text.addingPercentEncoding(withAllowedCharacters: unreserved.union(CharacterSet(charactersIn: extra))) ?? text
        }
        func server(_ part: Substring) -> String {
            let part = part.trimmingCharacters(in: .whitespaces)
            if part.hasPrefix("["), let close = part.firstIndex(of: "]") {
                let rest = part[part.index(after: close)...]
                let ownPort = rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil
                return "\(part[...close]):\(ownPort ?? port)"
            }
            if part.contains(":") {
                let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
                if pieces.count == 2, let ownPort = Int(pieces[1]) { return "\(escape(String(pieces[0]))):\(ownPort)" }
                return "[\(part)]:\(port)"  // an IPv6 address without a port
            }
            return "\(escape(part)):\(port)"
        }
        let servers = host.split(separator: ",").map(server)
        var url = "postgresql://\(escape(login))@\(servers.joined(separator: ","))/\(escape(database))?"
        if servers.count > 1 { url += "target_session_attrs=read-write&" }
        url += "sslmode=verify-full"
        if let caFile { url += "&sslrootcert=\(escape(caFile, keeping: "/"))" }
        return url
    }
}
