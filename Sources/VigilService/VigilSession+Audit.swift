import EventStore
import Foundation
import VigilCodec
import VigilDomain

/// The state of one entity as an audit prints it.
public struct ReplayedState: Sendable {
    public var stream: String
    public var events: Int
    public var lastPosition: Int64?
    let encode: @Sendable () throws -> Data

    /// `{"stream": …, "events": n, "lastPosition": p, "state": {…}}` with sorted keys.
    public func json() throws -> Data {
        let state = try JSONSerialization.jsonObject(with: try encode())
        var object: [String: Any] = ["stream": stream, "events": events, "state": state]
        if let lastPosition { object["lastPosition"] = lastPosition }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }
}

extension VigilSession {
    /// Replays one entity's stream up to a time or a position with the domain's own fold.
    public func replay(kind: String, id: String, asOf: Date?, position: Int64?) throws -> ReplayedState {
        switch kind {
        case "campaign": return try replay(Streams.campaign(id), CampaignState(), CampaignEvent.self, inPlace(CampaignState.evolve), asOf, position)
        case "mission": return try replay(Streams.mission(id), MissionState(), MissionEvent.self, inPlace(MissionState.evolve), asOf, position)
        case "gathering": return try replay(Streams.gathering(id), GatheringState(), GatheringEvent.self, inPlace(GatheringState.evolve), asOf, position)
        case "weekly": return try replay(Streams.recurrence(id), RecurrenceState(), RecurrenceEvent.self, inPlace(RecurrenceState.evolve), asOf, position)
        case "petition": return try replay(Streams.petition(id), PetitionState(), PetitionEvent.self, PetitionState.apply, asOf, position)
        default:
            throw DomainError.invalid(field: "kind", reason: "\"\(kind)\" is not campaign, mission, gathering, weekly or petition")
        }
    }

    func replay<S: Encodable & Sendable, E: DomainEvent>(
        _ stream: String, _ initial: S, _ type: E.Type, _ apply: (inout S, E) -> Void, _ asOf: Date?, _ position: Int64?
    ) throws -> ReplayedState {
        let recorded = try store.readStream(stream, asOf: asOf, position: position)
        var state = initial
        try fold(recorded, of: stream, into: &state, apply)
        let final = state
        return ReplayedState(stream: stream, events: recorded.count, lastPosition: recorded.last?.position) {
            try EventCodec.json(final)
        }
    }
}
