import GRDB

/// Commits concurrent writes together: while one transaction is being committed (and
/// fsynced), the writes that arrive wait and then go in the next one. Each caller still
/// returns only after its own write is durable; under load, one fsync serves many.
///
/// Every write of a store goes through here (creates, deletes, rotations, usage flushes),
/// so they share batches and keep their order of arrival. A failing batch is rolled back
/// and retried one write at a time, so one bad write fails alone.
actor GroupCommit {
    /// One write waiting for a batch: its work, and how to answer its caller.
    private struct Pending: Sendable {
        let apply: @Sendable (Database) throws -> any Sendable
        let answer: @Sendable (Result<any Sendable, any Error>) -> Void
    }

    private let database: any DatabaseWriter
    private let afterCommit: @Sendable () async -> Void
    private let metrics: StoreMetrics
    private var pending: [Pending] = []
    private var isCommitting = false

    /// `afterCommit` runs after each committed transaction has been answered, before the next.
    init(database: any DatabaseWriter, metrics: StoreMetrics, afterCommit: @escaping @Sendable () async -> Void = {}) {
        self.database = database
        self.metrics = metrics
        self.afterCommit = afterCommit
    }

    /// Runs `work` in the next batch's transaction and returns its result once that
    /// transaction is committed.
    func write<Output: Sendable>(_ work: @escaping @Sendable (Database) throws -> Output) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(
                Pending(
                    apply: { db in try work(db) },
                    answer: { result in
                        // `apply` returned an Output, so the cast cannot fail.
                        continuation.resume(with: result.map { $0 as! Output })
                    }))
            if !isCommitting {
                isCommitting = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            await commit(batch)
        }
        isCommitting = false
    }

    private func commit(_ batch: [Pending]) async {
        do {
            let started = ContinuousClock.now
            let outputs = try await database.write { db in try batch.map { try $0.apply(db) } }
            metrics.committed(batchSize: batch.count, in: ContinuousClock.now - started)
            for (entry, output) in zip(batch, outputs) { entry.answer(.success(output)) }
            await afterCommit()
        } catch  where batch.count > 1 {
            for entry in batch { await commit([entry]) }
        } catch {
            batch[0].answer(.failure(error))
        }
    }
}
