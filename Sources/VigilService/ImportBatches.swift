import Foundation
import PostgresClient
import VigilSignerFile
import VigilVault

/// The batches of an import, read, checked and sealed on a thread of their own, one batch ahead of the
/// database: while a batch's transaction runs (the vault's COPYs, the event, the commit), the next
/// one is sealed on another core, so that on a machine where the database is the slower side sealing
/// costs the import no time.
///
/// `@unchecked Sendable`: every mutable field is read and written only while holding `condition`.
final class ImportBatches: @unchecked Sendable {
    /// One batch: its place in the file (0 first), how many signers it holds, and their sealed rows; nil
    /// rows for a batch that an earlier run under the same key recorded, which is read but not sealed.
    struct Batch: Sendable {
        var number: Int
        var count: Int
        var rows: [SealedSigners]?
    }

    private let condition = NSCondition()
    /// Batches made and not taken yet, or the error that ended the reading.
    private var ready: [Result<Batch, any Error>] = []
    /// The thread has put its last batch (or an error).
    private var finished = false
    /// The thread has returned.
    private var exited = false
    /// The taker wants no more batches.
    private var stopped = false
    private var readingSeconds = 0.0
    private var sealingSeconds = 0.0
    private var waitingSeconds = 0.0
    /// How many batches may wait, made, for the taker.
    private let ahead = 1

    /// Starts reading `file` (after its header row) in batches of `batchSize` and sealing them with
    /// `indexer` and `sealer` on `workers` threads; the batches numbered in `skipping` are read and
    /// checked but not sealed. `indexer` may be nil only when every batch is skipped.
    init(
        file: SignerFile, petitionId: String, batchSize: Int, indexer: BlindIndexer?, sealer: SubjectSealer, skipping: Set<Int>, workers: Int
    ) {
        let reader = file.makeReader()
        let path = file.path
        Thread { [self] in
            run(
                reader: reader, path: path, petitionId: petitionId, batchSize: batchSize, indexer: indexer, sealer: sealer, skipping: skipping,
                workers: workers)
        }.start()
    }

    /// The next batch, waiting for it while it is being sealed; nil after the last. Rethrows what
    /// ended the reading (a row that no longer checks: the file changed since it was checked).
    func next() throws -> Batch? {
        let start = ContinuousClock.now
        let next: Result<Batch, any Error>? = condition.withLock {
            while ready.isEmpty && !finished { condition.wait() }
            waitingSeconds += seconds(since: start)
            guard !ready.isEmpty else { return nil }
            defer { condition.broadcast() }
            return ready.removeFirst()
        }
        return try next?.get()
    }

    /// Tells the thread to stop and waits until it has: no batch is read or sealed after this returns.
    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
            while !exited { condition.wait() }
        }
    }

    /// Seconds the thread spent reading and checking rows, sealing them, and the taker waiting for them.
    var timings: (reading: Double, sealing: Double, waiting: Double) {
        condition.withLock { (readingSeconds, sealingSeconds, waitingSeconds) }
    }

    private func run(
        reader: SignerFile.Reader, path: String, petitionId: String, batchSize: Int, indexer: BlindIndexer?, sealer: SubjectSealer, skipping: Set<Int>,
        workers: Int
    ) {
        defer {
            condition.withLock {
                finished = true
                exited = true
                condition.broadcast()
            }
        }
        var reader = reader
        var number = 0
        do {
            while !condition.withLock({ stopped }) {
                var signers: [CheckedSigner] = []
                signers.reserveCapacity(batchSize)
                let reading = ContinuousClock.now
                while signers.count < batchSize, let row = try reader.next() { signers.append(try VigilService.checked(row, path: path)) }
                let read = seconds(since: reading)
                guard !signers.isEmpty else { return }
                let sealing = ContinuousClock.now
                var rows: [SealedSigners]?
                if !skipping.contains(number), let indexer {
                    rows = ImportBatches.sealed(signers, petitionId: petitionId, indexer: indexer, sealer: sealer, workers: workers)
                }
                let sealed = seconds(since: sealing)
                let batch = Batch(number: number, count: signers.count, rows: rows)
                let taken: Bool = condition.withLock {
                    readingSeconds += read
                    sealingSeconds += sealed
                    while ready.count >= ahead && !stopped { condition.wait() }
                    guard !stopped else { return false }
                    ready.append(.success(batch))
                    condition.broadcast()
                    return true
                }
                guard taken else { return }
                number += 1
            }
        } catch {
            condition.withLock { ready.append(.failure(error)) }
        }
    }

    /// A batch's rows for the vault, made on `workers` threads: each signer's blind index (an HMAC), the
    /// batch's repeats of a blind index left out (the first kept) and the rest put in a random order,
    /// then each signer sealed (a new data key, two AES-GCM seals) into the rows COPY
    /// writes to the vault's two tables.
    static func sealed(
        _ signers: [CheckedSigner], petitionId: String, indexer: BlindIndexer, sealer: SubjectSealer, workers: Int
    ) -> [SealedSigners] {
        let chunks = min(workers, max(1, signers.count / 512))
        let size = (signers.count + chunks - 1) / chunks
        @Sendable func range(_ chunk: Int) -> Range<Int> { (chunk * size)..<min(signers.count, (chunk + 1) * size) }
        let indexes = UnsafeMutableBufferPointer<BlindIndex>.allocate(capacity: signers.count)
        defer { indexes.deallocate() }
        nonisolated(unsafe) let shared = indexes  // each chunk writes its own range
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let sealer = SignerBatchSealer(sealer: sealer, petitionId: petitionId, indexer: indexer, batch: (0, 0))
            for i in range(chunk) { (shared.baseAddress! + i).initialize(to: sealer.index(signers[i].normalised)) }
        }
        // Each signer once (the first), in a random order: the ids, given in that order, go in at the
        // right-hand end of the indexes on subject ids. Not in the order of the blind indexes (which let
        // the petition's unique index take a batch leaf after leaf, about a tenth faster), nor in the
        // file's: the rows' order stays in the tables (their physical order, and each id's place in its
        // batch), and after an erasure the neighbours of the erased row bracketed its blind index, or its
        // place in a file sorted by name (helper-22's red-team review, 2026-12-07).
        var seen = Set<BlindIndex>(minimumCapacity: signers.count)
        var order: [Int] = []
        order.reserveCapacity(signers.count)
        for i in 0..<signers.count where seen.insert(indexes[i]).inserted { order.append(i) }
        var random = RandomBytes()
        order.shuffle(using: &random)
        let kept = order
        let ids = SignerBatchSealer.ids()
        let sealing = min(chunks, max(1, kept.count / 512))
        let part = (kept.count + sealing - 1) / sealing
        let parts = SealedParts(count: sealing)
        DispatchQueue.concurrentPerform(iterations: sealing) { chunk in
            var sealer = SignerBatchSealer(sealer: sealer, petitionId: petitionId, indexer: indexer, batch: ids)
            let positions = (chunk * part)..<min(kept.count, (chunk + 1) * part)
            var rows = SealedSigners(capacity: positions.count)
            for position in positions {
                let signer = signers[kept[position]]
                sealer.append(
                    to: &rows, position: position, blindIndex: shared[kept[position]], record: signer.record, consent: signer.consent,
                    country: signer.country)
            }
            parts.set(chunk, rows)
        }
        return parts.all
    }
}

/// The rows each thread sealed, gathered under a lock.
final class SealedParts: @unchecked Sendable {  // `parts` is only touched under `lock`
    private var parts: [SealedSigners]
    private let lock = NSLock()

    init(count: Int) { parts = Array(repeating: SealedSigners(), count: count) }

    func set(_ index: Int, _ rows: SealedSigners) { lock.withLock { parts[index] = rows } }

    var all: [SealedSigners] { lock.withLock { parts } }
}
