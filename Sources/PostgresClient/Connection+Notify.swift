import Foundation
internal import CLibPQ

/// A notification received on a channel this connection listens to.
public struct Notification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var senderPID: Int32
}

extension Connection {
    /// Starts listening on `channel`.
    public func listen(_ channel: String) throws {
        try execute("LISTEN \(try quoteIdentifier(channel))")
    }

    /// Sends `payload` on `channel`; listeners get it when the current transaction commits.
    public func notify(_ channel: String, payload: String = "") throws {
        try query("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Waits up to `timeout` seconds for a notification; nil when none came in time.
    public func waitForNotification(timeout: Double) throws -> Notification? {
        let conn = try live()
        if let pending = try takeNotification(conn) { return pending }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var fds = [pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 1, Int32(min(remaining, 3600) * 1000))
            if ready < 0 && errno != EINTR {
                throw PostgresError(kind: .client, message: "waiting for a notification failed (errno \(errno))")
            }
            if let notification = try takeNotification(conn) { return notification }
        }
    }

    func takeNotification(_ conn: OpaquePointer) throws -> Notification? {
        guard PQconsumeInput(conn) == 1 else { throw lastError(conn, "the connection was lost while listening") }
        guard let raw = PQnotifies(conn) else { return nil }
        defer { PQfreemem(raw) }
        return Notification(
            channel: String(cString: raw.pointee.relname),
            payload: String(cString: raw.pointee.extra),
            senderPID: raw.pointee.be_pid)
    }
}
