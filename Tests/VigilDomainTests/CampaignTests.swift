import Foundation
import Testing
@testable import VigilDomain

func givenCampaign(_ events: [CampaignEvent]) -> CampaignState { events.reduce(CampaignState(), CampaignState.evolve) }

let launch = LaunchCampaign(
    campaignId: "dad-2004", title: "Worldwide protest", cause: "Repatriation", coalition: "North Korea Freedom Coalition",
    addressee: "the Government of the People's Republic of China", demands: ["Stop repatriating North Korean refugees"])
let launched = CampaignLaunched(
    campaignId: "dad-2004", title: "Worldwide protest", cause: "Repatriation", coalition: "North Korea Freedom Coalition",
    addressee: "the Government of the People's Republic of China", demands: ["Stop repatriating North Korean refugees"],
    annualDay: nil, launchedAt: now)

func campaign(_ command: CampaignCommand, _ events: [CampaignEvent] = [.launched(launched)]) throws -> [CampaignEvent] {
    try CampaignState.decide(command, givenCampaign(events), context)
}

@Suite("Campaigns: given events, when a command, then events or an error")
struct CampaignTests {
    @Test("launching records the campaign; twice is refused; it needs a demand")
    func launching() throws {
        #expect(try campaign(.launch(launch), []) == [.launched(launched)])
        #expect(throws: DomainError.alreadyExists(kind: "campaign", id: "dad-2004")) { try campaign(.launch(launch)) }
        var bare = launch
        bare.demands = []
        #expect(throws: DomainError.self) { try campaign(.launch(bare), []) }
    }

    @Test("a member, then a local lead in a city; the same one twice is refused; a lead needs a city")
    func members() throws {
        let member = AddCoalitionMember(campaignId: "dad-2004", organisation: "Wilberforce Forum")
        let added = try campaign(.addMember(member))
        #expect(added == [.memberAdded(CoalitionMemberAdded(campaignId: "dad-2004", organisation: "Wilberforce Forum", role: .member, city: nil, country: nil, addedAt: now))])
        #expect(throws: DomainError.self) { try campaign(.addMember(member), [.launched(launched)] + added) }
        let lead = AddCoalitionMember(campaignId: "dad-2004", organisation: "LiNK", role: .localLead, city: "New York", country: "us")
        guard case .memberAdded(let e)? = try campaign(.addMember(lead)).first else { Issue.record("no member"); return }
        #expect(e.role == .localLead && e.country == "US")
        #expect(throws: DomainError.self) {
            try campaign(.addMember(AddCoalitionMember(campaignId: "dad-2004", organisation: "LiNK", role: .localLead)))
        }
    }

    @Test("endorsements: recorded once, withdrawn once, and the current ones are those not withdrawn")
    func endorsements() throws {
        let endorse = RecordEndorsement(campaignId: "dad-2004", endorsementId: "brownback", endorser: "Sam Brownback", office: "U.S. Senator (R-KS)")
        let recorded = try campaign(.endorse(endorse))
        #expect(throws: DomainError.alreadyExists(kind: "endorsement", id: "brownback")) { try campaign(.endorse(endorse), [.launched(launched)] + recorded) }
        let withdraw = WithdrawEndorsement(campaignId: "dad-2004", endorsementId: "brownback", reason: "left office")
        #expect(throws: DomainError.notFound(kind: "endorsement", id: "brownback")) { try campaign(.withdrawEndorsement(withdraw)) }
        let withdrawn = try campaign(.withdrawEndorsement(withdraw), [.launched(launched)] + recorded)
        let history = [CampaignEvent.launched(launched)] + recorded + withdrawn
        #expect(givenCampaign(history).currentEndorsements.isEmpty)
        #expect(throws: DomainError.self) { try campaign(.withdrawEndorsement(withdraw), history) }
    }

    @Test("a statement keeps its date, demands and claims with their sources")
    func statements() throws {
        let issue = IssueStatement(
            campaignId: "dad-2004", statementId: "june", issuedOn: "2024-06-03", title: "Statement",
            demands: ["Apologise"], claims: ["More than 200 repatriated from Baiyin | news, as cited"])
        guard case .statementIssued(let e)? = try campaign(.issueStatement(issue)).first else { Issue.record("none"); return }
        #expect(e.issuedOn == LocalDate(year: 2024, month: 6, day: 3))
        #expect(e.claims == [Claim(text: "More than 200 repatriated from Baiyin", source: "news, as cited")])
        var unsourced = issue
        unsourced.claims = ["a claim with no source"]
        #expect(throws: DomainError.self) { try campaign(.issueStatement(unsourced)) }
        var badDate = issue
        badDate.issuedOn = "3 June 2024"
        #expect(throws: DomainError.self) { try campaign(.issueStatement(badDate)) }
    }

    @Test("a concluded campaign takes nothing more; an unlaunched one is not found")
    func concluded() throws {
        let ended = try campaign(.conclude(ConcludeCampaign(campaignId: "dad-2004", summary: "done")))
        let member = AddCoalitionMember(campaignId: "dad-2004", organisation: "Org")
        #expect(throws: DomainError.self) { try campaign(.addMember(member), [.launched(launched)] + ended) }
        #expect(throws: DomainError.self) { try campaign(.conclude(ConcludeCampaign(campaignId: "dad-2004", summary: "again")), [.launched(launched)] + ended) }
        #expect(throws: DomainError.notFound(kind: "campaign", id: "dad-2004")) { try campaign(.addMember(member), []) }
    }
}

@Suite("Mission corrections and the newer gathering commands")
struct MoreGatheringTests {
    @Test("a correction records only what changed")
    func correct() throws {
        let correction = CorrectMission(missionId: "prc-embassy-washington", city: "Washington", timeZone: "America/Chicago", reason: "wrong zone")
        let events = try MissionState.decide(.correct(correction), given([.registered(washington)]), context)
        #expect(events == [.corrected(MissionCorrected(missionId: "prc-embassy-washington", name: nil, city: nil, timeZone: "America/Chicago", address: nil, reason: "wrong zone", correctedAt: now))])
        #expect(given([.registered(washington)] + events).registration?.timeZone == "America/Chicago")
    }

    @Test("a gathering for a concluded campaign is refused")
    func concludedCampaign() {
        let ended = CampaignEvent.concluded(CampaignConcluded(campaignId: "dad-2004", summary: "done", concludedAt: now))
        let command = GatheringCommand.schedule(ScheduleGathering(
            gatheringId: "g-1", missionId: "prc-embassy-washington", campaignId: "dad-2004", kind: .vigil, localStart: "2004-12-22 12:00"))
        let state = GatheringContext(gathering: GatheringState(), mission: given([.registered(washington)]), campaign: givenCampaign([.launched(launched), ended]))
        #expect(throws: DomainError.self) { try GatheringState.decide(command, state, context) }
    }

    @Test("names read: counts and a list reference, never names; not at a cancelled gathering")
    func namesRead() throws {
        let read = RecordNamesRead(gatheringId: "dc-vigil-2004", names: 120, readers: 8, listRef: "nkfc-list-2004")
        let events = try decide(.recordNamesRead(read), gathering([.scheduled(scheduled)]))
        #expect(events == [.namesRead(NamesRead(gatheringId: "dc-vigil-2004", names: 120, readers: 8, listRef: "nkfc-list-2004", recordedAt: now))])
        var named = read
        named.listRef = "Kim Min-jun, Lee Young-hee"
        #expect(throws: DomainError.self) { try decide(.recordNamesRead(named), gathering([.scheduled(scheduled)])) }
        let cancelled = GatheringEvent.cancelled(GatheringCancelled(gatheringId: "dc-vigil-2004", reason: "rain", cancelledAt: now))
        #expect(throws: DomainError.self) { try decide(.recordNamesRead(read), gathering([.scheduled(scheduled), cancelled])) }
    }

    @Test("coverage needs a language code and an http(s) link; a no-show names the outlet")
    func media() throws {
        let coverage = RecordCoverage(gatheringId: "dc-vigil-2004", outlet: "Voice of America Korea", language: "KO", link: "https://www.voakorea.com/")
        guard case .coverage(let e)? = try decide(.recordCoverage(coverage), gathering([.scheduled(scheduled)])).first else { Issue.record("none"); return }
        #expect(e.language == "ko")
        var bad = coverage
        bad.link = "ftp://example.org/x"
        #expect(throws: DomainError.self) { try decide(.recordCoverage(bad), gathering([.scheduled(scheduled)])) }
        let noShow = try decide(.recordNoShow(RecordNoShow(gatheringId: "dc-vigil-2004", outlet: "CCTV")), gathering([.scheduled(scheduled)]))
        #expect(noShow == [.noShow(MediaNoShow(gatheringId: "dc-vigil-2004", outlet: "CCTV", notes: nil, recordedAt: now))])
    }

    @Test("a venue change must change the venue")
    func venue() throws {
        #expect(throws: DomainError.self) { try decide(.changeVenue(ChangeVenue(gatheringId: "dc-vigil-2004", venue: "Outside the embassy")), gathering([.scheduled(scheduled)])) }
        #expect(try decide(.changeVenue(ChangeVenue(gatheringId: "dc-vigil-2004", venue: "Dag Hammarskjold Plaza")), gathering([.scheduled(scheduled)])).count == 1)
    }
}
