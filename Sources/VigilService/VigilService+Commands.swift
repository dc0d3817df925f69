import Crypto
import EventStore
import Foundation
import PostgresClient
import VigilCodec
import VigilDomain
import VigilProjections
import VigilVault

/// A command of any aggregate, as a front end hands it over.
public enum VigilCommand: Sendable, Equatable {
    case campaign(CampaignCommand)
    case mission(MissionCommand)
    case gathering(GatheringCommand)
    case recurrence(RecurrenceCommand)
    case petition(PetitionCommand)
}

/// Who asks, and under which key: what every command brings besides its content.
public struct CommandRequest: Sendable, Equatable {
    /// The command's id: a key the user gave (a retry with it appends nothing), or nil for a new one.
    public var key: String?
    /// Who is acting, as a label recorded with the events; nil applies `VigilService.actor(_:)`'s rule.
    public var actor: String?
    /// Which front end sent it, recorded in the events' metadata (`vigil-cli`, `vigil-import`).
    public var client: String

    public init(key: String? = nil, actor: String? = nil, client: String = "vigil-cli") {
        self.key = key
        self.actor = actor
        self.client = client
    }
}

/// What a command did: the events it appended (or, for a retry, the events its first run appended).
public struct CommandOutcome: Sendable, Equatable {
    /// One appended event.
    public struct Event: Sendable, Equatable {
        public var position: Int64
        public var version: Int64
        public var type: String
        /// The payload as JSON text.
        public var data: String
    }

    /// The command id it was handled under: the user's key, or the one the service made.
    public var commandId: String
    public var streamId: String
    /// True when the command id was handled before, so nothing new was appended.
    public var duplicate: Bool
    public var events: [Event]
    /// Projections that could not show the command yet, because an older transaction holds the log back.
    public var lagging: [String] = []
    /// The sessions whose open transactions held them back (empty when none lag, or when they ended
    /// just after).
    public var heldBackBy: [String] = []
    /// Projections another session kept busy past the deadline (an auditor comparing them with a replay,
    /// a catch-up of a long backlog, a rebuild's swap), and those sessions.
    public var busy: [String] = []
    public var busyWith: [String] = []
    /// What went wrong after the events were committed (bringing the read models up to date): the
    /// command succeeded, and running it again would record nothing new.
    public var warnings: [String] = []
    /// Where the last appended event stands in commit order (nil for a duplicate).
    var checkpoint: Checkpoint?
}

/// What one decision produced: the stream it appends to, the version it was decided against, the
/// events, and the domain events they encode (for a caller that folds them forward).
struct Decision<Event: DomainEvent> {
    var stream: String
    var version: Int64
    var events: [Event]
    /// The other streams the decision read, at the versions it read them: a change to any of them
    /// before the append commits makes the decision stale.
    var conditions: [(stream: String, version: Int64)] = []
}

/// How often a command is decided again after losing a race, and what counts as a lost race.
enum RetryPolicy {
    /// How many times a command is decided at most: a lost race is retried, the last one reported.
    static let attempts = 5

    /// Runs `body` until it returns or throws something other than a lost race; a lost race on the
    /// last attempt is thrown. `body` gets the attempt's number, from 1.
    static func run<T>(attempts: Int = RetryPolicy.attempts, onConflict: () -> Void = {}, _ body: (Int) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try body(attempt)
            } catch EventStoreError.wrongExpectedVersion(let stream, let expected, let actual) {
                onConflict()
                guard attempt < attempts else { throw EventStoreError.wrongExpectedVersion(stream: stream, expected: expected, actual: actual) }
            }
        }
    }
}

extension VigilService {
    /// The actor recorded when a request names none: `$VIGIL_ACTOR`, else `cli:$USER`, else `cli`.
    /// One rule for every command and every import; the label is checked like any other text.
    public static func actor(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> String
    {
        let label = explicit ?? environment["VIGIL_ACTOR"] ?? environment["USER"].map { "cli:\($0)" } ?? "cli"
        return try Check.text(label, field: "actor", max: 200)
    }

    /// Handles one command: loads what it touches, decides, appends with the expected version
    /// (deciding again after a lost race), then brings the projections past its events so reports show
    /// it. A retry under the same key appends nothing and returns the first outcome.
    public func handle(_ command: VigilCommand, _ request: CommandRequest = CommandRequest()) throws -> CommandOutcome {
        try counted(command.metricKind, { $0.duplicate ? "repeated" : "appended" }) { try handleCounted(command, request) }
    }

    func handleCounted(_ command: VigilCommand, _ request: CommandRequest) throws -> CommandOutcome {
        try guarded {
            let session = try session(.writer)
            let context = CommandContext(now: Date(), actor: try VigilService.actor(request.actor))
            let commandId = request.key ?? UUID().uuidString.lowercased()
            var outcome: CommandOutcome
            switch command {
            case .campaign(let c): outcome = try execute(CampaignState.self, c, commandId, context, request.client, session)
            case .mission(let c): outcome = try execute(MissionState.self, c, commandId, context, request.client, session)
            case .gathering(let c): outcome = try execute(GatheringState.self, c, commandId, context, request.client, session)
            case .recurrence(let c): outcome = try execute(RecurrenceState.self, c, commandId, context, request.client, session)
            case .petition(.sign(let c)): outcome = try sign(c, commandId, context, request.client, session)
            case .petition(let c): outcome = try execute(PetitionState.self, c, commandId, context, request.client, session)
            }
            // The events are committed: from here a failure is a warning on a success, never an error
            // that invites a retry.
            do {
                let caughtUp = try catchUpProjections(through: outcome.checkpoint, session)
                (outcome.lagging, outcome.heldBackBy) = (caughtUp.lagging, caughtUp.heldBackBy)
                (outcome.busy, outcome.busyWith) = (caughtUp.busy, caughtUp.busyWith)
            } catch {
                sessions.removeAll()
                outcome.warnings.append(VigilService.readModelsWarning(error))
            }
            return outcome
        }
    }

    /// A failure in a few words for a warning: the store's and client's descriptions never carry a
    /// connection string or a password.
    static func summary(of error: Error) -> String {
        switch error {
        case let error as PostgresError: return error.message
        default: return "\(error)"
        }
    }

    /// The warning when a command's events are committed but the read models could not follow them (a
    /// login that is not a member of vigil_projector, a lost connection): a success, never a failure
    /// that invites a retry.
    static func readModelsWarning(_ error: Error) -> String {
        "recorded, but the read models could not be brought up to date (\(summary(of: error))); "
            + "they catch up on the next command or with vigil projections run"
    }

    /// The fingerprint of a command's content, stored with its id: the same id sent again with other
    /// content is refused rather than answered with the first command's events. A signature is
    /// fingerprinted without its identity and consent (see `sign`), so no personal data is.
    ///
    /// Values of fields named as a sealed field of any event (notes, reasons, who organised, …) are left
    /// out: they go to the vault, where they can be erased, and an unkeyed hash of them kept for ever in
    /// `vigil.commands` could be tested against a guess. The same key sent again with only such a value
    /// changed is taken for the same command.
    static func fingerprint(_ command: some Sendable) -> [UInt8] {
        Array(SHA256.hash(data: Data(redacted(command).utf8)))
    }

    /// Every field name that is sealed in some event.
    static let sealedNames: Set<String> = Set(EventFields.classes.values.flatMap { $0.filter { $0.value.isSealed }.keys })

    /// `value` written out as `String(reflecting:)` would, field by field, with sealed fields' values
    /// replaced by a mark.
    static func redacted(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        guard !mirror.children.isEmpty else { return String(reflecting: value) }
        let fields = mirror.children.map { child -> String in
            let label = child.label ?? "_"
            return sealedNames.contains(label) ? "\(label): <sealed>" : "\(label): \(redacted(child.value))"
        }
        return "\(mirror.subjectType)(\(fields.joined(separator: ", ")))"
    }

    /// Loads, decides and appends one command of aggregate `D` through the pipeline.
    func execute<D: Decider>(
        _ type: D.Type, _ command: D.Command, _ commandId: String, _ context: CommandContext, _ client: String, _ session: Session
    ) throws -> CommandOutcome {
        try pipeline(
            commandId: commandId, fingerprint: VigilService.fingerprint(command), actor: context.actor, client: client, session
        ) { _ in
            try decide(D.self, command, context, session)
        }.outcome
    }

    /// Decides `command` against its aggregate as the log holds it now, and the streams it refers to.
    func decide<D: Decider>(_ type: D.Type, _ command: D.Command, _ context: CommandContext, _ session: Session) throws
        -> Decision<D.Event>
    {
        let id = try Check.id(D.id(of: command), field: "\(D.noun) id")
        let (state, version) = try load(D.self, id, session)
        var related = RelatedStates()
        var conditions: [(stream: String, version: Int64)] = []
        for reference in try D.references(of: command, in: state) {
            let version: Int64
            switch reference {
            case .campaign(let id): (related.campaign, version) = try load(CampaignState.self, id, session)
            case .mission(let id): (related.mission, version) = try load(MissionState.self, id, session)
            case .gathering(let id): (related.gathering, version) = try load(GatheringState.self, id, session)
            case .recurrence, .petition: continue  // no decision reads these yet
            }
            conditions.append((reference.description, version))
        }
        let events = try D.decide(command, D.input(state, related: related), context)
        return Decision(stream: D.stream(id), version: version, events: events, conditions: conditions)
    }

    /// The one command pipeline, for every command and every import batch: decide (again after a
    /// lost race), encode, append under `commandId`; a command id handled before — or a refusal of a
    /// command whose id was handled before (its retry would now be refused as "already exists") — is
    /// answered with the first outcome and appends nothing.
    ///
    /// With `transactional`, each attempt decides and appends in one transaction: what `decide` writes
    /// besides (a subject in the vault) commits with the events or not at all.
    func pipeline<E: DomainEvent>(
        commandId: String, fingerprint: [UInt8], actor: String, client: String, _ session: Session, transactional: Bool = false,
        decide: (Int) throws -> Decision<E>
    ) throws -> (outcome: CommandOutcome, events: [E]) {
        let metadata = EventMetadata(commandId: commandId, actor: actor, extra: ["client": client])
        do {
            return try RetryPolicy.run(onConflict: { lostRaces += 1 }) { attempt in
                guard !transactional else {
                    return try session.connection.withTransaction {
                        try appendDecision(try decide(attempt), commandId, metadata, fingerprint, session, inTransaction: true)
                    }
                }
                return try appendDecision(try decide(attempt), commandId, metadata, fingerprint, session, inTransaction: false)
            }
        } catch EventStoreError.duplicateCommand {
            return (try firstOutcome(of: commandId, session), [])
        } catch let error as DomainError {
            // A retry whose command is no longer valid (it was the one that changed the state): the
            // first outcome, if it is the same command; another command under its key is refused.
            if try session.store.wasHandled(commandId, fingerprint: fingerprint) {
                return (try firstOutcome(of: commandId, session), [])
            }
            throw error
        }
    }

    /// Encodes a decision's events and appends them under `commandId`. A value of a sealed field (an
    /// organiser's note, a person's name) goes into the vault, in the append's transaction, and the
    /// event holds a reference to it.
    func appendDecision<E: DomainEvent>(
        _ decision: Decision<E>, _ commandId: String, _ metadata: EventMetadata, _ fingerprint: [UInt8], _ session: Session,
        inTransaction: Bool
    ) throws -> (outcome: CommandOutcome, events: [E]) {
        let encoded = try decision.events.map { try EventCodec.encode($0) }
        let toSeal = encoded.contains { !EventFields.sealed($0.type).isEmpty }
        guard inTransaction || !toSeal else {
            return try session.connection.withTransaction {
                try appendEncoded(decision, encoded, commandId, metadata, fingerprint, session)
            }
        }
        return try appendEncoded(decision, encoded, commandId, metadata, fingerprint, session)
    }

    /// Seals what the events must not hold, and appends them.
    private func appendEncoded<E: DomainEvent>(
        _ decision: Decision<E>, _ encoded: [EncodedEvent], _ commandId: String, _ metadata: EventMetadata, _ fingerprint: [UInt8],
        _ session: Session
    ) throws -> (outcome: CommandOutcome, events: [E]) {
        var vault: Vault?
        let newEvents = try encoded.map { event in
            let sealed = try EventCodec.sealingFields(event) { value, fieldClass in
                if vault == nil {
                    vault = Vault(connection: session.connection, master: try requireMasterKey(doing: "recording an organiser's note or a person's name"))
                    try vault!.requireCurrentKey()
                }
                return EventFields.reference(try vault!.sealText(value, kind: fieldClass.rawValue).uuidString.lowercased())
            }
            return NewEvent(type: sealed.type, schemaVersion: sealed.schemaVersion, data: sealed.data)
        }
        let result = try session.store.append(
            to: decision.stream, expected: decision.version == 0 ? .noStream : .exact(decision.version),
            events: newEvents, metadata: metadata,
            conditions: decision.conditions.map { StreamCondition(stream: $0.stream, version: $0.version) },
            fingerprint: fingerprint)
        let outcome = CommandOutcome(
            commandId: commandId, streamId: decision.stream, duplicate: false,
            events: zip(result.events, newEvents).map {
                .init(position: $0.position, version: $0.version, type: $1.type, data: $1.data)
            }, checkpoint: result.checkpoint)
        return (outcome, decision.events)
    }

    func firstOutcome(of commandId: String, _ session: Session) throws -> CommandOutcome {
        let events = try session.store.events(ofCommand: commandId)
        let stream = try events.first.map(\.streamId) ?? session.store.firstResult(of: commandId).streamId
        return CommandOutcome(
            commandId: commandId, streamId: stream, duplicate: true,
            events: events.map { .init(position: $0.position, version: $0.version, type: $0.type, data: $0.data) })
    }

    /// An aggregate's state as the log holds it now, and its stream's version.
    func load<D: Decider>(_ type: D.Type, _ id: String, _ session: Session) throws -> (state: D, version: Int64) {
        let events = try session.store.readStream(D.stream(id))
        return (try fold(D.self, events), events.last?.version ?? 0)
    }

    /// Folds recorded events into an aggregate's state in place: the one fold behind loading a stream
    /// for a decision and replaying it for an audit. In place matters: a petition's state holds every
    /// signer's reference, and `state = evolve(state, event)` copied all of them per event.
    func fold<D: Decider>(_ type: D.Type, _ events: [RecordedEvent]) throws -> D {
        var state = D()
        for recorded in events {
            guard let event = try EventCodec.decode(D.Event.self, type: recorded.type, schemaVersion: recorded.schemaVersion, data: recorded.data) else {
                throw EventStoreError.corruptEvent(
                    position: recorded.position, reason: "\(recorded.type) does not belong in stream \(recorded.streamId)")
            }
            D.apply(&state, event)
        }
        return state
    }

    /// How long a command waits, in all, for older transactions so that its own events reach the read
    /// models.
    static let visibilityTimeout = 10.0

    /// Brings every projection past `target` (a command's own events), so reports show the command;
    /// returns the projections that could not get there in time. When an old transaction elsewhere
    /// holds the log back that long, the command has still succeeded, and the projections catch up on
    /// the next command. The wait is one deadline for all the projections: an open transaction holds
    /// them all back alike, and a deadline each made a command wait four times as long (a reporter's
    /// login with a transaction left open made every organiser's command take 40 s; helper-25). Past
    /// the deadline each projection still applies what it can see, in one last round.
    ///
    /// A projection another session holds (an auditor's comparison, a long catch-up, a rebuild's swap) is
    /// waited for within the same deadline, and the last round's second, never longer: it is `busy`,
    /// with the sessions holding it, and the others are caught up meanwhile (see `ProjectionRunner.catchUp`).
    func catchUpProjections(through target: Checkpoint?, _ session: Session) throws
        -> (lagging: [String], heldBackBy: [String], busy: [String], busyWith: [String])
    {
        guard let target else { return ([], [], [], []) }
        // On the command's own connection, as vigil_projector for the while: no second connection.
        return try session.acting(as: .projector) {
            let runner = ProjectionRunner(connection: session.connection)
            let (lagging, busy, busyWith) = try runner.catchUp(Projections.all, through: target, timeout: VigilService.visibilityTimeout)
            // Who to ask, or end, so that reports show the command.
            return (lagging, lagging.isEmpty ? [] : try runner.holdingBack(target), busy, busyWith)
        }
    }
}
