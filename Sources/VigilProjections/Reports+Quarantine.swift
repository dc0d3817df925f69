import Foundation
import PostgresClient

/// An event the projections could not read and set aside, as reports show it.
public struct QuarantinedEvent: Codable, Equatable, Sendable {
    /// Its global position in the log.
    public var position: Int64
    /// Its stored type name.
    public var type: String
    /// The stream it was appended to.
    public var stream: String
    /// Why it could not be read, such as "event GatheringHeld: its payload does not decode: field
    /// gatheringId is not a String".
    public var reason: String
    /// When it was first set aside.
    public var at: Date
    /// The projections that set it aside, by name.
    public var projections: [String]
}

extension Reports {
    /// Every event a projection set aside, in commit order, once per event (the reporter role may read it).
    public static func quarantine(connection: Connection) throws -> [QuarantinedEvent] {
        try connection.query(
            """
            SELECT global_position, event_type, stream_id, min(reason) AS reason, min(quarantined_at) AS at,
                   string_agg(projection, ',' ORDER BY projection) AS projections
              FROM vigil_read.quarantine
             WHERE projection NOT LIKE '%#%'
             GROUP BY global_position, transaction_id, event_type, stream_id
             ORDER BY transaction_id, global_position
            """
        ).map { row in
            QuarantinedEvent(
                position: try row.int64("global_position"), type: try row.string("event_type"),
                stream: try row.string("stream_id"), reason: try row.string("reason"), at: try row.date("at"),
                projections: try row.string("projections").split(separator: ",").map(String.init))
        }
    }
}
