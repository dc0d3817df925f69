import Foundation
import Testing
@testable import VigilDomain

func gathering(_ events: [GatheringEvent], mission: [MissionEvent] = [.registered(washington)]) -> GatheringContext {
    GatheringContext(gathering: events.reduce(GatheringState(), GatheringState.evolve), mission: given(mission))
}

func schedule(_ at: String = "2004-12-22 12:00", fold: Fold? = nil, expected: Int? = 100) -> GatheringCommand {
    .schedule(
        ScheduleGathering(
            gatheringId: "dc-vigil-2004", missionId: "prc-embassy-washington", kind: .vigil, localStart: at, fold: fold,
            venue: "Outside the embassy", expectedAttendance: expected, organiser: "North Korea Freedom Coalition"))
}

func decide(_ command: GatheringCommand, _ state: GatheringContext) throws -> [GatheringEvent] {
    try GatheringState.decide(command, state, context)
}

let scheduled = GatheringScheduled(
    gatheringId: "dc-vigil-2004", missionId: "prc-embassy-washington", kind: .vigil,
    startsAt: Date(timeIntervalSince1970: 1_103_734_800),  // 2004-12-22 17:00 UTC
    timeZone: "America/New_York", localStart: WallTime(year: 2004, month: 12, day: 22, hour: 12, minute: 0),
    venue: "Outside the embassy", expectedAttendance: 100, organiser: "North Korea Freedom Coalition", scheduledAt: now)

@Suite("Gatherings: given events, when a command, then events or an error")
struct GatheringTests {
    @Test("scheduling resolves the local time in the mission's zone to a UTC instant")
    func schedules() throws {
        #expect(try decide(schedule(), gathering([])) == [.scheduled(scheduled)])
    }

    @Test("on 22 December Sydney starts nineteen hours before Los Angeles")
    func acrossZones() throws {
        func instant(_ zone: String) throws -> Date {
            let mission = MissionRegistered(
                missionId: "m-\(zone.lowercased().replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "_", with: "-"))",
                name: "Consulate", sendingState: "CN", kind: .consulateGeneral, city: "X", country: "AU", timeZone: zone,
                address: nil, registeredAt: now)
            let command = GatheringCommand.schedule(
                ScheduleGathering(gatheringId: "g-1", missionId: mission.missionId, kind: .protest, localStart: "2004-12-22 12:00"))
            guard case .scheduled(let e)? = try decide(command, gathering([], mission: [.registered(mission)])).first else {
                throw DomainError.refused("nothing scheduled")
            }
            return e.startsAt
        }
        let sydney = try instant("Australia/Sydney")
        let losAngeles = try instant("America/Los_Angeles")
        #expect(losAngeles.timeIntervalSince(sydney) == 19 * 3600)
    }

    @Test("a wall time skipped by daylight saving is refused, naming the jump")
    func dstGap() {
        let error = #expect(throws: DomainError.self) { try decide(schedule("2004-04-04 02:30"), gathering([])) }
        #expect(error?.description.contains("at 02:00 the clocks jump to 03:00") == true)
    }

    @Test("a wall time that happens twice needs --fold, and the two folds are an hour apart")
    func dstOverlap() throws {
        #expect(throws: DomainError.self) { try decide(schedule("2004-10-31 01:30"), gathering([])) }
        guard case .scheduled(let early)? = try decide(schedule("2004-10-31 01:30", fold: .earlier), gathering([])).first,
            case .scheduled(let late)? = try decide(schedule("2004-10-31 01:30", fold: .later), gathering([])).first
        else { Issue.record("nothing scheduled"); return }
        #expect(late.startsAt.timeIntervalSince(early.startsAt) == 3600)
        #expect(early.localStart == late.localStart)
    }

    @Test(
        "malformed and impossible dates are refused",
        arguments: ["2004-02-30 12:00", "2005-02-29 12:00", "2004-13-01 12:00", "2004-12-22 24:00", "2004-12-22 12:60",
                    "22/12/2004 12:00", "2004-12-22", "tomorrow", "", "2004-12-22 12:00:30", "0004-12-22 12:00"])
    func badDates(at: String) {
        #expect(throws: DomainError.self) { try decide(schedule(at), gathering([])) }
    }

    @Test("nothing can be scheduled at an unregistered or closed mission")
    func missionMustBeOpen() {
        #expect(throws: DomainError.notFound(kind: "mission", id: "prc-embassy-washington")) {
            try decide(schedule(), gathering([], mission: []))
        }
        let closed = MissionEvent.closed(MissionClosed(missionId: "prc-embassy-washington", reason: "moved", closedAt: now))
        #expect(throws: DomainError.self) { try decide(schedule(), gathering([], mission: [.registered(washington), closed])) }
    }

    @Test("counts are whole numbers from 0 to ten million")
    func counts() throws {
        #expect(throws: DomainError.self) { try decide(schedule(expected: -1), gathering([])) }
        #expect(throws: DomainError.self) { try decide(schedule(expected: 10_000_001), gathering([])) }
        #expect(try decide(schedule(expected: 0), gathering([])).count == 1)
        let held = GatheringCommand.recordHeld(RecordGatheringHeld(gatheringId: "dc-vigil-2004", reportedAttendance: -3))
        #expect(throws: DomainError.self) { try decide(held, gathering([.scheduled(scheduled)])) }
    }

    @Test("reschedule, then hold: the held event carries the reported attendance")
    func rescheduleAndHold() throws {
        let moved = try decide(
            .reschedule(RescheduleGathering(gatheringId: "dc-vigil-2004", localStart: "2004-12-22 17:00", reason: "after work")),
            gathering([.scheduled(scheduled)]))
        guard case .rescheduled(let r)? = moved.first else { Issue.record("not rescheduled"); return }
        #expect(r.startsAt == Date(timeIntervalSince1970: 1_103_752_800))
        let held = try decide(
            .recordHeld(RecordGatheringHeld(gatheringId: "dc-vigil-2004", reportedAttendance: 100, notes: "names read aloud")),
            gathering([.scheduled(scheduled)] + moved))
        #expect(held == [.held(GatheringHeld(gatheringId: "dc-vigil-2004", reportedAttendance: 100, notes: "names read aloud", recordedAt: now))])
    }

    @Test("a cancelled gathering cannot be recorded as held, and says when it was cancelled")
    func cancelledCannotBeHeld() throws {
        let cancelled = try decide(
            .cancel(CancelGathering(gatheringId: "dc-vigil-2004", reason: "permit refused")), gathering([.scheduled(scheduled)]))
        let error = #expect(throws: DomainError.self) {
            try decide(.recordHeld(RecordGatheringHeld(gatheringId: "dc-vigil-2004")), gathering([.scheduled(scheduled)] + cancelled))
        }
        #expect(error?.description == "candlelight vigil dc-vigil-2004 was cancelled on 2004-12-20; a cancelled candlelight vigil cannot be recorded as held (you tried to record it as held)")
        #expect(throws: DomainError.self) {
            try decide(.cancel(CancelGathering(gatheringId: "dc-vigil-2004", reason: "again")), gathering([.scheduled(scheduled)] + cancelled))
        }
    }

    @Test("a settled gathering cannot change; an unknown one is not found")
    func settled() throws {
        let held = GatheringEvent.held(GatheringHeld(gatheringId: "dc-vigil-2004", reportedAttendance: 3, notes: nil, recordedAt: now))
        #expect(throws: DomainError.self) {
            try decide(.recordNotHeld(RecordGatheringNotHeld(gatheringId: "dc-vigil-2004", reason: "x")), gathering([.scheduled(scheduled), held]))
        }
        #expect(throws: DomainError.self) {
            try decide(.reschedule(RescheduleGathering(gatheringId: "dc-vigil-2004", localStart: "2004-12-23 12:00")), gathering([.scheduled(scheduled), held]))
        }
        #expect(throws: DomainError.notFound(kind: "gathering", id: "dc-vigil-2004")) {
            try decide(.recordHeld(RecordGatheringHeld(gatheringId: "dc-vigil-2004")), gathering([]))
        }
        #expect(throws: DomainError.alreadyExists(kind: "gathering", id: "dc-vigil-2004")) {
            try decide(schedule(), gathering([.scheduled(scheduled)]))
        }
    }
}
