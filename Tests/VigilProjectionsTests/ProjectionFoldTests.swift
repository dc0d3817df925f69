import Foundation
import Testing
@testable import VigilDomain
@testable import VigilProjections
@testable import EventStore

let t0 = Date(timeIntervalSince1970: 1_103_734_800)

/// Wraps domain events as if read from the log.
func decoded(_ events: [VigilEvent]) -> [DecodedEvent] {
    events.enumerated().map { i, event in
        DecodedEvent(checkpoint: Checkpoint(transactionId: 1, position: Int64(i + 1)), event: event)
    }
}

func registered(_ id: String, country: String = "US") -> VigilEvent {
    .mission(.registered(MissionRegistered(
        missionId: id, name: id, sendingState: "CN", kind: .embassy, city: "City-\(id)", country: country,
        timeZone: "America/New_York", address: nil, registeredAt: t0)))
}

func scheduled(_ id: String, at mission: String, campaign: String?, expected: Int, kind: GatheringKind = .vigil) -> VigilEvent {
    .gathering(.scheduled(GatheringScheduled(
        gatheringId: id, missionId: mission, campaignId: campaign, kind: kind, startsAt: t0, timeZone: "America/New_York",
        localStart: WallTime(year: 2004, month: 12, day: 22, hour: 12, minute: 0), venue: nil, expectedAttendance: expected,
        organiser: nil, scheduledAt: t0)))
}

@Suite("Projections: the pure folds")
struct ProjectionFoldTests {
    let events: [VigilEvent] = [
        registered("m-a"), registered("m-b", country: "KR"),
        scheduled("g-1", at: "m-a", campaign: "c-1", expected: 100), scheduled("g-2", at: "m-a", campaign: "c-1", expected: 40),
        scheduled("g-3", at: "m-b", campaign: "c-1", expected: 10, kind: .protest), scheduled("g-4", at: "m-a", campaign: nil, expected: 5),
        .gathering(.held(GatheringHeld(gatheringId: "g-1", reportedAttendance: 120, notes: nil, recordedAt: t0))),
        .gathering(.cancelled(GatheringCancelled(gatheringId: "g-2", reason: "rain", cancelledAt: t0))),
        .gathering(.notHeld(GatheringNotHeld(gatheringId: "g-4", reason: "nobody came", recordedAt: t0))),
        .gathering(.held(GatheringHeld(gatheringId: "g-3", reportedAttendance: 8, notes: nil, recordedAt: t0))),
        .gathering(.namesRead(NamesRead(gatheringId: "g-1", names: 200, readers: 10, listRef: "list-a", recordedAt: t0))),
        .petition(.drafted(PetitionDrafted(petitionId: "p-1", campaignId: "c-1", kind: .petition,
            content: PetitionText(title: "T", addressee: "A", text: "X", demands: []), draftedAt: t0))),
        .petition(.deliveryAttempted(DeliveryAttempted(
            petitionId: "p-1", deliveryId: "d-1", missionId: "m-b", gatheringId: "g-3", version: 1, outcome: .blocked,
            receivedBy: nil, attemptedAt: t0, timeZone: "Asia/Seoul", localTime: WallTime(t0, in: TimeZone(identifier: "Asia/Seoul")!),
            notes: nil, recordedAt: t0))),
    ]

    @Test("activity: cells per campaign and mission, a cancelled gathering's expected attendance withdrawn")
    func activity() {
        let model = ActivityProjection().replay(decoded(events))
        let a = model.cells[Pair("c-1", "m-a")]
        #expect(a?.gatheringsScheduled == 2 && a?.gatheringsHeld == 1 && a?.gatheringsCancelled == 1)
        #expect(a?.attendanceExpected == 100 && a?.attendanceReported == 120)
        #expect(a?.readings == 1 && a?.namesRead == 200)
        #expect(model.cells[Pair("", "m-a")]?.gatheringsNotHeld == 1)
        #expect(model.cells[Pair("c-1", "m-b")]?.deliveriesBlocked == 1)
        #expect(model.kinds[Triple("c-1", "m-b", "protest")]?.held == 1)
        #expect(model.gatherings["g-2"]?.status == "cancelled")
    }

    @Test("campaigns: signatures by country and channel, endorsements and their withdrawal")
    func campaigns() {
        let launched = CampaignLaunched(campaignId: "c-1", title: "T", cause: "C", coalition: "K", addressee: "A", demands: ["D"], annualDay: nil, launchedAt: t0)
        let model = CampaignsProjection().replay(decoded([
            .campaign(.launched(launched)),
            .campaign(.endorsed(EndorsementRecorded(campaignId: "c-1", endorsementId: "e-1", endorser: "X", office: "Y", recordedAt: t0))),
            .campaign(.endorsementWithdrawn(EndorsementWithdrawn(campaignId: "c-1", endorsementId: "e-1", reason: nil, withdrawnAt: t0))),
            events[11],
            .petition(.signed(SignatureRecorded(petitionId: "p-1", subjectId: "6f1c2b9e-0d7a-4f0e-9a51-3d1f0c8e2a77", country: "KR", channel: .online, recordedAt: t0))),
            .petition(.counted(SignaturesCounted(petitionId: "p-1", channel: .paper, byCountry: ["KR": 800, "US": 120], total: 920, batchRef: nil, recordedAt: t0))),
        ]))
        #expect(model.campaigns["c-1"]?.endorsements == 1 && model.campaigns["c-1"]?.endorsementsWithdrawn == 1)
        #expect(model.signatures[Pair("c-1", "KR")]?.online == 1)
        #expect(model.signatures[Pair("c-1", "KR")]?.paper == 800)
        #expect(model.signatures[Pair("c-1", "US")]?.paper == 120)
    }
}
