import Foundation
import Testing
@testable import VigilDomain

let drafted = PetitionDrafted(
    petitionId: "stop-2024", campaignId: nil, kind: .petition,
    content: PetitionText(title: "Stop repatriation", addressee: "President Xi Jinping", text: "Stop.", demands: []), draftedAt: now)
let opened = PetitionEvent.opened(PetitionOpened(petitionId: "stop-2024", openedAt: now))
let subject = "6f1c2b9e-0d7a-4f0e-9a51-3d1f0c8e2a77"

func petition(_ command: PetitionCommand, _ events: [PetitionEvent], mission: [MissionEvent] = [.registered(washington)],
              gathering: [GatheringEvent] = []) throws -> [PetitionEvent] {
    let state = PetitionContext(
        petition: events.reduce(PetitionState(), PetitionState.evolve), mission: given(mission),
        gathering: gathering.reduce(GatheringState(), GatheringState.evolve))
    return try PetitionState.decide(command, state, context)
}

func deliver(_ id: String, outcome: DeliveryOutcome = .accepted, gathering: String? = "dc-vigil-2004", at: String? = nil, receivedBy: String? = nil) -> PetitionCommand {
    .deliver(AttemptDelivery(petitionId: "stop-2024", deliveryId: id, missionId: "prc-embassy-washington", gatheringId: gathering, outcome: outcome, receivedBy: receivedBy, localTime: at))
}

@Suite("Petitions: given events, when a command, then events or an error")
struct PetitionTests {
    @Test("draft, open, sign, count, close")
    func lifecycle() throws {
        let draft = DraftPetition(petitionId: "stop-2024", title: "Stop repatriation", addressee: "President Xi Jinping", text: "Stop.")
        #expect(try petition(.draft(draft), []) == [.drafted(drafted)])
        #expect(throws: DomainError.self) { try petition(.draft(draft), [.drafted(drafted)]) }
        #expect(try petition(.open(petitionId: "stop-2024"), [.drafted(drafted)]) == [opened])
        let signed = try petition(.sign(RecordSignature(petitionId: "stop-2024", subjectId: subject, country: "kr")), [.drafted(drafted), opened])
        #expect(signed == [.signed(SignatureRecorded(petitionId: "stop-2024", subjectId: subject, country: "KR", channel: .online, recordedAt: now))])
        let counted = try petition(.count(CountSignatures(petitionId: "stop-2024", channel: .paper, byCountry: ["KR=800", "us=120", "ZZ=3"])), [.drafted(drafted), opened])
        guard case .counted(let c)? = counted.first else { Issue.record("none"); return }
        #expect(c.byCountry == ["KR": 800, "US": 120, "ZZ": 3] && c.total == 923)
        let history = [.drafted(drafted), opened] + signed + counted
        #expect(history.reduce(PetitionState(), PetitionState.evolve).signatures == 924)
        let closed = try petition(.close(petitionId: "stop-2024"), history)
        #expect(throws: DomainError.self) {
            try petition(.sign(RecordSignature(petitionId: "stop-2024", subjectId: UUID().uuidString)), history + closed)
        }
    }

    @Test("a signature needs the subject the vault made; an identity alone is refused, and so is anything but a UUID")
    func signers() throws {
        // An identity alone is not enough: the service must have sealed it in the vault.
        #expect(throws: DomainError.self) {
            try petition(.sign(RecordSignature(petitionId: "stop-2024", identity: .email("a@example.org"))), [.drafted(drafted), opened])
        }
        #expect(throws: DomainError.self) { try petition(.sign(RecordSignature(petitionId: "stop-2024", subjectId: "a@example.org")), [.drafted(drafted), opened]) }
        #expect(throws: DomainError.self) { try petition(.sign(RecordSignature(petitionId: "stop-2024", subjectId: subject)), [.drafted(drafted)]) }
        // The event holds the subject id, lower-cased, and nothing of the identity given with it.
        let events = try petition(
            .sign(RecordSignature(petitionId: "stop-2024", identity: .email("a@example.org"), subjectId: subject.uppercased())), [.drafted(drafted), opened])
        #expect(events == [.signed(SignatureRecorded(petitionId: "stop-2024", subjectId: subject, country: nil, channel: .online, recordedAt: now))])
    }

    @Test("identities normalise: case, spacing and width do not make a second person; the country does")
    func normalising() throws {
        #expect(try SignerIdentity.email(" Kim@Example.ORG").normalised() == "email:kim@example.org")
        #expect(try SignerIdentity.name("Kim  Min-jun", country: "kr").normalised() == SignerIdentity.name("kim min-jun", country: "KR").normalised())
        #expect(try SignerIdentity.name("Ｋｉｍ", country: "KR").normalised() == SignerIdentity.name("kim", country: "KR").normalised())
        #expect(try SignerIdentity.name("Kim", country: "KR").normalised() != SignerIdentity.name("Kim", country: "US").normalised())
        #expect(throws: DomainError.self) { try SignerIdentity.email("not-an-address").normalised() }
    }

    @Test("a delivered version is frozen: a revision then makes a new version; before it amends in place")
    func versions() throws {
        let amended = try petition(.revise(RevisePetition(petitionId: "stop-2024", title: "Stop it")), [.drafted(drafted)])
        guard case .revised(let first)? = amended.first else { Issue.record("none"); return }
        #expect(first.version == 1)
        let delivered = try petition(deliver("washington"), [.drafted(drafted)] + amended, gathering: [.scheduled(scheduled)])
        let again = try petition(.revise(RevisePetition(petitionId: "stop-2024", title: "Stop it now")), [.drafted(drafted)] + amended + delivered)
        guard case .revised(let second)? = again.first else { Issue.record("none"); return }
        #expect(second.version == 2)
        let state = ([.drafted(drafted)] + amended + delivered + again).reduce(PetitionState(), PetitionState.evolve)
        #expect(state.versions[0].title == "Stop it")
        #expect(state.versions[1].title == "Stop it now")
        #expect(throws: DomainError.self) { try petition(.revise(RevisePetition(petitionId: "stop-2024", title: "Stop it")), [.drafted(drafted)] + amended) }
    }

    @Test("deliveries: outcomes, received-by only when accepted, the gathering at the same mission and not cancelled")
    func deliveries() throws {
        for outcome in DeliveryOutcome.allCases {
            let events = try petition(deliver("d-\(outcome.rawValue)", outcome: outcome), [.drafted(drafted)], gathering: [.scheduled(scheduled)])
            guard case .deliveryAttempted(let e)? = events.first else { Issue.record("none"); continue }
            #expect(e.outcome == outcome && e.attemptedAt == scheduled.startsAt && e.version == 1)
        }
        #expect(throws: DomainError.self) { try petition(deliver("d-x", outcome: .refused, receivedBy: "someone"), [.drafted(drafted)], gathering: [.scheduled(scheduled)]) }
        #expect(throws: DomainError.notFound(kind: "petition", id: "stop-2024")) { try petition(deliver("d-x"), [], gathering: [.scheduled(scheduled)]) }
        let cancelled = GatheringEvent.cancelled(GatheringCancelled(gatheringId: "dc-vigil-2004", reason: "rain", cancelledAt: now))
        #expect(throws: DomainError.self) { try petition(deliver("d-x"), [.drafted(drafted)], gathering: [.scheduled(scheduled), cancelled]) }
        var elsewhere = scheduled
        elsewhere.missionId = "prc-consulate-sydney"
        #expect(throws: DomainError.self) { try petition(deliver("d-x"), [.drafted(drafted)], gathering: [.scheduled(elsewhere)]) }
        // Without a gathering, the local time at the mission is needed.
        #expect(throws: DomainError.self) { try petition(deliver("d-x", gathering: nil), [.drafted(drafted)]) }
        let timed = try petition(deliver("d-x", gathering: nil, at: "2015-09-21 18:00"), [.drafted(drafted)])
        guard case .deliveryAttempted(let e)? = timed.first else { Issue.record("none"); return }
        #expect(e.attemptedAt == Date(timeIntervalSince1970: 1_442_872_800))  // 2015-09-21 22:00 UTC (EDT)
        let twice = timed + []
        #expect(throws: DomainError.alreadyExists(kind: "delivery", id: "d-x")) { try petition(deliver("d-x", gathering: nil, at: "2015-09-21 18:00"), [.drafted(drafted)] + twice) }
    }

    @Test("a letter takes no signatures")
    func letters() throws {
        var letter = drafted
        letter.kind = .letter
        #expect(throws: DomainError.self) { try petition(.open(petitionId: "stop-2024"), [.drafted(letter)]) }
    }
}

@Suite("Weekly gatherings: the rule stays at the wall time across daylight saving")
struct RecurrenceTests {
    let rule = ScheduleRecurrence(
        recurrenceId: "dprk-tuesdays", missionId: "prc-embassy-washington", kind: .picket, weekday: .tuesday,
        time: "12:00", from: "2024-02-27")

    func state(_ events: [RecurrenceEvent]) -> RecurrenceContext {
        RecurrenceContext(recurrence: events.reduce(RecurrenceState(), RecurrenceState.evolve), mission: given([.registered(washington)]))
    }

    @Test("noon every Tuesday is 17:00 UTC in winter and 16:00 UTC after the clocks go forward")
    func acrossDaylightSaving() throws {
        let events = try RecurrenceState.decide(.schedule(rule), state([]), context)
        let occurrences = state(events).recurrence.occurrences(from: LocalDate(year: 2024, month: 2, day: 1), through: LocalDate(year: 2024, month: 3, day: 20))
        #expect(occurrences.map(\.wall.dateString) == ["2024-02-27", "2024-03-05", "2024-03-12", "2024-03-19"])
        #expect(occurrences.allSatisfy { $0.wall.hour == 12 && $0.wall.minute == 0 })
        let utcHours = occurrences.map { WallTime($0.instant, in: TimeZone(identifier: "UTC")!).hour }
        #expect(utcHours == [17, 17, 16, 16])  // US daylight saving began on 10 March 2024
    }

    @Test("skip a date, hold a date; a date off the rule is refused; a skipped date cannot be held")
    func dates() throws {
        let scheduledRule = try RecurrenceState.decide(.schedule(rule), state([]), context)
        let skipped = try RecurrenceState.decide(.skip(recurrenceId: "dprk-tuesdays", date: "2024-03-05", reason: "snow"), state(scheduledRule), context)
        let history = scheduledRule + skipped
        #expect(state(history).recurrence.occurrences(from: LocalDate(year: 2024, month: 3, day: 1), through: LocalDate(year: 2024, month: 3, day: 13)).count == 1)
        #expect(throws: DomainError.self) { try RecurrenceState.decide(.recordHeld(recurrenceId: "dprk-tuesdays", date: "2024-03-05", attendance: 1, notes: nil), state(history), context) }
        #expect(throws: DomainError.self) { try RecurrenceState.decide(.recordHeld(recurrenceId: "dprk-tuesdays", date: "2024-03-06", attendance: 1, notes: nil), state(history), context) }
        let held = try RecurrenceState.decide(.recordHeld(recurrenceId: "dprk-tuesdays", date: "2024-03-12", attendance: 1, notes: nil), state(history), context)
        guard case .held(let e)? = held.first else { Issue.record("none"); return }
        #expect(e.startsAt == Date(timeIntervalSince1970: 1_710_259_200))  // 2024-03-12 16:00 UTC
        let ended = try RecurrenceState.decide(.end(recurrenceId: "dprk-tuesdays", lastDate: "2024-03-19", reason: nil), state(history + held), context)
        #expect(throws: DomainError.self) { try RecurrenceState.decide(.recordHeld(recurrenceId: "dprk-tuesdays", date: "2024-03-26", attendance: nil, notes: nil), state(history + held + ended), context) }
        #expect(throws: DomainError.self) { try RecurrenceState.decide(.end(recurrenceId: "dprk-tuesdays", lastDate: "2024-03-05", reason: nil), state(history + held), context) }
    }

    @Test("on the night the clocks skip the rule's hour, the occurrence moves to just after the jump")
    func inTheGap() throws {
        var early = rule
        early.time = "02:30"
        early.weekday = .sunday
        early.from = "2024-03-01"
        let events = try RecurrenceState.decide(.schedule(early), state([]), context)
        let occurrences = state(events).recurrence.occurrences(from: LocalDate(year: 2024, month: 3, day: 10), through: LocalDate(year: 2024, month: 3, day: 10))
        #expect(occurrences.first?.wall.hour == 3)
        #expect(occurrences.first?.wall.minute == 30)
    }

    @Test("weekdays, times and dates are checked")
    func checks() {
        #expect(Weekday(name: "someday") == nil)
        #expect(Weekday(name: "tu") == nil)
        #expect(Weekday(name: " TUE ") == .tuesday && Weekday(name: "Sunday") == .sunday)
        var bad = rule
        bad.time = "25:00"
        #expect(throws: DomainError.self) { try RecurrenceState.decide(.schedule(bad), state([]), context) }
        bad = rule
        bad.until = "2024-01-01"
        #expect(throws: DomainError.self) { try RecurrenceState.decide(.schedule(bad), state([]), context) }
    }
}

@Suite("Imports: batches counted by country")
struct ImportTests {
    @Test("a batch records the vault's counts of new signers by country and how many it skipped; none new is refused")
    func counts() throws {
        let batch = ImportSignatures(petitionId: "stop-2024", channel: .paper, byCountry: ["KR": 2, "kr": 1, "ZZ": 1, "US": 0], duplicatesSkipped: 3)
        let events = try petition(.importBatch(batch), [.drafted(drafted), opened])
        guard case .imported(let e)? = events.first else { Issue.record("nothing imported"); return }
        #expect(e.count == 4)
        #expect(e.byCountry == ["KR": 3, "ZZ": 1])
        #expect(e.duplicatesSkipped == 3)
        let state = ([.drafted(drafted), opened] + events).reduce(PetitionState(), PetitionState.evolve)
        #expect(state.signatures == 4)
        // A batch of people who all signed already appends nothing.
        #expect(throws: DomainError.self) {
            try petition(.importBatch(ImportSignatures(petitionId: "stop-2024", channel: .paper, byCountry: [:], duplicatesSkipped: 5)), [.drafted(drafted), opened])
        }
        #expect(throws: DomainError.self) {
            try petition(.importBatch(ImportSignatures(petitionId: "stop-2024", channel: .paper, byCountry: ["XX": 1], duplicatesSkipped: 0)), [.drafted(drafted), opened])
        }
        #expect(throws: DomainError.self) { try petition(.importBatch(batch), [.drafted(drafted)]) }
    }
}

@Suite("Signer identities: the ASCII fast path agrees with the full Unicode path")
struct SignerNormalisationTests {
    /// Random ASCII identities, weighted towards the characters that matter: blanks, controls, "@", ".",
    /// capitals. Whenever the fast path answers, the full path must give the same string.
    @Test("50,000 random ASCII identities")
    func agreement() throws {
        var random = SplitMix(state: 77)
        let alphabet = Array("aZ@. \t\r\n\u{01}\u{7F}x-_'K.b@".utf8)
        var answered = 0
        for _ in 0..<50_000 {
            let length = Int(random.next() % 24)
            let bytes = (0..<length).map { _ -> UInt8 in
                random.next() % 3 == 0 ? UInt8(random.next() % 128) : alphabet[Int(random.next() % UInt64(alphabet.count))]
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let country = ["KR", " us", "kr\t", "XX", "", "K"][Int(random.next() % 6)]
            for identity in [SignerIdentity.email(text), .name(text, country: country)] {
                guard let fast = identity.asciiNormalised() else { continue }
                answered += 1
                #expect(fast == (try identity.unicodeNormalised()), "\(identity)")
            }
        }
        #expect(answered > 2_000)  // about 3,700 with this seed
    }

    @Test("Known identities", arguments: [
        (SignerIdentity.email("  Person@Example.ORG\t"), "email:person@example.org"),
        (.name("  Kim   Ji  Hoon ", country: "kr"), "name:kim ji hoon|KR"),
        (.name("Éva Kovács", country: "HU"), "name:éva kovács|HU"),
        (.email("ＰＥＲＳＯＮ@example.org"), "email:ｐｅｒｓｏｎ@example.org"),
    ])
    func known(identity: SignerIdentity, expected: String) throws {
        #expect(try identity.normalised() == expected)
    }

    @Test("Invalid identities keep the full path's errors")
    func invalid() {
        #expect(throws: DomainError.self) { try SignerIdentity.email("no-at-sign.example.org").normalised() }
        #expect(throws: DomainError.self) { try SignerIdentity.email("two@@example.org").normalised() }
        #expect(throws: DomainError.self) { try SignerIdentity.name("   ", country: "KR").normalised() }
        #expect(throws: DomainError.self) { try SignerIdentity.name("Kim", country: "XX").normalised() }
    }
}

@Suite("A petition's state: counts, not signers")
struct PetitionCountTests {
    @Test("signatures, counted batches and imports add up; the state holds no signer")
    func adds() {
        var state = PetitionState()
        PetitionState.apply(&state, .signed(SignatureRecorded(petitionId: "p-1", subjectId: UUID().uuidString, country: nil, channel: .online, recordedAt: now)))
        PetitionState.apply(&state, .signed(SignatureRecorded(petitionId: "p-1", subjectId: nil, country: "KR", channel: .online, recordedAt: now)))
        PetitionState.apply(&state, .imported(SignaturesImported(petitionId: "p-1", channel: .paper, count: 7, byCountry: ["KR": 7], duplicatesSkipped: 2, recordedAt: now)))
        #expect(state.signatures == 9)
        #expect(Mirror(reflecting: state).children.allSatisfy { $0.label != "signerRefs" })
    }
}
