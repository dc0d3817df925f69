/// Who may read a field of an event.
public enum FieldClass: String, Sendable, CaseIterable, Codable {
    /// Goes into the log as it is: ids, times, places, counts, what a campaign says in public.
    case `public`
    /// An organiser's free text (a note, a reason, a summary): it may name people, so it is sealed in
    /// the vault, erasable, and the event holds a reference. Organisers read it; reports never do.
    case organiser
    /// A person's name or description (who organised, who took a petition): sealed like an organiser's
    /// text, and opened only when an organiser asks for restricted values by name.
    case restricted

    /// Whether the value is kept in the vault rather than in the event.
    public var isSealed: Bool { self != .public }
}

/// Every field of every event, and its class: declared once, here, beside the event types. A field of a
/// stored type that is not listed is a test failure, so a new field cannot slip into the log unclassed.
/// For a field whose value is an array or an object, the class applies to every string inside it.
public enum EventFields {
    public static let classes: [String: [String: FieldClass]] = [
        // Campaigns: what a campaign says is public; who endorses it, and why they withdrew, is not.
        "CampaignLaunched": [
            "campaignId": .public, "title": .public, "cause": .public, "coalition": .public, "addressee": .public,
            "demands": .public, "annualDay": .public, "launchedAt": .public,
        ],
        "CoalitionMemberAdded": [
            "campaignId": .public, "organisation": .public, "role": .public, "city": .public, "country": .public, "addedAt": .public,
        ],
        "EndorsementRecorded": [
            "campaignId": .public, "endorsementId": .public, "endorser": .restricted, "office": .organiser, "recordedAt": .public,
        ],
        "EndorsementWithdrawn": ["campaignId": .public, "endorsementId": .public, "reason": .organiser, "withdrawnAt": .public],
        "StatementIssued": [
            "campaignId": .public, "statementId": .public, "issuedOn": .public, "title": .public, "demands": .public,
            "claims": .organiser, "recordedAt": .public,
        ],
        "CampaignConcluded": ["campaignId": .public, "summary": .organiser, "concludedAt": .public],
        // Missions are public places; why one was corrected or closed is an organiser's note.
        "MissionRegistered": [
            "missionId": .public, "name": .public, "sendingState": .public, "kind": .public, "city": .public, "country": .public,
            "timeZone": .public, "address": .public, "location": .public, "registeredAt": .public,
        ],
        "MissionCorrected": [
            "missionId": .public, "name": .public, "city": .public, "timeZone": .public, "address": .public, "location": .public,
            "reason": .organiser,
            "correctedAt": .public,
        ],
        "MissionClosed": ["missionId": .public, "reason": .organiser, "closedAt": .public],
        // Gatherings: when and where is public; who organised it, and notes and reasons, are not.
        "GatheringScheduled": [
            "gatheringId": .public, "missionId": .public, "campaignId": .public, "kind": .public, "startsAt": .public,
            "timeZone": .public, "localStart": .public, "venue": .public, "expectedAttendance": .public, "organiser": .restricted,
            "scheduledAt": .public,
        ],
        "GatheringRescheduled": [
            "gatheringId": .public, "startsAt": .public, "timeZone": .public, "localStart": .public, "reason": .organiser,
            "rescheduledAt": .public,
        ],
        "GatheringCancelled": ["gatheringId": .public, "reason": .organiser, "cancelledAt": .public],
        "GatheringHeld": ["gatheringId": .public, "reportedAttendance": .public, "notes": .organiser, "recordedAt": .public],
        "GatheringNotHeld": ["gatheringId": .public, "reason": .organiser, "recordedAt": .public],
        "GatheringVenueChanged": ["gatheringId": .public, "venue": .public, "changedAt": .public],
        // A list of names read aloud is only ever a count and a reference.
        "NamesRead": ["gatheringId": .public, "names": .public, "readers": .public, "listRef": .public, "recordedAt": .public],
        "CoverageRecorded": ["gatheringId": .public, "outlet": .public, "language": .public, "link": .public, "recordedAt": .public],
        "MediaNoShow": ["gatheringId": .public, "outlet": .public, "notes": .organiser, "recordedAt": .public],
        "RecurrenceScheduled": [
            "recurrenceId": .public, "missionId": .public, "campaignId": .public, "kind": .public, "weekday": .public, "hour": .public,
            "minute": .public, "timeZone": .public, "from": .public, "until": .public, "venue": .public, "organiser": .restricted,
            "scheduledAt": .public,
        ],
        "OccurrenceSkipped": ["recurrenceId": .public, "date": .public, "reason": .organiser, "recordedAt": .public],
        "OccurrenceHeld": [
            "recurrenceId": .public, "date": .public, "startsAt": .public, "reportedAttendance": .public, "notes": .organiser,
            "recordedAt": .public,
        ],
        "RecurrenceEnded": ["recurrenceId": .public, "lastDate": .public, "reason": .organiser, "endedAt": .public],
        // Petitions: the text is what is delivered, in public; signers are subjects of the vault, or counts.
        "PetitionDrafted": ["petitionId": .public, "campaignId": .public, "kind": .public, "content": .public, "draftedAt": .public],
        "PetitionRevised": ["petitionId": .public, "version": .public, "content": .public, "revisedAt": .public],
        "PetitionOpened": ["petitionId": .public, "openedAt": .public],
        "SignatureRecorded": ["petitionId": .public, "subjectId": .public, "country": .public, "channel": .public, "recordedAt": .public],
        "SignaturesCounted": [
            "petitionId": .public, "channel": .public, "byCountry": .public, "total": .public, "batchRef": .public, "recordedAt": .public,
        ],
        "SignaturesImported": [
            "petitionId": .public, "channel": .public, "count": .public, "byCountry": .public, "duplicatesSkipped": .public,
            "recordedAt": .public,
        ],
        "PetitionClosed": ["petitionId": .public, "closedAt": .public],
        "DeliveryAttempted": [
            "petitionId": .public, "deliveryId": .public, "missionId": .public, "gatheringId": .public, "version": .public,
            "outcome": .public, "receivedBy": .restricted, "attemptedAt": .public, "timeZone": .public, "localTime": .public,
            "notes": .organiser, "recordedAt": .public,
        ],
        "SubjectErased": ["subjectId": .public, "kind": .public, "erasedAt": .public],
    ]

    /// The fields of `type` kept in the vault, with their class.
    public static func sealed(_ type: String) -> [String: FieldClass] {
        (classes[type] ?? [:]).filter { $0.value.isSealed }
    }

    /// A reference to a value in the vault, as an event holds it instead of the value: `vault:` and the
    /// subject's id.
    public static func reference(_ subjectId: String) -> String { "vault:" + subjectId }

    /// The subject id a reference names; nil for any other text.
    public static func subject(ofReference text: String) -> String? {
        guard text.hasPrefix("vault:"), text.count == 42 else { return nil }
        return String(text.dropFirst(6))
    }
}
