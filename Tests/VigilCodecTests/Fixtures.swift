import Foundation
@testable import VigilDomain

let now = Date(timeIntervalSince1970: 1_103_544_000)  // 2004-12-20 12:00 UTC

let washington = MissionRegistered(
    missionId: "prc-embassy-washington", name: "Embassy of the People's Republic of China", sendingState: "CN",
    kind: .embassy, city: "Washington", country: "US", timeZone: "America/New_York",
    address: "3505 International Place NW", registeredAt: now)

let scheduled = GatheringScheduled(
    gatheringId: "dc-vigil-2004", missionId: "prc-embassy-washington", kind: .vigil,
    startsAt: Date(timeIntervalSince1970: 1_103_734_800),  // 2004-12-22 17:00 UTC
    timeZone: "America/New_York", localStart: WallTime(year: 2004, month: 12, day: 22, hour: 12, minute: 0),
    venue: "Outside the embassy", expectedAttendance: 100, organiser: "North Korea Freedom Coalition", scheduledAt: now)

let drafted = PetitionDrafted(
    petitionId: "stop-2024", campaignId: nil, kind: .petition,
    content: PetitionText(title: "Stop repatriation", addressee: "President Xi Jinping", text: "Stop.", demands: []), draftedAt: now)

/// One event of every stored type, with what the codec must get right: other scripts, optionals both
/// ways, nested values, dictionaries, arrays, negative numbers.
let everyEvent: [VigilEvent] = {
    let seoul = TimeZone(identifier: "Asia/Seoul") ?? .current
    let day = LocalDate(year: 2024, month: 6, day: 4)
    let local = WallTime(now, in: seoul)
    return [
        .campaign(.launched(CampaignLaunched(
            campaignId: "c-1", title: "T", cause: "C", coalition: "K", addressee: "A", demands: ["D"], annualDay: "Day", launchedAt: now))),
        .campaign(.memberAdded(CoalitionMemberAdded(
            campaignId: "c-1", organisation: "NKFC", role: .localLead, city: "Seoul", country: "KR", addedAt: now))),
        .campaign(.endorsed(EndorsementRecorded(
            campaignId: "c-1", endorsementId: "e-1", endorser: "Sam Brownback", office: "U.S. Senator (R-KS)", recordedAt: now))),
        .campaign(.endorsementWithdrawn(EndorsementWithdrawn(campaignId: "c-1", endorsementId: "e-1", reason: nil, withdrawnAt: now))),
        .campaign(.statementIssued(StatementIssued(
            campaignId: "c-1", statementId: "s-1", issuedOn: day, title: "성명", demands: [], claims: [Claim(text: "x", source: "https://a/b")],
            recordedAt: now))),
        .campaign(.concluded(CampaignConcluded(campaignId: "c-1", summary: "done", concludedAt: now))),
        .mission(.registered(washington)),
        .mission(.corrected(MissionCorrected(
            missionId: "m", name: nil, city: "Chicago", timeZone: nil, address: nil, reason: "moved", correctedAt: now))),
        .mission(.closed(MissionClosed(missionId: "m", reason: "moved", closedAt: now))),
        .gathering(.scheduled(scheduled)),
        .gathering(.rescheduled(GatheringRescheduled(
            gatheringId: "g-1", startsAt: now, timeZone: "Asia/Seoul", localStart: local, reason: "비", rescheduledAt: now))),
        .gathering(.venueChanged(GatheringVenueChanged(gatheringId: "g-1", venue: "Dag Hammarskjold Plaza", changedAt: now))),
        .gathering(.cancelled(GatheringCancelled(gatheringId: "g-1", reason: "permit refused", cancelledAt: now))),
        .gathering(.held(GatheringHeld(gatheringId: "g-1", reportedAttendance: nil, notes: "탈북자 명단 낭독", recordedAt: now))),
        .gathering(.held(GatheringHeld(gatheringId: "g-1", reportedAttendance: -3, notes: nil, recordedAt: now))),
        .gathering(.notHeld(GatheringNotHeld(gatheringId: "g-1", reason: "rain", recordedAt: now))),
        .gathering(.namesRead(NamesRead(gatheringId: "g-1", names: 3, readers: 1, listRef: "list-a", recordedAt: now))),
        .gathering(.coverage(CoverageRecorded(gatheringId: "g-1", outlet: "KBS", language: "ko", link: nil, recordedAt: now))),
        .gathering(.noShow(MediaNoShow(gatheringId: "g-1", outlet: "CNN", notes: nil, recordedAt: now))),
        .recurrence(.scheduled(RecurrenceScheduled(
            recurrenceId: "r-1", missionId: "m", campaignId: nil, kind: .vigil, weekday: 2, hour: 12, minute: 0, timeZone: "Asia/Seoul",
            from: day, until: nil, venue: nil, organiser: nil, scheduledAt: now))),
        .recurrence(.skipped(OccurrenceSkipped(recurrenceId: "r-1", date: day, reason: "holiday", recordedAt: now))),
        .recurrence(.held(OccurrenceHeld(recurrenceId: "r-1", date: day, startsAt: now, reportedAttendance: 12, notes: nil, recordedAt: now))),
        .recurrence(.ended(RecurrenceEnded(recurrenceId: "r-1", lastDate: day, reason: nil, endedAt: now))),
        .petition(.drafted(drafted)),
        .petition(.revised(PetitionRevised(petitionId: "p-1", version: 2, content: drafted.content, revisedAt: now))),
        .petition(.opened(PetitionOpened(petitionId: "p-1", openedAt: now))),
        .petition(.signed(SignatureRecorded(
            petitionId: "p-1", subjectId: "6f1c2b9e-0d7a-4f0e-9a51-3d1f0c8e2a77", country: "KR", channel: .online, recordedAt: now))),
        .petition(.counted(SignaturesCounted(
            petitionId: "p-1", channel: .paper, byCountry: ["KR": 3], total: 3, batchRef: nil, recordedAt: now))),
        .petition(.imported(SignaturesImported(
            petitionId: "p-1", channel: .online, count: 2, byCountry: ["KR": 2, "ZZ": 0], duplicatesSkipped: 4,
            recordedAt: now))),
        .petition(.closed(PetitionClosed(petitionId: "p-1", closedAt: now))),
        .erasure(.erased(SubjectErased(subjectId: "6f1c2b9e-0d7a-4f0e-9a51-3d1f0c8e2a77", kind: .signer, erasedAt: now))),
        .petition(.deliveryAttempted(DeliveryAttempted(
            petitionId: "p-1", deliveryId: "d-1", missionId: "m", gatheringId: nil, version: 1, outcome: .nobodyCameOut,
            receivedBy: nil, attemptedAt: now, timeZone: "Asia/Seoul", localTime: local, notes: nil, recordedAt: now))),
    ]
}()

/// A small deterministic generator, so a failure can be reproduced from its seed. (The domain's tests
/// have their own: a test target sees no other's helpers.)
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
