import Dispatch
import Foundation
import VigilService

/// A fixed set of `VigilService`s, each with its own reporter connection and its own serial queue, lent
/// to one request at a time. The service's calls block on libpq, so they run on the service's queue
/// (Dispatch's threads), never on the server's event loop; a request waits for a free service rather than
/// opening a connection of its own. A connection that breaks is reopened by the service on next use.
public actor ServicePool {
    /// One service and the queue its calls run on. `@unchecked Sendable`: the pool lends it to one task at
    /// a time, and that task touches the service only on `queue`.
    final class Lease: @unchecked Sendable {
        let service: VigilService
        let queue: DispatchQueue

        init(service: VigilService, index: Int) {
            self.service = service
            queue = DispatchQueue(label: "vigil.web.service.\(index)")
        }
    }

    /// The pool is full: more requests wait than `maxWaiting`; the server answers 503 with Retry-After.
    public enum Busy: Error { case busy }

    private var idle: [Lease]
    private var waiting: [CheckedContinuation<Lease, Never>] = []
    /// How many services the pool holds: how many requests read the database at once.
    public nonisolated let size: Int
    /// How many requests may wait for a service before more are turned away.
    public nonisolated let maxWaiting: Int

    /// `size` services made by `make` (each connects on first use).
    public init(size: Int, maxWaiting: Int = 256, make: () -> VigilService) {
        self.size = max(1, size)
        self.maxWaiting = maxWaiting
        idle = (0..<max(1, size)).map { Lease(service: make(), index: $0) }
    }

    /// Runs `body` with a service of the pool, on that service's queue, and gives the service back.
    /// Throws `Busy.busy` at once when `maxWaiting` requests already wait.
    public func run<T: Sendable>(_ body: @escaping @Sendable (VigilService) throws -> T) async throws -> T {
        let lease = try await acquire()
        defer { release(lease) }
        return try await withCheckedThrowingContinuation { continuation in
            lease.queue.async { continuation.resume(with: Result { try body(lease.service) }) }
        }
    }

    private func acquire() async throws -> Lease {
        if let lease = idle.popLast() { return lease }
        guard waiting.count < maxWaiting else { throw Busy.busy }
        return await withCheckedContinuation { waiting.append($0) }
    }

    private func release(_ lease: Lease) {
        if waiting.isEmpty { idle.append(lease) } else { waiting.removeFirst().resume(returning: lease) }
    }
}
