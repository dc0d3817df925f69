import Foundation
import Testing
@testable import VigilDomain

/// Every stored payload shape, as the domain writes it.
let samplePayloads: [(String, Data)] = {
    let launched = CampaignLaunched(
        campaignId: "c-1", title: "T", cause: "C", coalition: "K", addressee: "A", demands: ["D"], annualDay: "Day", launchedAt: now)
    let events: [any DomainEvent] = [
        MissionEvent.registered(washington), GatheringEvent.scheduled(scheduled), CampaignEvent.launched(launched),
        GatheringEvent.namesRead(NamesRead(gatheringId: "g-1", names: 3, readers: 1, listRef: "list-a", recordedAt: now)),
        PetitionEvent.drafted(drafted),
        PetitionEvent.counted(SignaturesCounted(petitionId: "p-1", channel: .paper, byCountry: ["KR": 3], total: 3, batchRef: nil, recordedAt: now)),
    ]
    return events.compactMap { event in (try? event.encodedData()).map { (event.eventType, $0) } }
}()

/// A small deterministic generator, so a failure can be reproduced from its seed.
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

@Suite("Decoding fuzz: a corrupt payload is an error naming the event, never a crash")
struct DecodingFuzzTests {
    @Test("20,000 mutations of stored payloads: truncations, flipped bytes, wrong types, swapped types")
    func mutations() {
        var random = SplitMix(state: 20_261_123)
        var decodedFine = 0
        var refused = 0
        for _ in 0..<20_000 {
            let (type, original) = samplePayloads[Int(random.next() % UInt64(samplePayloads.count))]
            var bytes = [UInt8](original)
            switch random.next() % 6 {
            case 0: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
            case 1:
                for _ in 0..<(1 + random.next() % 4) { bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next()) }
            case 2:
                let text = String(decoding: bytes, as: UTF8.self)
                bytes = Array(text.replacingOccurrences(of: "\"", with: "", options: [], range: nil).utf8)
            case 3:
                let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: ":\"", with: ":1")
                bytes = Array(text.utf8)
            case 4: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: Int(random.next() % UInt64(bytes.count)))
            default: break
            }
            let wrongType = random.next() % 5 == 0 ? samplePayloads[Int(random.next() % UInt64(samplePayloads.count))].0 : type
            do {
                _ = try VigilEvent.decode(type: wrongType, data: Data(bytes))
                decodedFine += 1
            } catch let error as DomainError {
                guard case .invalid(let field, _) = error, field == "event \(wrongType)" else {
                    Issue.record("an error that does not name the event: \(error)")
                    return
                }
                refused += 1
            } catch {
                Issue.record("an error that is not a DomainError: \(error)")
                return
            }
        }
        #expect(refused > 10_000)
        #expect(decodedFine + refused == 20_000)
    }

    @Test("an unknown type and an empty payload are refused by name")
    func unknown() {
        #expect(throws: DomainError.invalid(field: "event PetitionShredded", reason: "is not an event type this version of Vigil knows")) {
            try VigilEvent.decode(type: "PetitionShredded", data: Data("{}".utf8))
        }
        #expect(throws: DomainError.self) { try VigilEvent.decode(type: "GatheringHeld", data: Data()) }
    }
}

/// The fast payload decoder against Foundation's: wherever the fast one gives a value, it must be the value
/// `JSONDecoder` gives. (Where it declines, `JSONDecoder` decides, so declining is always safe.)
@Suite("The fast payload decoder agrees with JSONDecoder")
struct PayloadDecoderAgreementTests {
    /// Payloads with what the fast path must get right: escapes, other scripts, emoji, optionals both ways,
    /// nested values, dictionaries, arrays, negative numbers.
    static let payloads: [(String, Data)] = {
        let odd = "Kim \"Ji-hoon\"\\ said:\n\t서울 — 😀 \u{1}/"
        let events: [any DomainEvent] = [
            GatheringEvent.held(GatheringHeld(gatheringId: "g-1", reportedAttendance: -3, notes: odd, recordedAt: now)),
            GatheringEvent.held(GatheringHeld(gatheringId: "g-1", reportedAttendance: nil, notes: nil, recordedAt: now)),
            PetitionEvent.imported(SignaturesImported(
                petitionId: "p-1", channel: .online, signerRefs: ["ab", "cd", odd], byCountry: ["KR": 2, "US": 1, "ZZ": 0],
                duplicatesSkipped: 4, recordedAt: now)),
            PetitionEvent.imported(SignaturesImported(
                petitionId: "", channel: .paper, signerRefs: [], byCountry: ["": 1], duplicatesSkipped: 0, recordedAt: now)),
            CampaignEvent.statementIssued(StatementIssued(
                campaignId: "c-1", statementId: "s-1", issuedOn: LocalDate(year: 2017, month: 9, day: 22), title: odd,
                demands: [odd, ""], claims: [Claim(text: odd, source: "https://example.org/a?b=1&c=%22")], recordedAt: now)),
        ]
        return samplePayloads + events.compactMap { event in (try? event.encodedData()).map { (event.eventType, $0) } }
    }()

    /// Decodes with each decoder: whether the fast one answered, and a disagreement if there is one.
    static func compare(_ type: String, _ data: Data) -> (fast: Bool, problem: String?) {
        func check<P: EventPayload>(_ payload: P.Type) -> (Bool, String?) {
            guard let fast = try? PayloadJSON.decode(P.self, from: data) else { return (false, nil) }
            let foundation = try? EventJSON.decoder().decode(P.self, from: data)
            let problem = "\(type): fast \(fast), JSONDecoder \(String(describing: foundation)) for \(String(decoding: data, as: UTF8.self))"
            return (true, fast == foundation ? nil : problem)
        }
        switch type {
        case MissionRegistered.eventType: return check(MissionRegistered.self)
        case GatheringScheduled.eventType: return check(GatheringScheduled.self)
        case GatheringHeld.eventType: return check(GatheringHeld.self)
        case CampaignLaunched.eventType: return check(CampaignLaunched.self)
        case StatementIssued.eventType: return check(StatementIssued.self)
        case NamesRead.eventType: return check(NamesRead.self)
        case PetitionDrafted.eventType: return check(PetitionDrafted.self)
        case SignaturesCounted.eventType: return check(SignaturesCounted.self)
        case SignaturesImported.eventType: return check(SignaturesImported.self)
        default: return (false, "no check for \(type)")
        }
    }

    /// PostgreSQL prints jsonb with a space after each `:` and `,`: the form a rebuild reads.
    static func jsonbSpaced(_ data: Data) -> Data {
        var out: [UInt8] = []
        var inString = false
        var escaped = false
        for c in data {
            out.append(c)
            if inString {
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
            } else if c == 0x22 {
                inString = true
            } else if c == 0x3A || c == 0x2C {
                out.append(0x20)
            }
        }
        return Data(out)
    }

    @Test("every sample payload, compact and as jsonb prints it, decodes fast to the same value")
    func samples() throws {
        for (type, data) in Self.payloads {
            for form in [data, Self.jsonbSpaced(data)] {
                let result = Self.compare(type, form)
                #expect(result.fast, "the fast path declined \(type)")
                #expect(result.problem == nil)
                #expect(try VigilEvent.decode(type: type, data: form) == VigilEvent.decode(type: type, data: data))
            }
        }
    }

    @Test("found by the mutations: a bad escape in a key nobody reads still makes the document invalid")
    func badEscapeUnread() {
        let data = Data(#"{"gatheringId": "g-1", "no+tes": "a \u01/", "recordedAt": "2004-12-20T12:00:00Z"}"#.utf8)
        #expect(Self.compare(GatheringHeld.eventType, data).fast == false)
        #expect(throws: DomainError.self) { try VigilEvent.decode(type: GatheringHeld.eventType, data: data) }
    }

    @Test("50,000 mutated payloads: where the fast path answers, JSONDecoder answers the same")
    func mutations() {
        var random = SplitMix(state: 4_242)
        var fastAnswers = 0
        for _ in 0..<50_000 {
            let (type, original) = Self.payloads[Int(random.next() % UInt64(Self.payloads.count))]
            var bytes = [UInt8](random.next() % 2 == 0 ? original : Self.jsonbSpaced(original))
            let mutations: [UInt8] = Array("\"\\:,{}[]0-1.eE+ntfu\u{7F}x".utf8) + [0x00, 0xC3, 0xFF, 0x0A]
            for _ in 0..<(1 + random.next() % 3) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[at] = mutations[Int(random.next() % UInt64(mutations.count))]
                case 1: bytes.insert(mutations[Int(random.next() % UInt64(mutations.count))], at: at)
                case 2: bytes.remove(at: at)
                default: bytes = Array(bytes.prefix(at))
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            let data = Data(bytes)
            let result = Self.compare(type, data)
            if let problem = result.problem {
                Issue.record(Comment(rawValue: problem))
                return
            }
            if result.fast { fastAnswers += 1 }
        }
        #expect(fastAnswers > 1_000)
    }
}
