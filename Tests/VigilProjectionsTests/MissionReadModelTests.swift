import Foundation
import Testing
@testable import VigilDomain
import VigilProjections

let t0 = Date(timeIntervalSince1970: 1_103_734_800)

func registered(_ id: String) -> VigilEvent {
    .mission(.registered(MissionRegistered(
        missionId: id, name: id, sendingState: "CN", kind: .embassy, city: "City", country: "US",
        timeZone: "America/New_York", address: nil, registeredAt: t0)))
}

func scheduled(_ id: String, at mission: String, expected: Int, startsAt: Date = t0) -> VigilEvent {
    .gathering(.scheduled(GatheringScheduled(
        gatheringId: id, missionId: mission, kind: .vigil, startsAt: startsAt, timeZone: "America/New_York",
        localStart: WallTime(startsAt, in: TimeZone(identifier: "America/New_York") ?? .current), venue: nil,
        expectedAttendance: expected, organiser: nil, scheduledAt: t0)))
}

@Suite("Per-mission read model: the pure fold")
struct MissionReadModelTests {
    @Test("counts gatherings by status and sums attendance per mission")
    func rollUp() {
        var model = MissionReadModel()
        let events: [VigilEvent] = [
            registered("m-a"), registered("m-b"),
            scheduled("g-1", at: "m-a", expected: 100), scheduled("g-2", at: "m-a", expected: 40),
            scheduled("g-3", at: "m-b", expected: 10, startsAt: t0.addingTimeInterval(86_400)),
            scheduled("g-4", at: "m-a", expected: 5),
            .gathering(.held(GatheringHeld(gatheringId: "g-1", reportedAttendance: 120, notes: nil, recordedAt: t0))),
            .gathering(.cancelled(GatheringCancelled(gatheringId: "g-2", reason: "rain", cancelledAt: t0))),
            .gathering(.notHeld(GatheringNotHeld(gatheringId: "g-4", reason: "nobody came", recordedAt: t0))),
            .gathering(.rescheduled(GatheringRescheduled(
                gatheringId: "g-3", startsAt: t0.addingTimeInterval(2 * 86_400), timeZone: "America/New_York",
                localStart: WallTime(year: 2004, month: 12, day: 24, hour: 12, minute: 0), reason: nil, rescheduledAt: t0))),
            .gathering(.held(GatheringHeld(gatheringId: "g-3", reportedAttendance: 8, notes: nil, recordedAt: t0))),
        ]
        for event in events { model.apply(event) }
        let a = model.missions["m-a"]
        #expect(a?.gatheringsScheduled == 3)
        #expect(a?.gatheringsHeld == 1)
        #expect(a?.gatheringsCancelled == 1)
        #expect(a?.gatheringsNotHeld == 1)
        #expect(a?.attendanceExpected == 105)  // the cancelled one's 40 no longer expected
        #expect(a?.attendanceReported == 120)
        #expect(a?.firstActivity == t0)
        let b = model.missions["m-b"]
        #expect(b?.gatheringsHeld == 1)
        #expect(b?.attendanceReported == 8)
        #expect(b?.firstActivity == t0.addingTimeInterval(2 * 86_400))  // the rescheduled start
    }

    @Test("folding in two batches gives the same rows as folding in one")
    func batchesAgree() {
        let events: [VigilEvent] = [
            registered("m-a"), scheduled("g-1", at: "m-a", expected: 3),
            .gathering(.held(GatheringHeld(gatheringId: "g-1", reportedAttendance: 2, notes: nil, recordedAt: t0))),
        ]
        var whole = MissionReadModel()
        for event in events { whole.apply(event) }
        var first = MissionReadModel()
        for event in events.prefix(2) { first.apply(event) }
        var second = MissionReadModel(missions: first.missions, gatherings: first.gatherings)
        for event in events.dropFirst(2) { second.apply(event) }
        #expect(second == whole)
    }
}
