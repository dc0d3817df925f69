import Foundation
import Testing
import VigilCodec
import VigilEncoding
@testable import VigilDomain

@Suite("The event codec: events to stored payloads and back")
struct EventCodecTests {
    @Test("every stored type survives encoding and decoding, as its aggregate's event and as any event")
    func roundTrips() throws {
        #expect(Set(everyEvent.map(\.eventType)) == Set(VigilEvent.storedTypes.keys))
        for event in everyEvent {
            let encoded = try EventCodec.encode(event)
            #expect(encoded.type == event.eventType)
            // Two shapes changed when people moved to the vault; every other type is at its first.
            let changed = [SignatureRecorded.eventType, SignaturesImported.eventType].contains(encoded.type)
            #expect(encoded.schemaVersion == (changed ? 2 : 1))
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

@Suite("Upcasting: the old shapes of events, read as today's")
struct UpcastTests {
    /// Payloads exactly as Vigil wrote them before the vault (version 1), keyed references and all.
    static let signedV1 =
        #"{"channel": "online", "country": "KR", "petitionId": "stop-2024", "recordedAt": "2026-11-23T07:17:34Z", "signerRef": "3f1d6c0c1e8a4b0fa4d1d2f0a8f35e0e2b7c9d1a4e6f8a0b2c4d6e8f0a1b3c5d"}"#
    static let importedV1 =
        #"{"byCountry": {"KR": 2, "ZZ": 1}, "channel": "paper", "duplicatesSkipped": 4, "petitionId": "stop-2024", "recordedAt": "2026-11-23T07:17:34Z", "signerRefs": ["aa", "bb", "cc"]}"#

    @Test("version 1 of SignatureRecorded and SignaturesImported reads as version 2, without the references")
    func versionOne() throws {
        let when = try #require(Timestamp.parse("2026-11-23T07:17:34Z"))
        let signed = try EventCodec.decode(type: "SignatureRecorded", schemaVersion: 1, data: UpcastTests.signedV1)
        #expect(signed == .petition(.signed(SignatureRecorded(petitionId: "stop-2024", subjectId: nil, country: "KR", channel: .online, recordedAt: when))))
        let imported = try EventCodec.decode(type: "SignaturesImported", schemaVersion: 1, data: UpcastTests.importedV1)
        #expect(imported == .petition(.imported(SignaturesImported(
            petitionId: "stop-2024", channel: .paper, count: 3, byCountry: ["KR": 2, "ZZ": 1], duplicatesSkipped: 4, recordedAt: when))))
        // Read as the new shape without upcasting, the old payload does not decode: the version matters.
        #expect(throws: DomainError.self) { try EventCodec.decode(type: "SignaturesImported", schemaVersion: 2, data: UpcastTests.importedV1) }
    }

    @Test("a version from the future, or 0, is an error naming the type and what to do; unchanged types read any version 1")
    func unknownVersions() throws {
        let future = try #require(throws: DomainError.self) { try EventCodec.decode(type: "SignatureRecorded", schemaVersion: 3, data: UpcastTests.signedV1) }
        #expect("\(future)".contains("upgrade Vigil"))
        #expect(throws: DomainError.self) { try EventCodec.decode(type: "SignatureRecorded", schemaVersion: 0, data: UpcastTests.signedV1) }
        #expect(throws: DomainError.self) { try EventCodec.decode(type: "PetitionOpened", schemaVersion: 2, data: "{}") }
    }
}

@Suite("Field classes: every field of every event is public, organiser or restricted, declared once")
struct FieldClassTests {
    @Test("every stored type is declared, and every field its payload writes has a class")
    func everyFieldClassed() throws {
        #expect(Set(EventFields.classes.keys) == Set(VigilEvent.storedTypes.keys))
        for event in everyEvent {
            let encoded = try EventCodec.encode(event)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(encoded.data.utf8)) as? [String: Any])
            let declared = Set(EventFields.classes[encoded.type]?.keys.map { $0 } ?? [])
            #expect(Set(object.keys).isSubset(of: declared), "\(encoded.type): \(Set(object.keys).subtracting(declared)) unclassed")
        }
        // Free text that may name people is never public.
        for (type, field) in [("GatheringHeld", "notes"), ("DeliveryAttempted", "receivedBy"), ("GatheringScheduled", "organiser"),
                              ("EndorsementRecorded", "endorser"), ("StatementIssued", "claims"), ("GatheringCancelled", "reason")] {
            #expect(EventFields.classes[type]?[field]?.isSealed == true, "\(type).\(field)")
        }
    }

    @Test("sealing replaces every sealed value, strings inside arrays and objects too, and leaves the rest")
    func sealing() throws {
        let statement = VigilEvent.campaign(.statementIssued(StatementIssued(
            campaignId: "c-1", statementId: "s-1", issuedOn: LocalDate(year: 2017, month: 9, day: 22), title: "Public title",
            demands: ["Stop"], claims: [Claim(text: "Kim said so", source: "https://example.org")], recordedAt: now)))
        var seen: [String] = []
        let sealed = try EventCodec.sealingFields(try EventCodec.encode(statement)) { value, fieldClass in
            seen.append(value)
            #expect(fieldClass == .organiser)
            return "vault:00000000-0000-0000-0000-00000000000\(seen.count)"
        }
        #expect(Set(seen) == ["Kim said so", "https://example.org"])
        #expect(!sealed.data.contains("Kim said so") && sealed.data.contains("Public title"))
        let decoded = try EventCodec.decode(type: sealed.type, data: sealed.data)
        guard case .campaign(.statementIssued(let s)) = decoded else { Issue.record("not a statement"); return }
        #expect(s.claims.map(\.text).allSatisfy { EventFields.subject(ofReference: $0) != nil })
        // Nothing to seal (a null note): the event is as it was, and nothing is sealed.
        let held = VigilEvent.gathering(.held(GatheringHeld(gatheringId: "g-1", reportedAttendance: 3, notes: nil, recordedAt: now)))
        let plain = try EventCodec.encode(held)
        #expect(try EventCodec.sealingFields(plain) { _, _ in Issue.record("sealed a null"); return "" } == plain)
    }
}
