import Foundation
import PostgresClient

/// Where a projection's rows go: its live tables, or the `__next` copies a rebuild fills.
public struct ProjectionTables: Sendable, Equatable {
    public let suffix: String

    /// The tables reports read.
    public static let live = ProjectionTables(suffix: "")
    /// The tables a rebuild fills before they are swapped in.
    public static let next = ProjectionTables(suffix: "__next")

    /// The qualified name of a logical table, such as `vigil_read.activity__next`.
    public func name(_ table: String) -> String { "vigil_read.\(table)\(suffix)" }
}

/// A column of a read-model table and its SQL type.
public struct Column: Sendable {
    public var name: String
    public var type: String

    public init(_ name: String, _ type: String) {
        self.name = name
        self.type = type
    }
}

/// A row of a read-model table: its columns in order, its key, and its values as PostgreSQL text.
public protocol TableRow: Equatable, Sendable {
    associatedtype Key: Hashable & Sendable
    static var table: String { get }
    static var columns: [Column] { get }
    static var keyColumns: [String] { get }
    var key: Key { get }
    /// The values in the order of `columns`, as PostgreSQL text; nil for NULL.
    var values: [String?] { get }
    init(row: Row) throws
}

/// Loading and storing rows: by key, all of them, and many at once with one upsert.
public enum TableIO {
    /// Rows whose `column` is one of `keys`. Not prepared: a generic plan made while a table was small
    /// (a fresh rebuild table) would keep scanning it whole as it grows.
    static func load<R: TableRow>(_ type: R.Type, where column: String, in keys: some Collection<String>,
                                  tables: ProjectionTables, connection: Connection) throws -> [R] {
        guard !keys.isEmpty else { return [] }
        let columns = R.columns.map(\.name).joined(separator: ", ")
        return try connection.query(
            "SELECT \(unescaped: columns) FROM \(unescaped: tables.name(R.table)) WHERE \(unescaped: column) = ANY(\(Array(keys))::text[])"
        ).map(R.init(row:))
    }

    /// Rows whose key columns match one of `keys` exactly (each key lists the columns' values in order).
    static func load<R: TableRow>(_ type: R.Type, whereKeys columns: [String], in keys: some Collection<[String]>,
                                  tables: ProjectionTables, connection: Connection) throws -> [R] {
        guard !keys.isEmpty else { return [] }
        let names = R.columns.map(\.name).joined(separator: ", ")
        let arrays = columns.indices.map { i in PostgresArray.literal(keys.map { $0[i] }) }
        let unnest = columns.indices.map { "$\($0 + 1)::text[]" }.joined(separator: ", ")
        let sql = """
            SELECT \(names) FROM \(tables.name(R.table))
             WHERE (\(columns.joined(separator: ", "))) IN (SELECT * FROM unnest(\(unnest)))
            """
        return try connection.query(PostgresQuery(sql: sql, parameters: arrays)).map(R.init(row:))
    }

    /// Every row of the table.
    static func loadAll<R: TableRow>(_ type: R.Type, tables: ProjectionTables, connection: Connection) throws -> [R] {
        let columns = R.columns.map(\.name).joined(separator: ", ")
        return try connection.query("SELECT \(unescaped: columns) FROM \(unescaped: tables.name(R.table))").map(R.init(row:))
    }

    /// Inserts or updates `rows` with one statement: each column goes as one array parameter.
    static func upsert<R: TableRow>(_ rows: [R], tables: ProjectionTables, connection: Connection) throws {
        guard !rows.isEmpty else { return }
        let names = R.columns.map(\.name)
        let unnest = R.columns.enumerated().map { "$\($0.offset + 1)::\($0.element.type)[]" }.joined(separator: ", ")
        let updates = names.filter { !R.keyColumns.contains($0) }.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        let sql = """
            INSERT INTO \(tables.name(R.table)) (\(names.joined(separator: ", ")))
            SELECT * FROM unnest(\(unnest))
            ON CONFLICT (\(R.keyColumns.joined(separator: ", "))) DO \(updates.isEmpty ? "NOTHING" : "UPDATE SET \(updates)")
            """
        var columns = [[String?]](repeating: [], count: names.count)
        for row in rows {
            for (i, value) in row.values.enumerated() { columns[i].append(value) }
        }
        try connection.query(PostgresQuery(sql: sql, parameters: columns.map(PostgresArray.literal)), prepared: true)
    }

    /// Upserts the rows of `after` that differ from `before`.
    static func saveChanged<R: TableRow>(_ after: [R.Key: R], _ before: [R.Key: R], tables: ProjectionTables,
                                         connection: Connection) throws {
        let changed = after.compactMap { key, row in before[key] == row ? nil : row }
        try upsert(changed, tables: tables, connection: connection)
    }
}

/// The name of a table, as a type: lets one row type serve tables of the same shape.
public protocol TableName: Sendable {
    static var name: String { get }
}

/// Which campaign a petition belongs to ('' for none). The campaigns and activity projections each keep
/// their own copy, so each can be rebuilt alone.
public struct PetitionLinkRow<Table: TableName>: TableRow, Codable {
    public var petitionId: String
    public var campaignId: String

    public static var table: String { Table.name }
    public static var keyColumns: [String] { ["petition_id"] }
    public static var columns: [Column] { [Column("petition_id", "text"), Column("campaign_id", "text")] }
    public var key: String { petitionId }
    public var values: [String?] { [petitionId, campaignId] }

    public init(row: Row) throws {
        petitionId = try row.string("petition_id")
        campaignId = try row.string("campaign_id")
    }

    init(petitionId: String, campaignId: String) {
        self.petitionId = petitionId
        self.campaignId = campaignId
    }
}

/// `vigil_read.campaign_petitions`, kept by the campaigns projection.
public enum CampaignPetitions: TableName { public static let name = "campaign_petitions" }
/// `vigil_read.activity_petitions`, kept by the activity projection.
public enum ActivityPetitions: TableName { public static let name = "activity_petitions" }
