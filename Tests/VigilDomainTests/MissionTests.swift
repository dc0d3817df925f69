import Foundation
import Testing
@testable import VigilDomain

let now = Date(timeIntervalSince1970: 1_103_544_000)  // 2004-12-20 12:00 UTC
let context = CommandContext(now: now, actor: "organiser")

/// given(events) → the state they fold to.
func given(_ events: [MissionEvent]) -> MissionState { events.reduce(MissionState(), MissionState.evolve) }

func register(_ id: String = "prc-embassy-washington", zone: String = "America/New_York", country: String = "us")
    -> RegisterMission
{
    RegisterMission(
        missionId: id, name: "Embassy of the People's Republic of China", sendingState: "cn", kind: .embassy,
        city: "Washington", country: country, timeZone: zone, address: "3505 International Place NW")
}

let washington = MissionRegistered(
    missionId: "prc-embassy-washington", name: "Embassy of the People's Republic of China", sendingState: "CN",
    kind: .embassy, city: "Washington", country: "US", timeZone: "America/New_York",
    address: "3505 International Place NW", registeredAt: now)

@Suite("Missions: given events, when a command, then events or an error")
struct MissionTests {
    @Test("registering records the mission with its codes upper-cased")
    func registers() throws {
        #expect(try MissionState.decide(.register(register()), given([]), context) == [.registered(washington)])
    }

    @Test("a place is latitude,longitude in degrees, rounded to six decimals; the south and west are negative")
    func registersPlace() throws {
        var command = register()
        command.location = " -33.88961234 , 151.1787 "
        let events = try MissionState.decide(.register(command), given([]), context)
        guard case .registered(let e) = events.first else { Issue.record("no registration"); return }
        #expect(e.location == Coordinates(latitude: -33.889612, longitude: 151.1787))
        #expect(e.location?.description == "-33.889612,151.1787")
    }

    @Test(
        "a place that is not one is refused, saying what a place looks like",
        arguments: ["91,0", "0,181", "38.9", "38.9,-77.0,1", "north,west", "nan,0", "inf,0", "1e3,0", "", ",", "0x10,0"])
    func refusesPlace(_ raw: String) {
        var command = register()
        command.location = raw
        #expect(throws: DomainError.self) { try MissionState.decide(.register(command), given([]), context) }
        do {
            _ = try MissionState.decide(.register(command), given([]), context)
        } catch let DomainError.invalid(field, reason) {
            #expect(field == "location")
            #expect(reason.contains("latitude,longitude in decimal degrees"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a correction can place a mission registered without a place; the same place again is nothing to correct")
    func correctsPlace() throws {
        let correction = CorrectMission(missionId: "prc-embassy-washington", location: "38.9437,-77.0665", reason: "for the map")
        let events = try MissionState.decide(.correct(correction), given([.registered(washington)]), context)
        guard case .corrected(let e) = events.first else { Issue.record("no correction"); return }
        #expect(e.location == Coordinates(latitude: 38.9437, longitude: -77.0665))
        let placed = given([.registered(washington), .corrected(e)])
        #expect(placed.registration?.location == e.location)
        #expect(throws: DomainError.self) { try MissionState.decide(.correct(correction), placed, context) }
    }

    @Test("a mission cannot be registered twice")
    func registerTwice() {
        #expect(throws: DomainError.alreadyExists(kind: "mission", id: "prc-embassy-washington")) {
            try MissionState.decide(.register(register()), given([.registered(washington)]), context)
        }
    }

    @Test(
        "bad registrations are refused naming the field",
        arguments: [
            (register("X"), "mission id"), (register("a b c"), "mission id"), (register(country: "USA"), "country"),
            (register(country: "ZZ"), "country"), (register(zone: "EST"), "time zone"), (register(zone: "Mars/Olympus"), "time zone"),
            (register(zone: "+09:00"), "time zone"),
        ])
    func badRegistration(command: RegisterMission, field: String) {
        let error = #expect(throws: DomainError.self) { try MissionState.decide(.register(command), given([]), context) }
        guard case .invalid(let named, _)? = error else {
            Issue.record("expected an invalid-field error, got \(String(describing: error))")
            return
        }
        #expect(named == field)
    }

    @Test("text fields: empty, too long and control characters are refused; Korean and Chinese are kept exactly")
    func textFields() throws {
        var command = register()
        command.name = "   "
        #expect(throws: DomainError.invalid(field: "name", reason: "must not be empty")) {
            try MissionState.decide(.register(command), given([]), context)
        }
        command.name = String(repeating: "대", count: 201)
        #expect(throws: DomainError.self) { try MissionState.decide(.register(command), given([]), context) }
        command.name = "Embassy\u{7}"
        #expect(throws: DomainError.self) { try MissionState.decide(.register(command), given([]), context) }
        command.name = "주한 중국 대사관 中华人民共和国驻大韩民国大使馆"
        command.timeZone = "Asia/Seoul"
        let events = try MissionState.decide(.register(command), given([]), context)
        guard case .registered(let e)? = events.first else { Issue.record("no event"); return }
        #expect(e.name == "주한 중국 대사관 中华人民共和国驻大韩民国大使馆")
    }

    @Test("a misspelt zone gets a suggestion")
    func zoneSuggestion() {
        #expect(throws: DomainError.invalid(field: "time zone", reason: "\"asia/seoul\" is not an IANA time zone; did you mean Asia/Seoul?")) {
            try MissionState.decide(.register(register(zone: "asia/seoul")), given([]), context)
        }
    }

    @Test("closing: only a registered mission, only once")
    func closing() throws {
        let close = CloseMission(missionId: "prc-embassy-washington", reason: "moved")
        #expect(throws: DomainError.notFound(kind: "mission", id: "prc-embassy-washington")) {
            try MissionState.decide(.close(close), given([]), context)
        }
        let closed = try MissionState.decide(.close(close), given([.registered(washington)]), context)
        #expect(closed == [.closed(MissionClosed(missionId: "prc-embassy-washington", reason: "moved", closedAt: now))])
        #expect(throws: DomainError.self) { try MissionState.decide(.close(close), given([.registered(washington)] + closed), context) }
    }
}
