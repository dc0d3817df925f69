import EventStore
import Foundation
import PostgresClient
import VigilCodec
import VigilDomain
import VigilProjections

/// One event of the raw history, as an auditor reads it.
public struct LoggedEvent: Sendable, Equatable {
    public var position: Int64
    public var recordedAt: Date
    /// Who said they acted: a label the front end passed (`--actor`, `VIGIL_ACTOR`), not checked by anyone.
    public var actor: String
    /// Who did: the login the server authenticated (`session_user`, which `vigil.append` records in the
    /// metadata itself); nil for events written before it did.
    public var login: String?
    public var commandId: String?
    public var stream: String
    public var version: Int64
    public var type: String
    /// The payload as JSON text.
    public var data: String
}

/// Which part of the history an auditor asks for.
public struct HistoryFilter: Sendable, Equatable {
    /// Only this stream (such as `gathering-dad-2004-washington`).
    public var stream: String?
    /// Only the streams of this campaign: the campaign and every stream whose events name it.
    public var campaign: String?
    /// Recorded at or after.
    public var since: Date?
    /// Recorded at or before.
    public var until: Date?
    /// At most this many events.
    public var limit: Int

    public init(stream: String? = nil, campaign: String? = nil, since: Date? = nil, until: Date? = nil, limit: Int = 1_000) {
        self.stream = stream
        self.campaign = campaign
        self.since = since
        self.until = until
        self.limit = limit
    }
}

/// The kinds of entity an audit can replay.
public enum ReplayKind: String, Sendable, CaseIterable {
    case campaign, mission, gathering, weekly, petition
}

/// The state of one entity as an audit prints it.
public struct ReplayedState: Sendable {
    public var stream: String
    public var events: Int
    public var lastPosition: Int64?
    /// The IANA zone of the entity's place (a mission's, a gathering's, a weekly gathering's), in which
    /// its wall times are read; nil for a campaign or a petition, whose times are instants.
    public var timeZone: String?
    let encode: @Sendable () throws -> Data

    /// `{"stream": …, "events": n, "lastPosition": p, "state": {…}}` with sorted keys. Instants, dates and
    /// wall times are ISO 8601 text (`2004-12-22T17:00:00Z`, `2004-12-22`, `2004-12-22T12:00`); a wall time
    /// is read in the `timeZone` of the object holding it, else in the entity's (`timeZone`, added to the
    /// object when known).
    public func json() throws -> Data {
        let state = try JSONSerialization.jsonObject(with: try encode())
        var object: [String: Any] = ["stream": stream, "events": events, "state": state]
        if let lastPosition { object["lastPosition"] = lastPosition }
        if let timeZone { object["timeZone"] = timeZone }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }
}

/// What `verify` found: each check, and whether all hold.
public struct VerifyReport: Sendable, Equatable {
    /// The first event whose hash chain does not hold.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        public var position: Int64
        public var stream: String
        public var version: Int64
        public var reason: String
        public var description: String { "event at position \(position) (stream \(stream), version \(version)): \(reason)" }
    }

    /// A guard of the log that must be in place.
    public struct Guard: Sendable, Equatable {
        public var name: String
        public var holds: Bool
    }

    /// One projection compared with a replay of the log: nil difference when equal.
    public struct Projection: Sendable, Equatable {
        public var name: String
        public var difference: String?
    }

    public var streams: Int
    public var events: Int
    public var firstBreak: Break?
    public var guards: [Guard]
    public var projections: [Projection]
    /// Events no projection could read, set aside: not a sign of tampering by themselves, but an
    /// auditor should know that the read models do not count them.
    public var quarantined: [QuarantinedEvent]

    /// True when every chain, guard and projection holds.
    public var holds: Bool {
        firstBreak == nil && guards.allSatisfy(\.holds) && projections.allSatisfy { $0.difference == nil }
    }
}

extension VigilService {
    /// The raw history: events of the filter's streams in the filter's window, in log order.
    public func history(_ filter: HistoryFilter) throws -> [LoggedEvent] {
        try guarded {
            guard (1...1_000_000).contains(filter.limit) else {
                throw DomainError.invalid(field: "limit", reason: "give 1 to 1000000")
            }
            let store = try session(.auditor).store
            var streams: [String]?
            if let stream = filter.stream { streams = [stream] }
            if let campaign = filter.campaign {
                let id = try Check.id(campaign, field: "campaign")
                streams = (streams ?? []) + [CampaignState.stream(id)]
                    + (try store.streams(whereField: "campaignId", equals: id))
            }
            return try store.history(streams: streams, since: filter.since, until: filter.until, limit: filter.limit).map {
                LoggedEvent(
                    position: $0.position, recordedAt: $0.recordedAt, actor: $0.actor,
                    login: (try? JSONSerialization.jsonObject(with: Data($0.metadata.utf8)) as? [String: Any])?["login"] as? String,
                    commandId: $0.commandId,
                    stream: $0.streamId, version: $0.version, type: $0.type, data: $0.data)
            }
        }
    }

    /// Replays one entity's stream up to a time or a position (both nil: now) with the domain's own
    /// fold, the same one every command loads with.
    public func replay(_ kind: ReplayKind, id rawId: String, asOf: Date? = nil, position: Int64? = nil) throws -> ReplayedState {
        try guarded {
            let id = try Check.id(rawId, field: "id")
            let session = try session(.auditor)
            switch kind {
            case .campaign: return try replay(CampaignState.self, id, asOf, position, session)
            case .mission: return try replay(MissionState.self, id, asOf, position, session)
            case .gathering: return try replay(GatheringState.self, id, asOf, position, session)
            case .weekly: return try replay(RecurrenceState.self, id, asOf, position, session)
            case .petition: return try replay(PetitionState.self, id, asOf, position, session)
            }
        }
    }

    func replay<D: Decider & Encodable>(_ type: D.Type, _ id: String, _ asOf: Date?, _ position: Int64?, _ session: Session) throws
        -> ReplayedState
    {
        let stream = D.stream(id)
        let recorded = try session.store.readStream(stream, asOf: asOf, position: position)
        let state = try fold(D.self, recorded)
        let zone: String? =
            switch state {
            case let gathering as GatheringState: gathering.scheduled?.timeZone
            case let weekly as RecurrenceState: weekly.rule?.timeZone
            case let mission as MissionState: mission.registration?.timeZone
            default: nil
            }
        return ReplayedState(stream: stream, events: recorded.count, lastPosition: recorded.last?.position, timeZone: zone) {
            try EventCodec.readableJSON(state)
        }
    }

    /// Proves the log was not altered: recomputes every hash chain, checks the guards that keep it
    /// append-only, and compares every projection with a replay of the log.
    public func verify() throws -> VerifyReport {
        try guarded {
            let session = try session(.auditor)
            let chains = try session.store.verifyChains()
            let guards = try session.store.verifyGuards()
            let runner = ProjectionRunner(connection: session.connection)
            let projections = try Projections.all.map {
                VerifyReport.Projection(name: $0.name, difference: try runner.compareWithReplay($0))
            }
            return VerifyReport(
                streams: chains.streams, events: chains.events,
                firstBreak: chains.firstBreak.map { .init(position: $0.position, stream: $0.streamId, version: $0.version, reason: $0.reason) },
                guards: guards.map { .init(name: $0.name, holds: $0.holds) }, projections: projections,
                quarantined: try Reports.quarantine(connection: session.connection))
        }
    }
}
