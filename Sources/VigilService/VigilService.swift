import EventStore
import Foundation
import PostgresClient
import VigilCodec
import VigilDomain
import VigilProjections

/// A command of any aggregate, as the CLI hands it over.
public enum VigilCommand: Sendable, Equatable {
    case campaign(CampaignCommand)
    case mission(MissionCommand)
    case gathering(GatheringCommand)
    case recurrence(RecurrenceCommand)
    case petition(PetitionCommand)
}

/// What a command did: the events it appended (or, for a retry, the events its first run appended).
public struct CommandOutcome: Sendable, Equatable {
    public struct Event: Sendable, Equatable {
        public var position: Int64
        public var version: Int64
        public var type: String
        /// The payload as JSON text.
        public var data: String
    }

    public var streamId: String
    /// True when the command id was handled before, so nothing new was appended.
    public var duplicate: Bool
    public var events: [Event]
    /// Projections that could not show the command yet, because an older transaction holds the log back.
    public var lagging: [String] = []
}

/// The role a session acts in. The database grants each one only what it needs.
public enum SessionRole: String, Sendable {
    /// Appends events and keeps the read models.
    case writer = "vigil_writer"
    /// Reads the log and the read models.
    case auditor = "vigil_auditor"
    /// Reads the read models only.
    case reporter = "vigil_reporter"
    /// The login user as it is: the owner of the schema, for migrations and rebuilds.
    case owner = ""
}

/// One session of Vigil: a connection acting in a role, the event store over it, and the handling of
/// commands: load the streams a command touches, decide, append with the expected version (retrying a
/// lost race), then bring the projections up to date so that reports show the command's effect.
public final class VigilSession {
    public let connection: Connection
    public let store: EventStore
    public let role: SessionRole

    /// Connects (see `Connection.init`) and takes on `role` when the login user is a member of it;
    /// otherwise the login user's own grants apply.
    public init(role: SessionRole, conninfo: String? = nil) throws {
        connection = try Connection(conninfo: conninfo)
        store = EventStore(connection: connection)
        self.role = role
        if role != .owner {
            try connection.query(
                "SELECT set_config('role', \(role.rawValue), false) WHERE pg_has_role(\(role.rawValue), 'MEMBER')")
        }
    }

    /// How many times a command is decided again after losing a race for its stream.
    static let attempts = 5

    /// Handles one command under `commandId`: a retry with the same id appends nothing and returns the
    /// first outcome.
    public func handle(_ command: VigilCommand, commandId: String, context: CommandContext) throws -> CommandOutcome {
        let metadata = EventMetadata(commandId: commandId, actor: context.actor, extra: ["client": "vigil-cli"])
        var attempt = 0
        while true {
            attempt += 1
            do {
                let (stream, expected, events) = try decide(command, context: context)
                let newEvents = events.map { NewEvent(id: UUID(), type: $0.type, data: $0.data) }
                let result = try store.append(to: stream, expected: expected, events: newEvents, metadata: metadata)
                var outcome = CommandOutcome(
                    streamId: stream, duplicate: false,
                    events: zip(result.events, newEvents).map {
                        .init(position: $0.position, version: $0.version, type: $1.type, data: $1.data)
                    })
                outcome.lagging = try catchUpProjections(through: result.checkpoint)
                return outcome
            } catch EventStoreError.wrongExpectedVersion where attempt < VigilSession.attempts {
                continue
            } catch EventStoreError.duplicateCommand {
                return try firstOutcome(of: commandId)
            } catch let error as DomainError {
                // A retry of a command that succeeded would now be refused ("already exists"): answer it
                // with what it did the first time instead.
                if try store.wasHandled(commandId) { return try firstOutcome(of: commandId) }
                throw error
            }
        }
    }

    func firstOutcome(of commandId: String) throws -> CommandOutcome {
        let events = try store.events(ofCommand: commandId)
        let stream = try events.first.map(\.streamId) ?? store.firstResult(of: commandId).streamId
        return CommandOutcome(
            streamId: stream, duplicate: true,
            events: events.map { .init(position: $0.position, version: $0.version, type: $0.type, data: $0.data) })
    }

    /// Loads what the command touches and decides; returns the stream, its expected version and the
    /// encoded events.
    func decide(_ command: VigilCommand, context: CommandContext) throws
        -> (String, ExpectedVersion, [(type: String, data: String)])
    {
        switch command {
        case .campaign(let command):
            let id = try Check.id(command.campaignId, field: "campaign id")
            let (state, version) = try loadCampaign(id)
            return (Streams.campaign(id), expected(version), try encode(CampaignState.decide(command, state, context)))
        case .mission(let command):
            let id = try Check.id(command.missionId, field: "mission id")
            let (state, version) = try loadMission(id)
            return (Streams.mission(id), expected(version), try encode(MissionState.decide(command, state, context)))
        case .gathering(let command):
            let id = try Check.id(command.gatheringId, field: "gathering id")
            let (gathering, version) = try loadGathering(id)
            var missionId = gathering.scheduled?.missionId
            var campaignId: String?
            if case .schedule(let c) = command {
                missionId = try Check.id(c.missionId, field: "--mission")
                campaignId = try c.campaignId.map { try Check.id($0, field: "--campaign") }
            }
            let state = GatheringContext(
                gathering: gathering, mission: try missionId.map { try loadMission($0).0 } ?? MissionState(),
                campaign: try campaignId.map { try loadCampaign($0).0 } ?? CampaignState())
            return (Streams.gathering(id), expected(version), try encode(GatheringState.decide(command, state, context)))
        case .recurrence(let command):
            let id = try Check.id(command.recurrenceId, field: "recurrence id")
            let (recurrence, version) = try loadRecurrence(id)
            var state = RecurrenceContext(recurrence: recurrence)
            if case .schedule(let c) = command {
                state.mission = try loadMission(try Check.id(c.missionId, field: "--mission")).0
                if let campaignId = c.campaignId { state.campaign = try loadCampaign(try Check.id(campaignId, field: "--campaign")).0 }
            }
            return (Streams.recurrence(id), expected(version), try encode(RecurrenceState.decide(command, state, context)))
        case .petition(var command):
            let id = try Check.id(command.petitionId, field: "petition id")
            let (petition, version) = try loadPetition(id)
            var state = PetitionContext(petition: petition)
            switch command {
            case .draft(let c):
                if let campaignId = c.campaignId { state.campaign = try loadCampaign(try Check.id(campaignId, field: "--campaign")).0 }
            case .deliver(let c):
                state.mission = try loadMission(try Check.id(c.missionId, field: "--mission")).0
                if let gatheringId = c.gatheringId { state.gathering = try loadGathering(try Check.id(gatheringId, field: "--gathering")).0 }
            case .sign(var c):
                // The identity becomes a keyed reference here and goes no further.
                if let identity = c.identity {
                    c.signerRef = try signerReference(identity)
                    c.identity = nil
                }
                command = .sign(c)
            case .revise, .open, .count, .importBatch, .close:
                break
            }
            return (Streams.petition(id), expected(version), try encode(PetitionState.decide(command, state, context)))
        }
    }

    func expected(_ version: Int64) -> ExpectedVersion { version == 0 ? .noStream : .exact(version) }

    func encode<E: DomainEvent>(_ events: [E]) throws -> [(type: String, data: String)] {
        try events.map { let encoded = try EventCodec.encode($0); return (encoded.type, encoded.data) }
    }

    /// `evolve` as an in-place fold, for the aggregates whose states are small.
    func inPlace<S, E>(_ evolve: @escaping (S, E) -> S) -> (inout S, E) -> Void { { $0 = evolve($0, $1) } }

    /// A mission's state and its stream's version.
    public func loadMission(_ id: String) throws -> (MissionState, Int64) {
        try load(Streams.mission(id), MissionState(), MissionEvent.self, inPlace(MissionState.evolve))
    }

    /// A campaign's state and its stream's version.
    public func loadCampaign(_ id: String) throws -> (CampaignState, Int64) {
        try load(Streams.campaign(id), CampaignState(), CampaignEvent.self, inPlace(CampaignState.evolve))
    }

    /// A weekly gathering's state and its stream's version.
    public func loadRecurrence(_ id: String) throws -> (RecurrenceState, Int64) {
        try load(Streams.recurrence(id), RecurrenceState(), RecurrenceEvent.self, inPlace(RecurrenceState.evolve))
    }

    /// A petition's state and its stream's version.
    public func loadPetition(_ id: String) throws -> (PetitionState, Int64) {
        try load(Streams.petition(id), PetitionState(), PetitionEvent.self, PetitionState.apply)
    }

    /// A gathering's state and its stream's version.
    public func loadGathering(_ id: String) throws -> (GatheringState, Int64) {
        try load(Streams.gathering(id), GatheringState(), GatheringEvent.self, inPlace(GatheringState.evolve))
    }

    func load<S, E: DomainEvent>(_ stream: String, _ initial: S, _ type: E.Type, _ apply: (inout S, E) -> Void) throws -> (S, Int64) {
        var state = initial
        let events = try store.readStream(stream)
        try fold(events, of: stream, into: &state, apply)
        return (state, events.last?.version ?? 0)
    }

    /// Folds a stream's events into `state` in place. In place matters: a petition's state holds every
    /// signer's reference, and `state = evolve(state, event)` copied all of them per event (a
    /// `petition sign` after a million-signer import took 7.5 s).
    func fold<S, E: DomainEvent>(_ events: [RecordedEvent], of stream: String, into state: inout S, _ apply: (inout S, E) -> Void) throws {
        for recorded in events {
            guard let event = try EventCodec.decode(E.self, type: recorded.type, data: recorded.data) else {
                throw EventStoreError.corruptEvent(
                    position: recorded.position, reason: "\(recorded.type) does not belong in stream \(stream)")
            }
            apply(&state, event)
        }
    }

    /// Brings every projection up to date with the log.
    @discardableResult
    public func catchUpProjections(progress: ((String, Int) -> Void)? = nil) throws -> Int {
        let runner = ProjectionRunner(connection: connection)
        var total = 0
        for projection in Projections.all {
            total += try runner.catchUp(projection) { progress?(projection.name, $0) }
        }
        return total
    }

    /// How long a command waits for older transactions so that its own events reach the read models.
    static let visibilityTimeout = 10.0

    /// Brings every projection past `target` (a command's own events), so reports show the command;
    /// returns the projections that could not get there in time. When an old transaction elsewhere
    /// holds the log back that long, the command has still succeeded, and the projections catch up on
    /// the next command.
    func catchUpProjections(through target: Checkpoint?) throws -> [String] {
        guard let target else { return [] }
        let runner = ProjectionRunner(connection: connection)
        return try Projections.all.filter {
            try !runner.catchUp($0, through: target, timeout: VigilSession.visibilityTimeout)
        }.map { $0.name }
    }
}

/// The names of streams: one per campaign, mission, gathering, weekly gathering or petition.
public enum Streams {
    public static func campaign(_ id: String) -> String { "campaign-\(id)" }
    public static func mission(_ id: String) -> String { "mission-\(id)" }
    public static func gathering(_ id: String) -> String { "gathering-\(id)" }
    public static func recurrence(_ id: String) -> String { "recurrence-\(id)" }
    public static func petition(_ id: String) -> String { "petition-\(id)" }
}
