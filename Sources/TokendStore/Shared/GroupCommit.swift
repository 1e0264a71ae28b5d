/// Commits concurrent writes together: while one transaction is being committed (and
/// fsynced), the writes that arrive wait and then go in the next one. Each caller still
/// returns only after its own write is durable; under load, one fsync serves many.
///
/// Every write of a store goes through here (creates, deletes, rotations, usage flushes),
/// so they share batches and keep their order of arrival. A failing batch is rolled back
/// and retried one write at a time, so one bad write fails alone, unless the store says the
/// failure is not a write's own (a database that stopped answering fails them all alike).
///
/// `Work` is one write as its store runs it inside a transaction (a closure over SQLite's
/// `Database`, or over a PostgreSQL connection); `commit` runs a batch of them in one
/// transaction and answers each one's output, in order.
actor GroupCommit<Work: Sendable> {
    typealias Commit = @Sendable ([Work]) async throws -> [any Sendable]

    /// One write waiting for a batch: its work, and how to answer its caller.
    private struct Pending: Sendable {
        let work: Work
        let answer: @Sendable (Result<any Sendable, any Error>) -> Void
    }

    private let commitBatch: Commit
    private let retriesAlone: @Sendable (any Error) -> Bool
    private let afterCommit: @Sendable () async -> Void
    private let metrics: StoreMetrics
    private var pending: [Pending] = []
    private var isCommitting = false

    /// `afterCommit` runs after each committed transaction has been answered, before the next.
    init(
        metrics: StoreMetrics, commit: @escaping Commit, retriesAlone: @escaping @Sendable (any Error) -> Bool = { _ in true },
        afterCommit: @escaping @Sendable () async -> Void = {}
    ) {
        self.commitBatch = commit
        self.retriesAlone = retriesAlone
        self.metrics = metrics
        self.afterCommit = afterCommit
    }

    /// Runs `work` in the next batch's transaction and returns its output, an `Output`, once
    /// that transaction is committed.
    func write<Output: Sendable>(_ work: Work, answering _: Output.Type) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(
                Pending(
                    work: work,
                    answer: { result in
                        // The store's work returned an Output, so the cast cannot fail.
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
            let outputs = try await commitBatch(batch.map(\.work))
            metrics.committed(batchSize: batch.count, in: ContinuousClock.now - started)
            for (entry, output) in zip(batch, outputs) { entry.answer(.success(output)) }
            await afterCommit()
        } catch  where batch.count > 1 {
            for entry in batch { await commit([entry]) }
        } catch {
            for entry in batch { entry.answer(.failure(error)) }
        }
    }
}
