import Foundation
import Testing
@testable import VigilDomain

/// A stored payload that is already a value: reads the registry without any stored form.
struct GivenPayload: PayloadDecoding {
    struct WrongType: Error {}
    let value: any EventPayload

    func decode<P: Decodable>(_ type: P.Type) throws -> P {
        guard let payload = value as? P else { throw WrongType() }
        return payload
    }
}

@Suite("The stored types: every event has one name, and each name reads back as its own case")
struct StoredTypeTests {
    static let samples: [VigilEvent] = [
        .mission(.registered(washington)),
        .mission(.closed(MissionClosed(missionId: "m", reason: "moved", closedAt: now))),
        .gathering(.scheduled(scheduled)),
        .gathering(.held(GatheringHeld(gatheringId: "g", reportedAttendance: 3, notes: nil, recordedAt: now))),
        .campaign(.launched(launched)),
        .petition(.drafted(drafted)),
        opened.vigil,
        .recurrence(.ended(RecurrenceEnded(recurrenceId: "r", lastDate: LocalDate(year: 2024, month: 6, day: 3), reason: nil, endedAt: now))),
    ]

    @Test("names are unique across the aggregates, and each is its payload's own name")
    func unique() {
        let tables: [[String: any EventPayload.Type]] = [
            CampaignEvent.storedTypes.mapValues(\.payload), MissionEvent.storedTypes.mapValues(\.payload),
            GatheringEvent.storedTypes.mapValues(\.payload), RecurrenceEvent.storedTypes.mapValues(\.payload),
            PetitionEvent.storedTypes.mapValues(\.payload), ErasureEvent.storedTypes.mapValues(\.payload),
        ]
        #expect(VigilEvent.storedTypes.count == tables.map(\.count).reduce(0, +))
        #expect(VigilEvent.storedTypes.count == 31)
        for table in tables {
            for (name, payload) in table { #expect(payload.eventType == name) }
        }
    }

    @Test("a payload read under its name is the event it came from, as its aggregate's event and as any event")
    func readsBack() throws {
        for event in Self.samples {
            let stored = try #require(VigilEvent.storedTypes[event.eventType])
            #expect(try stored.event(from: GivenPayload(value: event.payload)) == event)
        }
        let registered = try #require(MissionEvent.storedTypes["MissionRegistered"])
        #expect(try registered.event(from: GivenPayload(value: washington)) == .registered(washington))
        #expect(throws: GivenPayload.WrongType.self) { try registered.event(from: GivenPayload(value: drafted)) }
        #expect(MissionEvent.storedTypes["GatheringHeld"] == nil)
    }
}

extension PetitionEvent {
    var vigil: VigilEvent { .petition(self) }
}
