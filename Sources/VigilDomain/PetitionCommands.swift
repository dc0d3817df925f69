import Foundation

/// Draft a petition or letter.
public struct DraftPetition: Sendable, Equatable {
    public var petitionId: String
    public var campaignId: String?
    public var kind: PetitionKind
    public var title: String
    public var addressee: String
    public var text: String
    public var demands: [String]

    public init(petitionId: String, campaignId: String? = nil, kind: PetitionKind = .petition, title: String, addressee: String, text: String, demands: [String] = []) {
        self.petitionId = petitionId
        self.campaignId = campaignId
        self.kind = kind
        self.title = title
        self.addressee = addressee
        self.text = text
        self.demands = demands
    }
}

/// Revise the text: amends the current version while it has not been delivered, else makes a new one.
public struct RevisePetition: Sendable, Equatable {
    public var petitionId: String
    public var title: String?
    public var addressee: String?
    public var text: String?
    public var demands: [String]?

    public init(petitionId: String, title: String? = nil, addressee: String? = nil, text: String? = nil, demands: [String]? = nil) {
        self.petitionId = petitionId
        self.title = title
        self.addressee = addressee
        self.text = text
        self.demands = demands
    }
}

/// Who signed, as typed. The service seals it in the vault and hands the domain only the subject id it
/// got there; the identity itself never reaches an event.
public enum SignerIdentity: Sendable, Equatable {
    case email(String)
    case name(String, country: String)

    /// The normalised identity that the blind index is made of: a lower-cased e-mail, or a case-folded name with single
    /// spaces and its country.
    public func normalised() throws -> String {
        try asciiNormalised() ?? unicodeNormalised()
    }

    /// `normalised()` for any script: NFKC, case and width folding through Foundation.
    func unicodeNormalised() throws -> String {
        switch self {
        case .email(let raw):
            let email = raw.trimmingCharacters(in: .whitespaces).lowercased()
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), email.count <= 254,
                !email.contains(where: { $0.isWhitespace })
            else {
                throw DomainError.invalid(field: "email", reason: "is not an e-mail address")
            }
            return "email:\(email)"
        case .name(let raw, let country):
            let name = try Check.text(raw, field: "name", max: 200)
                .precomposedStringWithCompatibilityMapping
                .folding(options: [.caseInsensitive, .widthInsensitive], locale: nil)
                .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            return "name:\(name)|\(try Check.country(country, field: "country"))"
        }
    }

    /// The same result as `normalised()` for a valid identity written in ASCII, without Foundation's
    /// Unicode machinery (for ASCII, compatibility mapping and width folding change nothing and case
    /// folding is lower-casing). An import spent a third of its time there. Nil sends anything else (other
    /// scripts, or anything invalid, so its error message is the usual one) to the full path.
    func asciiNormalised() -> String? {
        func lowered(_ c: UInt8) -> UInt8 { (0x41...0x5A).contains(c) ? c | 0x20 : c }
        switch self {
        case .email(let raw):
            let bytes = Array(raw.utf8)
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            let email = bytes[...].trimming(Check.isBlank).map(lowered)
            // Whitespace or a control character inside, or not exactly one "@": the full path explains.
            guard email.count <= 254, email.allSatisfy({ $0 > 0x20 && $0 != 0x7F }),
                let at = email.firstIndex(of: 0x40), at > 0, email.lastIndex(of: 0x40) == at,
                email[(at + 1)...].contains(0x2E)
            else { return nil }
            return "email:" + String(decoding: email, as: UTF8.self)
        case .name(let raw, let country):
            let bytes = Array(raw.utf8)
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            let name = bytes[...].trimming { $0 == 0x20 || (0x09...0x0D).contains($0) }
            guard !name.isEmpty, name.count <= 200, name.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }),
                let code = Check.asciiCountry(country)
            else { return nil }
            var out: [UInt8] = Array("name:".utf8)
            out.reserveCapacity(name.count + 9)
            var pendingSpace = false
            for c in name {
                if c == 0x20 { pendingSpace = true; continue }
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(lowered(c))
            }
            return String(decoding: out, as: UTF8.self) + "|" + code
        }
    }
}

/// Record one signature.
public struct RecordSignature: Sendable, Equatable {
    public var petitionId: String
    /// Who signed, as typed. The service seals it in the vault and sets `subjectId`; `decide` never
    /// reads it, so it cannot reach an event.
    public var identity: SignerIdentity?
    /// Whether the signer agreed to hear back from the organisers (kept in the vault, not the log).
    public var consent: Bool
    /// The signer's new subject in the vault, made by the service.
    public var subjectId: String?
    public var country: String?
    public var channel: SignatureChannel

    public init(
        petitionId: String, identity: SignerIdentity? = nil, consent: Bool = false, subjectId: String? = nil, country: String? = nil,
        channel: SignatureChannel = .online
    ) {
        self.petitionId = petitionId
        self.identity = identity
        self.consent = consent
        self.subjectId = subjectId
        self.country = country
        self.channel = channel
    }
}

/// Record a batch of signatures counted by country.
public struct CountSignatures: Sendable, Equatable {
    public var petitionId: String
    public var channel: SignatureChannel
    /// "KR=800" pairs; "ZZ" for unknown.
    public var byCountry: [String]
    public var batchRef: String?

    public init(petitionId: String, channel: SignatureChannel, byCountry: [String], batchRef: String? = nil) {
        self.petitionId = petitionId
        self.channel = channel
        self.byCountry = byCountry
        self.batchRef = batchRef
    }
}

/// Record a batch of an import: the vault has taken the signers in (one subject each) and counted the
/// new ones by country; the domain records the counts.
public struct ImportSignatures: Sendable, Equatable {
    public var petitionId: String
    public var channel: SignatureChannel
    /// The new signers by country code ("ZZ" where unknown), as the vault counted them.
    public var byCountry: [String: Int]
    /// Rows of the batch left out because the person had signed already.
    public var duplicatesSkipped: Int

    public init(petitionId: String, channel: SignatureChannel, byCountry: [String: Int], duplicatesSkipped: Int) {
        self.petitionId = petitionId
        self.channel = channel
        self.byCountry = byCountry
        self.duplicatesSkipped = duplicatesSkipped
    }
}

/// Record an attempt to hand the petition over at a mission.
public struct AttemptDelivery: Sendable, Equatable {
    public var petitionId: String
    public var deliveryId: String
    public var missionId: String
    public var gatheringId: String?
    public var version: Int?
    public var outcome: DeliveryOutcome
    public var receivedBy: String?
    /// Local date and time at the mission; without it, the gathering's start.
    public var localTime: String?
    public var fold: Fold?
    public var notes: String?

    public init(
        petitionId: String, deliveryId: String, missionId: String, gatheringId: String? = nil, version: Int? = nil,
        outcome: DeliveryOutcome, receivedBy: String? = nil, localTime: String? = nil, fold: Fold? = nil, notes: String? = nil
    ) {
        self.petitionId = petitionId
        self.deliveryId = deliveryId
        self.missionId = missionId
        self.gatheringId = gatheringId
        self.version = version
        self.outcome = outcome
        self.receivedBy = receivedBy
        self.localTime = localTime
        self.fold = fold
        self.notes = notes
    }
}

/// The commands of a petition's stream.
public enum PetitionCommand: Sendable, Equatable {
    case draft(DraftPetition)
    case revise(RevisePetition)
    case open(petitionId: String)
    case sign(RecordSignature)
    case count(CountSignatures)
    case importBatch(ImportSignatures)
    case close(petitionId: String)
    case deliver(AttemptDelivery)

    /// The petition the command is about, as typed.
    public var petitionId: String {
        switch self {
        case .draft(let c): return c.petitionId
        case .revise(let c): return c.petitionId
        case .open(let id): return id
        case .sign(let c): return c.petitionId
        case .count(let c): return c.petitionId
        case .importBatch(let c): return c.petitionId
        case .close(let id): return id
        case .deliver(let c): return c.petitionId
        }
    }
}

/// What a petition command is decided against: the petition, its campaign, and for a delivery the
/// mission and gathering.
public struct PetitionContext: Sendable, Equatable {
    public var petition: PetitionState
    public var campaign: CampaignState
    public var mission: MissionState
    public var gathering: GatheringState

    public init(petition: PetitionState, campaign: CampaignState = CampaignState(), mission: MissionState = MissionState(), gathering: GatheringState = GatheringState()) {
        self.petition = petition
        self.campaign = campaign
        self.mission = mission
        self.gathering = gathering
    }
}

extension PetitionState {
    /// The most signatures one batch may count.
    static let maximumBatch = 10_000_000

    /// Decides what a command records, given the petition and what it refers to.
    public static func decide(_ command: PetitionCommand, _ context: PetitionContext, _ ctx: CommandContext) throws -> [PetitionEvent] {
        let id = try Check.id(command.petitionId, field: "petition id")
        let state = context.petition
        if case .draft(let c) = command {
            guard state.drafted == nil else { throw DomainError.alreadyExists(kind: "petition", id: id) }
            let kind = c.kind
            let campaignId = try c.campaignId.map { try Check.id($0, field: "campaign") }
            if let campaignId { try CampaignState.requireActive(context.campaign, id: campaignId, doing: "draft a petition for it") }
            let content = PetitionText(
                title: try Check.text(c.title, field: "title", max: 200),
                addressee: try Check.text(c.addressee, field: "addressee", max: 200),
                text: try Check.text(c.text, field: "text", max: 20_000, multiline: true),
                demands: try Check.demands(c.demands, field: "demand"))
            return [.drafted(PetitionDrafted(petitionId: id, campaignId: campaignId, kind: kind, content: content, draftedAt: ctx.now))]
        }
        guard let drafted = state.drafted else { throw DomainError.notFound(kind: "petition", id: id) }
        switch command {
        case .draft:
            return []  // handled above
        case .revise(let c):
            let current = state.versions[state.versions.count - 1]
            let content = PetitionText(
                title: try Check.optionalText(c.title, field: "title", max: 200) ?? current.title,
                addressee: try Check.optionalText(c.addressee, field: "addressee", max: 200) ?? current.addressee,
                text: try Check.optionalText(c.text, field: "text", max: 20_000, multiline: true) ?? current.text,
                demands: try c.demands.map { try Check.demands($0, field: "demand") } ?? current.demands)
            guard content != current else { throw DomainError.refused("the revision of \(id) changes nothing") }
            let frozen = state.deliveredVersions.contains(state.currentVersion)
            let version = frozen ? state.currentVersion + 1 : state.currentVersion
            return [.revised(PetitionRevised(petitionId: id, version: version, content: content, revisedAt: ctx.now))]
        case .open:
            guard drafted.kind == .petition else { throw DomainError.refused("\(id) is a letter; only a petition takes signatures") }
            guard state.status == .draft else { throw DomainError.refused("petition \(id) is already \(state.status.rawValue)") }
            return [.opened(PetitionOpened(petitionId: id, openedAt: ctx.now))]
        case .sign(let c):
            try requireOpen(state, id: id)
            guard let subject = c.subjectId, UUID(uuidString: subject) != nil else {
                throw DomainError.invalid(field: "signer", reason: "the signer was not sealed in the vault; nothing was recorded")
            }
            return [
                .signed(
                    SignatureRecorded(
                        petitionId: id, subjectId: subject.lowercased(), country: try c.country.map { try Check.country($0, field: "country") },
                        channel: c.channel, recordedAt: ctx.now))
            ]
        case .count(let c):
            try requireOpen(state, id: id)
            var counts: [String: Int] = [:]
            for pair in c.byCountry {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
                    throw DomainError.invalid(field: "count", reason: "write each count as COUNTRY=N, such as KR=800 (ZZ where unknown)")
                }
                let code = parts[0].trimmingCharacters(in: .whitespaces).uppercased() == "ZZ" ? "ZZ" : try Check.country(parts[0], field: "count")
                guard counts[code] == nil else { throw DomainError.invalid(field: "count", reason: "\(code) is counted twice in one batch") }
                counts[code] = try Check.count(n, field: "count for \(code)")
            }
            let total = counts.values.reduce(0, +)
            guard total >= 1 else { throw DomainError.invalid(field: "count", reason: "a batch counts at least one signature") }
            guard total <= maximumBatch else { throw DomainError.invalid(field: "count", reason: "a batch of \(total) is above \(maximumBatch); split it") }
            return [
                .counted(
                    SignaturesCounted(
                        petitionId: id, channel: c.channel, byCountry: counts, total: total,
                        batchRef: try c.batchRef.map { try Check.reference($0, field: "batch reference") }, recordedAt: ctx.now))
            ]
        case .importBatch(let c):
            try requireOpen(state, id: id)
            var counts: [String: Int] = [:]
            for (code, n) in c.byCountry where n > 0 {
                let code = code == "ZZ" ? "ZZ" : try Check.country(code, field: "country")
                counts[code, default: 0] += try Check.count(n, field: "count for \(code)")
            }
            let total = counts.values.reduce(0, +)
            guard total > 0 else {
                throw DomainError.refused("every signer of this batch has signed petition \(id) already; nothing to import")
            }
            guard total <= maximumBatch else { throw DomainError.invalid(field: "batch", reason: "a batch of \(total) is above \(maximumBatch); split it") }
            return [
                .imported(
                    SignaturesImported(
                        petitionId: id, channel: c.channel, count: total, byCountry: counts,
                        duplicatesSkipped: max(0, c.duplicatesSkipped), recordedAt: ctx.now))
            ]
        case .close:
            try requireOpen(state, id: id)
            return [.closed(PetitionClosed(petitionId: id, closedAt: ctx.now))]
        case .deliver(let c):
            let deliveryId = try Check.id(c.deliveryId, field: "delivery id")
            guard state.deliveries[deliveryId] == nil else { throw DomainError.alreadyExists(kind: "delivery", id: deliveryId) }
            let missionId = try Check.id(c.missionId, field: "mission")
            let mission = try GatheringState.openMission(context.mission, id: missionId, doing: "deliver a petition there")
            let outcome = c.outcome
            let version = c.version ?? state.currentVersion
            guard (1...state.currentVersion).contains(version) else {
                throw DomainError.invalid(field: "version", reason: "\(id) has versions 1 to \(state.currentVersion)")
            }
            let receivedBy = try Check.optionalText(c.receivedBy, field: "received by", max: 200)
            if receivedBy != nil && outcome != .accepted {
                throw DomainError.invalid(field: "received by", reason: "only an accepted delivery is received by someone")
            }
            var gatheringId: String?
            var when: LocalTime?
            if let raw = c.gatheringId {
                let gid = try Check.id(raw, field: "gathering")
                guard let scheduled = context.gathering.scheduled else { throw DomainError.notFound(kind: "gathering", id: gid) }
                guard scheduled.missionId == missionId else {
                    throw DomainError.refused("gathering \(gid) is at mission \(scheduled.missionId), not \(missionId)")
                }
                try GatheringState.notCalledOff(context.gathering, id: gid, doing: "deliver a petition during it")
                gatheringId = gid
                if let start = context.gathering.startsAt, let wall = context.gathering.localStart {
                    when = LocalTime(instant: start, zone: scheduled.timeZone, wall: wall)
                }
            }
            if let raw = c.localTime {
                when = try GatheringState.resolve(raw, fold: c.fold, zone: mission.timeZone)
            }
            guard let when else {
                throw DomainError.invalid(field: "local time", reason: "say when it happened: its local time (YYYY-MM-DD HH:MM), or the gathering it happened at")
            }
            return [
                .deliveryAttempted(
                    DeliveryAttempted(
                        petitionId: id, deliveryId: deliveryId, missionId: missionId, gatheringId: gatheringId,
                        version: version, outcome: outcome, receivedBy: receivedBy, attemptedAt: when.instant,
                        timeZone: when.zone, localTime: when.wall,
                        notes: try Check.optionalText(c.notes, field: "notes", max: 2000, multiline: true), recordedAt: ctx.now))
            ]
        }
    }

    /// Throws unless the petition is open for signatures.
    public static func requireOpen(_ state: PetitionState, id: String) throws {
        switch state.status {
        case .open: return
        case .draft: throw DomainError.refused("petition \(id) is not open for signatures yet; open it first")
        case .closed: throw DomainError.refused("petition \(id) is closed; it takes no more signatures")
        }
    }
}
