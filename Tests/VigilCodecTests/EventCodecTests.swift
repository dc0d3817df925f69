import Foundation
import Testing
import VigilCodec
@testable import VigilDomain

@Suite("The event codec: events to stored payloads and back")
struct EventCodecTests {
    @Test("every stored type survives encoding and decoding, as its aggregate's event and as any event")
    func roundTrips() throws {
        #expect(Set(everyEvent.map(\.eventType)) == Set(VigilEvent.storedTypes.keys))
        for event in everyEvent {
            let encoded = try EventCodec.encode(event)
            #expect(encoded.type == event.eventType)
            #expect(encoded.schemaVersion == 1)
            #expect(try EventCodec.decode(type: encoded.type, data: encoded.data) == event)
        }
        let registered = MissionEvent.registered(washington)
        let encoded = try EventCodec.encode(registered)
        #expect(try EventCodec.decode(MissionEvent.self, type: encoded.type, data: encoded.data) == registered)
        #expect(try EventCodec.decode(GatheringEvent.self, type: encoded.type, data: encoded.data) == nil)
    }

    @Test("a payload is written as before the codec existed: sorted keys, unescaped slashes, whole seconds in UTC")
    func storedForm() throws {
        var mission = washington
        mission.registeredAt = now.addingTimeInterval(0.75)
        mission.address = "3505 International Place NW/2"
        #expect(try EventCodec.encode(MissionEvent.registered(mission)) == EncodedEvent(
            type: "MissionRegistered", schemaVersion: 1,
            data: #"{"address":"3505 International Place NW/2","city":"Washington","country":"US","kind":"embassy","missionId":"prc-embassy-washington","name":"Embassy of the People's Republic of China","registeredAt":"2004-12-20T12:00:00Z","sendingState":"CN","timeZone":"America/New_York"}"#))
    }

    @Test("PostgreSQL's jsonb text (spaces, other key order) and other ISO 8601 offsets decode to the same event")
    func jsonbForm() throws {
        let data = #"{"gatheringId": "g-1", "recordedAt": "2004-12-20T13:00:00+01:00", "notes": null, "reportedAttendance": 35}"#
        #expect(try EventCodec.decode(type: "GatheringHeld", data: data)
            == .gathering(.held(GatheringHeld(gatheringId: "g-1", reportedAttendance: 35, notes: nil, recordedAt: now))))
    }

    @Test("an unknown type or a corrupt payload is an error naming the type, not a crash")
    func decodingErrors() {
        #expect(throws: DomainError.invalid(field: "event Nope", reason: "is not an event type this version of Vigil knows")) {
            try EventCodec.decode(type: "Nope", data: "{}")
        }
        #expect(throws: DomainError.self) { try EventCodec.decode(type: "MissionRegistered", data: "{\"missionId\": 3") }
        #expect(throws: DomainError.self) { try EventCodec.decode(type: "GatheringHeld", data: "\u{FFFD}\u{FFFD}") }
        #expect(throws: DomainError.self) { try EventCodec.decode(MissionEvent.self, type: "MissionClosed", data: "[]") }
        // An impossible instant is refused, not rolled over into March.
        let february = #"{"gatheringId":"g-1","recordedAt":"2004-02-30T12:00:00Z"}"#
        #expect(throws: DomainError.self) { try EventCodec.decode(type: "GatheringHeld", data: february) }
    }

    @Test("a state or report as JSON: sorted keys, ISO 8601 instants, pretty when asked")
    func json() throws {
        struct Report: Encodable {
            var zebra = 1
            var at = now
        }
        #expect(String(decoding: try EventCodec.json(Report()), as: UTF8.self) == #"{"at":"2004-12-20T12:00:00Z","zebra":1}"#)
        #expect(String(decoding: try EventCodec.json(Report(), pretty: true), as: UTF8.self).contains("\n  \"at\" : \"2004-12-20T12:00:00Z\""))
        #expect(String(decoding: try EventCodec.json(["a/b"]), as: UTF8.self) == #"["a/b"]"#)
    }
}
