import EventStore
import PostgresClient
import Foundation
import Testing
import VigilDomain
@testable import VigilService

/// The parts of the front door that need no database: the retry policy, the actor rule, the mapping of
/// the layers' errors, and the seed file format.
@Suite("The service without a database")
struct ServiceUnitTests {
    struct Lost: Error {}
    static let lostRace = EventStoreError.wrongExpectedVersion(stream: "s", expected: .exact(1), actual: 2)

    @Test("a lost race is decided again, up to five attempts; the answer of the first that wins is returned")
    func retriesLostRaces() throws {
        var calls = 0
        let value = try RetryPolicy.run { attempt -> Int in
            calls += 1
            if attempt < 3 { throw ServiceUnitTests.lostRace }
            return attempt
        }
        #expect(value == 3)
        #expect(calls == 3)
    }

    @Test("a race lost five times is reported as the store's conflict, after exactly five attempts")
    func givesUpAfterFive() {
        var calls = 0
        #expect(throws: EventStoreError.self) {
            try RetryPolicy.run { _ -> Int in
                calls += 1
                throw ServiceUnitTests.lostRace
            }
        }
        #expect(calls == RetryPolicy.attempts)
        #expect(RetryPolicy.attempts == 5)
    }

    @Test("a refusal or any other error is not retried")
    func noRetryOfRefusals() {
        var calls = 0
        #expect(throws: DomainError.refused("no")) {
            try RetryPolicy.run { _ -> Int in
                calls += 1
                throw DomainError.refused("no")
            }
        }
        #expect(calls == 1)
        calls = 0
        #expect(throws: Lost.self) { try RetryPolicy.run { _ -> Int in calls += 1; throw Lost() } }
        #expect(calls == 1)
    }

    @Test("a command's fingerprint leaves out values the vault seals: no hash of a note or a name is kept in the log")
    func fingerprintRedacts() {
        func held(_ attendance: Int, _ notes: String?) -> [UInt8] {
            VigilService.fingerprint(VigilCommand.gathering(.recordHeld(RecordGatheringHeld(gatheringId: "g-1", reportedAttendance: attendance, notes: notes))))
        }
        #expect(held(40, "Kim Witness spoke") == held(40, "something else"))
        #expect(held(40, "Kim Witness spoke") != held(41, "Kim Witness spoke"))
        #expect(!VigilService.redacted(RecordGatheringHeld(gatheringId: "g-1", reportedAttendance: 1, notes: "Kim Witness")).contains("Kim"))
        #expect(VigilService.redacted(RecordGatheringHeld(gatheringId: "g-1", reportedAttendance: 1, notes: nil)).contains("g-1"))
        let schedule = { (organiser: String) in
            VigilService.fingerprint(ScheduleGathering(gatheringId: "g-1", missionId: "m-1", kind: .vigil, localStart: "2026-12-22 18:00", organiser: organiser))
        }
        #expect(schedule("Park") == schedule("Lee"))
    }

    @Test("one rule for the actor: the label given, else $VIGIL_ACTOR, else cli:$USER, else cli")
    func actorRule() throws {
        #expect(try VigilService.actor("organiser:seoul", environment: ["VIGIL_ACTOR": "x", "USER": "u"]) == "organiser:seoul")
        #expect(try VigilService.actor(nil, environment: ["VIGIL_ACTOR": "coalition", "USER": "u"]) == "coalition")
        #expect(try VigilService.actor(nil, environment: ["USER": "kim"]) == "cli:kim")
        #expect(try VigilService.actor(nil, environment: [:]) == "cli")
    }

    @Test("an actor label is checked like any other text: no control characters, not empty, not too long")
    func actorChecked() {
        for bad in ["evil\u{1b}[2J", "a\nb", "  ", String(repeating: "x", count: 201)] {
            #expect(throws: DomainError.self, "\(bad.debugDescription)") { try VigilService.actor(bad, environment: [:]) }
        }
    }

    @Test("the layers' errors reach a front end as the service's kinds; a domain refusal passes as it is")
    func errorKinds() {
        let service = VigilService(conninfo: "host=/nonexistent")
        func kind(_ error: Error) -> VigilError.Kind? {
            do {
                try service.guarded { throw error }
            } catch let error as VigilError {
                return error.kind
            } catch {
                return nil
            }
            return nil
        }
        #expect(kind(ServiceUnitTests.lostRace) == .conflict)
        #expect(kind(EventStoreError.corruptEvent(position: 3, reason: "x")) == .corrupt)
        #expect(kind(PostgresError(kind: .connection, message: "could not connect")) == .database)
        #expect(kind(PostgresError(kind: .server, sqlState: SQLState("42501"), message: "permission denied")) == .database)
        #expect(kind(VigilError(.tampered, "altered")) == .tampered)
        #expect(throws: DomainError.refused("rule")) { try service.guarded { throw DomainError.refused("rule") } }
    }

    @Test("seed files: comments, quotes, continued lines, and the line each command starts on")
    func seedFormat() throws {
        let text = "# a comment\nmission register a-b \\\n  --name \"Embassy of X\" # trailing\n\ngathering held 'g-1' --notes \"say \\\"hi\\\"\"\n"
        let lines = try SeedFile.lines(text, file: "f.vigil")
        #expect(lines.map(\.number) == [2, 5])
        #expect(lines[0].words == ["mission", "register", "a-b", "--name", "Embassy of X"])
        #expect(lines[1].words == ["gathering", "held", "g-1", "--notes", "say \"hi\""])
        #expect(throws: VigilError.self) { try SeedFile.lines("mission register \"open", file: "f.vigil") }
    }
}
