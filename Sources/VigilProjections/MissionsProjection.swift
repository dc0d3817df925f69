import Foundation
import PostgresClient
import VigilDomain

/// One row of `vigil_read.missions`: a mission as registered and corrected.
public struct MissionRow: TableRow, Codable {
    public var missionId: String
    public var name: String
    public var kind: String
    public var sendingState: String
    public var city: String
    public var country: String
    public var timeZone: String
    public var address: String?
    public var latitude: Double?
    public var longitude: Double?
    public var status: String
    public var registeredAt: Date

    public static let table = "missions"
    public static let keyColumns = ["mission_id"]
    public static let columns = [
        Column("mission_id", "text"), Column("name", "text"), Column("kind", "text"), Column("sending_state", "text"),
        Column("city", "text"), Column("country", "text"), Column("time_zone", "text"), Column("address", "text"),
        Column("status", "text"), Column("registered_at", "timestamptz"), Column("latitude", "float8"),
        Column("longitude", "float8"),
    ]
    public var key: String { missionId }
    public var values: [String?] {
        [missionId, name, kind, sendingState, city, country, timeZone, address, status, registeredAt.postgresText,
         latitude.map(Coordinates.text), longitude.map(Coordinates.text)]
    }

    public init(row: Row) throws {
        missionId = try row.string("mission_id")
        name = try row.string("name")
        kind = try row.string("kind")
        sendingState = try row.string("sending_state")
        city = try row.string("city")
        country = try row.string("country")
        timeZone = try row.string("time_zone")
        address = try row.text("address")
        status = try row.string("status")
        registeredAt = try row.date("registered_at")
        latitude = try row.text("latitude").flatMap(Double.init)
        longitude = try row.text("longitude").flatMap(Double.init)
    }

    init(_ e: MissionRegistered) {
        missionId = e.missionId
        name = e.name
        kind = e.kind.rawValue
        sendingState = e.sendingState
        city = e.city
        country = e.country
        timeZone = e.timeZone
        address = e.address
        latitude = e.location?.latitude
        longitude = e.location?.longitude
        status = "open"
        registeredAt = e.registeredAt
    }
}

/// The "missions" projection: each mission's registration, corrections and closing.
public struct MissionsProjection: Projection {
    public typealias Model = [String: MissionRow]
    public let name = "missions"
    public let tables = [MissionRow.table]

    public init() {}

    public func emptyModel() -> Model { [:] }

    public func fold(_ model: inout Model, _ event: DecodedEvent) {
        guard case .mission(let e) = event.event else { return }
        switch e {
        case .registered(let e):
            model[e.missionId] = MissionRow(e)
        case .corrected(let e):
            if let name = e.name { model[e.missionId]?.name = name }
            if let city = e.city { model[e.missionId]?.city = city }
            if let zone = e.timeZone { model[e.missionId]?.timeZone = zone }
            if let address = e.address { model[e.missionId]?.address = address }
            if let location = e.location {
                model[e.missionId]?.latitude = location.latitude
                model[e.missionId]?.longitude = location.longitude
            }
        case .closed(let e):
            model[e.missionId]?.status = "closed"
        }
    }

    public func load(for batch: [DecodedEvent], tables: ProjectionTables, connection: Connection) throws -> Model {
        let ids = Set(batch.compactMap { item -> String? in
            guard case .mission(let e) = item.event else { return nil }
            return e.missionId
        })
        return Dictionary(uniqueKeysWithValues: try TableIO.load(MissionRow.self, where: "mission_id", in: ids, tables: tables, connection: connection).map { ($0.key, $0) })
    }

    public func loadAll(tables: ProjectionTables, connection: Connection) throws -> Model {
        Dictionary(uniqueKeysWithValues: try TableIO.loadAll(MissionRow.self, tables: tables, connection: connection).map { ($0.key, $0) })
    }

    public func save(_ model: Model, changedFrom before: Model, tables: ProjectionTables, connection: Connection) throws {
        try TableIO.saveChanged(model, before, tables: tables, connection: connection)
    }
}

extension MissionEvent {
    /// The mission the event is about.
    public var missionId: String {
        switch self {
        case .registered(let e): return e.missionId
        case .corrected(let e): return e.missionId
        case .closed(let e): return e.missionId
        }
    }
}

/// A key of two parts.
public struct Pair: Hashable, Sendable {
    public var first: String
    public var second: String
    public init(_ first: String, _ second: String) {
        self.first = first
        self.second = second
    }
}

/// A key of three parts.
public struct Triple: Hashable, Sendable {
    public var first: String
    public var second: String
    public var third: String
    public init(_ first: String, _ second: String, _ third: String) {
        self.first = first
        self.second = second
        self.third = third
    }
}
