import Foundation

/// Another stream a decision reads: the mission a gathering is at, the campaign a petition is part of.
public enum StreamReference: Hashable, Sendable, CustomStringConvertible {
    case campaign(String)
    case mission(String)
    case gathering(String)
    case recurrence(String)
    case petition(String)

    /// The stream's name in the log, such as `mission-prc-embassy-washington`.
    public var description: String {
        switch self {
        case .campaign(let id): return CampaignState.stream(id)
        case .mission(let id): return MissionState.stream(id)
        case .gathering(let id): return GatheringState.stream(id)
        case .recurrence(let id): return RecurrenceState.stream(id)
        case .petition(let id): return PetitionState.stream(id)
        }
    }
}

/// The states of the other streams a decision read. A decision reads at most one stream of each kind;
/// one that was not read, or does not exist, is its aggregate's initial state.
public struct RelatedStates: Sendable, Equatable {
    public var campaign = CampaignState()
    public var mission = MissionState()
    public var gathering = GatheringState()

    public init() {}
}

/// One aggregate as a decider: an initial state, `decide` and `evolve`. Every aggregate conforms, so
/// loading a stream, deciding a command, replaying for an audit and checking an old log are one code
/// path in the service rather than one per aggregate.
public protocol Decider: Sendable {
    /// The aggregate's events.
    associatedtype Event: DomainEvent
    /// The aggregate's commands.
    associatedtype Command: Sendable & Equatable
    /// What `decide` reads: the aggregate's own state, and the related streams it needs.
    associatedtype Input: Sendable

    /// The first word of the aggregate's stream names (`gathering` in `gathering-dad-2004-washington`).
    static var category: String { get }
    /// What people call one, in messages ("weekly gathering").
    static var noun: String { get }

    /// The state before any event.
    init()

    /// Folds one event into the state in place (a petition's state must not be copied per event).
    static func apply(_ state: inout Self, _ event: Event)

    /// The id a command is about, as typed.
    static func id(of command: Command) -> String

    /// The other streams `decide` needs to read for `command`, given the aggregate as it stands.
    static func references(of command: Command, in state: Self) throws -> [StreamReference]

    /// The input to `decide`: this state with the related states that were read.
    static func input(_ state: Self, related: RelatedStates) -> Input

    /// What the command records, or why it is refused.
    static func decide(_ command: Command, _ input: Input, _ context: CommandContext) throws -> [Event]
}

extension Decider {
    /// The stream that holds the aggregate `id`.
    public static func stream(_ id: String) -> String { "\(category)-\(id)" }
}

extension Decider where Input == Self {
    public static func input(_ state: Self, related: RelatedStates) -> Self { state }
}

extension CampaignState: Decider {
    public static let category = "campaign"
    public static let noun = "campaign"
    public static func apply(_ state: inout CampaignState, _ event: CampaignEvent) { state = evolve(state, event) }
    public static func id(of command: CampaignCommand) -> String { command.campaignId }
    public static func references(of command: CampaignCommand, in state: CampaignState) -> [StreamReference] { [] }
}

extension MissionState: Decider {
    public static let category = "mission"
    public static let noun = "mission"
    public static func apply(_ state: inout MissionState, _ event: MissionEvent) { state = evolve(state, event) }
    public static func id(of command: MissionCommand) -> String { command.missionId }
    public static func references(of command: MissionCommand, in state: MissionState) -> [StreamReference] { [] }
}

extension GatheringState: Decider {
    public static let category = "gathering"
    public static let noun = "gathering"
    public static func apply(_ state: inout GatheringState, _ event: GatheringEvent) { state = evolve(state, event) }
    public static func id(of command: GatheringCommand) -> String { command.gatheringId }

    /// The mission it is (or would be) at, and the campaign it is scheduled for.
    public static func references(of command: GatheringCommand, in state: GatheringState) throws -> [StreamReference] {
        if case .schedule(let c) = command {
            let mission = StreamReference.mission(try Check.id(c.missionId, field: "mission"))
            guard let campaignId = c.campaignId else { return [mission] }
            return [mission, .campaign(try Check.id(campaignId, field: "campaign"))]
        }
        return state.scheduled.map { [.mission($0.missionId)] } ?? []
    }

    public static func input(_ state: GatheringState, related: RelatedStates) -> GatheringContext {
        GatheringContext(gathering: state, mission: related.mission, campaign: related.campaign)
    }
}

extension RecurrenceState: Decider {
    public static let category = "recurrence"
    public static let noun = "weekly gathering"
    public static func apply(_ state: inout RecurrenceState, _ event: RecurrenceEvent) { state = evolve(state, event) }
    public static func id(of command: RecurrenceCommand) -> String { command.recurrenceId }

    /// The mission and campaign of a new weekly gathering.
    public static func references(of command: RecurrenceCommand, in state: RecurrenceState) throws -> [StreamReference] {
        guard case .schedule(let c) = command else { return [] }
        let mission = StreamReference.mission(try Check.id(c.missionId, field: "mission"))
        guard let campaignId = c.campaignId else { return [mission] }
        return [mission, .campaign(try Check.id(campaignId, field: "campaign"))]
    }

    public static func input(_ state: RecurrenceState, related: RelatedStates) -> RecurrenceContext {
        RecurrenceContext(recurrence: state, mission: related.mission, campaign: related.campaign)
    }
}

extension PetitionState: Decider {
    public static let category = "petition"
    public static let noun = "petition"
    public static func id(of command: PetitionCommand) -> String { command.petitionId }

    /// A draft's campaign; a delivery's mission and gathering.
    public static func references(of command: PetitionCommand, in state: PetitionState) throws -> [StreamReference] {
        switch command {
        case .draft(let c):
            return try c.campaignId.map { [.campaign(try Check.id($0, field: "campaign"))] } ?? []
        case .deliver(let c):
            let mission = StreamReference.mission(try Check.id(c.missionId, field: "mission"))
            guard let gatheringId = c.gatheringId else { return [mission] }
            return [mission, .gathering(try Check.id(gatheringId, field: "gathering"))]
        case .revise, .open, .sign, .count, .importBatch, .close:
            return []
        }
    }

    public static func input(_ state: PetitionState, related: RelatedStates) -> PetitionContext {
        PetitionContext(petition: state, campaign: related.campaign, mission: related.mission, gathering: related.gathering)
    }
}
