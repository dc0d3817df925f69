import EventStore
import Foundation
import PostgresClient
import Testing
import VigilDomain
import VigilService
import VigilTestSupport

/// Rules across streams, through the front door: a decision that read another stream appends only if
/// that stream has not moved since, and idempotency keys are bound to the command they were first used for.
@Suite("Commands across streams and keys")
struct CommandRaceTests {
    let database: String
    init() throws { database = try TestDatabase.create("races") }

    func service() -> VigilService { VigilService(conninfo: "dbname=\(database)") }

    static func register(_ mission: String) -> VigilCommand {
        .mission(.register(RegisterMission(
            missionId: mission, name: "Embassy of the DPRK", sendingState: "KP", kind: .embassy, city: "Seoul",
            country: "KR", timeZone: "Asia/Seoul")))
    }

    static func schedule(_ gathering: String, at mission: String) -> VigilCommand {
        .gathering(.schedule(ScheduleGathering(
            gatheringId: gathering, missionId: mission, kind: .vigil, localStart: "2026-12-22 18:00")))
    }

    @Test("mission close raced against gathering schedule: never a gathering scheduled after its mission closed")
    func closeRacesSchedule() throws {
        // scripts/test runs the short form; scripts/faults the full one.
        let rounds = ProcessInfo.processInfo.environment["VIGIL_FAULT_SCALE"] == "full" ? 300 : 40
        let setup = service()
        for round in 0..<rounds { _ = try setup.handle(CommandRaceTests.register("race-m\(round)")) }
        let outcomes = Locked<[String: Int]>([:])
        for round in 0..<rounds {
            let start = DispatchSemaphore(value: 0)
            try onThreads(3) { i in
                if i == 2 {
                    start.signal()
                    start.signal()
                    return
                }
                let service = service()
                start.wait()
                do {
                    if i == 0 {
                        _ = try service.handle(.mission(.close(CloseMission(missionId: "race-m\(round)", reason: "moved"))))
                    } else {
                        _ = try service.handle(CommandRaceTests.schedule("race-g\(round)", at: "race-m\(round)"))
                    }
                    outcomes.withLock { $0["\(i) done", default: 0] += 1 }
                } catch is DomainError {
                    outcomes.withLock { $0["\(i) refused", default: 0] += 1 }
                }
            }
        }
        // Every close went in; a schedule went in only when it committed before the close.
        #expect(outcomes.withLock { $0["0 done"] } == rounds)
        let owner = try TestDatabase.connect(database)
        let late = try owner.query(
            """
            SELECT count(*) AS n FROM vigil.events g
              JOIN vigil.events m ON m.stream_id = 'mission-' || (g.data ->> 'missionId') AND m.event_type = 'MissionClosed'
             WHERE g.event_type = 'GatheringScheduled' AND g.global_position > m.global_position
            """).first?.int64("n")
        #expect(late == 0)
        let scheduled = try owner.query("SELECT count(*) AS n FROM vigil.events WHERE event_type = 'GatheringScheduled'")
            .first?.int64("n") ?? -1
        #expect(Int(scheduled) == outcomes.withLock { $0["1 done"] ?? 0 })
        print("close vs schedule, \(rounds) rounds: \(outcomes.withLock { $0 })")
    }

    @Test("a key reused for another command is refused as a conflict and appends nothing; the same command under it is answered again")
    func keyBoundToContent() throws {
        let service = service()
        _ = try service.handle(CommandRaceTests.register("key-m"))
        let key = "key-\(UUID())"
        let first = try service.handle(CommandRaceTests.schedule("key-g1", at: "key-m"), CommandRequest(key: key))
        #expect(!first.duplicate)
        let again = try service.handle(CommandRaceTests.schedule("key-g1", at: "key-m"), CommandRequest(key: key))
        #expect(again.duplicate)
        #expect(again.events.map(\.position) == first.events.map(\.position))
        let store = EventStore(connection: try TestDatabase.connect(database))
        let before = try store.eventCount()
        for other in [CommandRaceTests.schedule("key-g2", at: "key-m"), CommandRaceTests.schedule("key-g1", at: "key-other")] {
            #expect {
                try service.handle(other, CommandRequest(key: key))
            } throws: { error in
                guard let error = error as? VigilError, error.kind == .conflict else { return false }
                return "\(error)".contains("different command")
            }
        }
        #expect(try store.eventCount() == before)
    }
}
