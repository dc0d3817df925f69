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
