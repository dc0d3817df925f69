import Foundation
import PostgresClient
import VigilSignerFile
import VigilVault

/// The batches of an import, read, checked and sealed on a thread of their own, one batch ahead of the
/// database: while a batch's transaction runs (the vault's INSERTs, the event, the commit), the next
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
        var rows: [BinaryCopyRows]?
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
                var rows: [BinaryCopyRows]?
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

    /// A batch's rows for the vault: each signer's blind index and sealed record (an HMAC and two
    /// AES-GCM seals), in COPY's binary format, made on `workers` threads.
    static func sealed(
        _ signers: [CheckedSigner], petitionId: String, indexer: BlindIndexer, sealer: SubjectSealer, workers: Int
    ) -> [BinaryCopyRows] {
        let chunks = min(workers, max(1, signers.count / 512))
        let size = (signers.count + chunks - 1) / chunks
        @Sendable func seal(_ range: Range<Int>) -> BinaryCopyRows {
            let hasher = indexer.makeHasher()
            var rows = BinaryCopyRows(capacity: range.count * 256)
            var random = RandomBytes()
            for signer in signers[range] {
                sealer.appendSealed(
                    to: &rows, petitionId: petitionId, blindIndex: hasher.index(signer.normalised), record: signer.record, consent: signer.consent,
                    country: signer.country, random: &random)
            }
            return rows
        }
        guard chunks > 1 else { return [seal(0..<signers.count)] }
        let parts = SealedParts(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            parts.set(chunk, seal((chunk * size)..<min(signers.count, (chunk + 1) * size)))
        }
        return parts.all
    }
}

/// The rows each thread sealed, gathered under a lock.
final class SealedParts: @unchecked Sendable {  // `parts` is only touched under `lock`
    private var parts: [BinaryCopyRows]
    private let lock = NSLock()

    init(count: Int) { parts = Array(repeating: BinaryCopyRows(), count: count) }

    func set(_ index: Int, _ rows: BinaryCopyRows) { lock.withLock { parts[index] = rows } }

    var all: [BinaryCopyRows] { lock.withLock { parts } }
}
