import Crypto
import Foundation

/// The id of an event the log recorded for a command (migration 0037): it follows from the command's
/// id and the event's place in the command, so that the log's unique index on event ids is the
/// command's record (the same command id is refused a second time) and an auditor can recompute it.
///
/// id = the first 16 bytes of SHA-256("vigil command event" LF command id LF place as decimal), with the
/// version nibble set to 8 and the variant to RFC 9562's (a "custom" UUID, version 8). Random (version 4)
/// and time-ordered (version 7) ids never equal one. The same as `command_event_id` in
/// schema/library/vigil_append.c, which the C append uses and SQL calls as `vigil.command_event_id`.
public enum CommandEventId {
    /// The id of the event at `index` (0 is the first) of command `commandId`.
    public static func derive(commandId: String, index: Int) -> UUID {
        var digest = Array(SHA256.hash(data: Data("vigil command event\n\(commandId)\n\(index)".utf8)).prefix(16))
        digest[6] = (digest[6] & 0x0f) | 0x80
        digest[8] = (digest[8] & 0x3f) | 0x80
        return UUID(uuid: (digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                           digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]))
    }

    /// Whether `id` is of the kind `derive` makes (version 8, RFC 9562 variant).
    public static func isDerived(_ id: UUID) -> Bool {
        id.uuid.6 >> 4 == 8 && id.uuid.8 >> 6 == 2
    }
}
