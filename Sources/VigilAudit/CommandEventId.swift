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
        derive(commandIdUTF8: Array(commandId.utf8), index: index)
    }

    /// The same for a command id given as its UTF-8 bytes (as an export's canonical text holds it).
    public static func derive(commandIdUTF8 command: [UInt8], index: Int) -> UUID {
        var hasher = SHA256()
        hasher.update(data: prefix)
        hasher.update(data: command)
        var place: [UInt8] = [0x0A]
        place.append(contentsOf: String(index).utf8)
        hasher.update(data: place)
        return hasher.finalize().withUnsafeBytes { d in
            UUID(uuid: (d[0], d[1], d[2], d[3], d[4], d[5], (d[6] & 0x0f) | 0x80, d[7],
                        (d[8] & 0x3f) | 0x80, d[9], d[10], d[11], d[12], d[13], d[14], d[15]))
        }
    }

    private static let prefix = Array("vigil command event\n".utf8)

    /// Whether `id` is of the kind `derive` makes (version 8, RFC 9562 variant).
    public static func isDerived(_ id: UUID) -> Bool {
        id.uuid.6 >> 4 == 8 && id.uuid.8 >> 6 == 2
    }
}
