import Synchronization

/// Commits concurrent writes together: while one transaction is being committed (and
/// fsynced), the writes that arrive wait and then go in the next one. Each caller still
/// returns only after its own write is durable; under load, one fsync serves many.
///
/// Every write of a store goes through here (creates, deletes, rotations, usage flushes),
/// so they share batches and keep their order of arrival. A failing batch is rolled back
/// and retried one write at a time, so one bad write fails alone, unless the store says the
/// failure is not a write's own (a database that stopped answering fails them all alike, and
/// a batch whose outcome is unknown must not run again).
///
/// A caller that stops waiting (its task cancelled: the store's timeout) is answered at once,
/// and its write is left out of every batch not yet begun.
///
/// `Work` is one write as its store runs it inside a transaction (a closure over SQLite's
/// `Database`, or over a PostgreSQL connection); `commit` runs a batch of them in one
/// transaction and answers each one's output, in order.
actor GroupCommit<Work: Sendable> {
    typealias Commit = @Sendable ([Work]) async throws -> [any Sendable]

    private let commitBatch: Commit
    private let retriesAlone: @Sendable (any Error) -> Bool
    private let afterCommit: @Sendable () async -> Void
    private let metrics: StoreMetrics
    private var pending: [Pending<Work>] = []
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
        let entry = Pending(work)
        let output = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                entry.wait(with: continuation)
                pending.append(entry)
                if !isCommitting {
                    isCommitting = true
                    Task { await self.drain() }
                }
            }
        } onCancel: {
            entry.answer(.failure(CancellationError()))
        }
        // The store's work returned an Output, so the cast cannot fail.
        return output as! Output
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending.filter(\.isWaiting)
            pending.removeAll(keepingCapacity: true)
            if !batch.isEmpty { await commit(batch) }
        }
        isCommitting = false
    }

    private func commit(_ batch: [Pending<Work>]) async {
        do {
            let started = ContinuousClock.now
            let outputs = try await commitBatch(batch.map(\.work))
            metrics.committed(batchSize: batch.count, in: ContinuousClock.now - started)
            for (entry, output) in zip(batch, outputs) { entry.answer(.success(output)) }
            await afterCommit()
        } catch  where batch.count > 1 && retriesAlone(error) {
            for entry in batch where entry.isWaiting { await commit([entry]) }
        } catch {
            for entry in batch { entry.answer(.failure(error)) }
        }
    }
}

/// One write waiting for a batch: its work, and its caller until answered (once).
private final class Pending<Work: Sendable>: Sendable {
    let work: Work
    private let caller = Mutex<CheckedContinuation<any Sendable, any Error>?>(nil)

    init(_ work: Work) { self.work = work }

    func wait(with continuation: CheckedContinuation<any Sendable, any Error>) { caller.withLock { $0 = continuation } }

    /// False once answered, or given up by its caller.
    var isWaiting: Bool { caller.withLock { $0 != nil } }

    func answer(_ result: Result<any Sendable, any Error>) { caller.withLock { $0.take() }?.resume(with: result) }
}
