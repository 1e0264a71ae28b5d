import GRDB

/// Commits concurrent writes together: while one transaction is being committed (and
/// fsynced), the writes that arrive wait and then go in the next one. Each caller still
/// returns only after its own write is durable; under load, one fsync serves many.
///
/// A failing batch is retried one write at a time, so one bad write fails alone.
actor GroupCommit<Item: Sendable> {
    private let database: any DatabaseWriter
    private let apply: @Sendable (Database, Item) throws -> Void
    private var pending: [(item: Item, done: CheckedContinuation<Void, any Error>)] = []
    private var isCommitting = false

    init(database: any DatabaseWriter, apply: @escaping @Sendable (Database, Item) throws -> Void) {
        self.database = database
        self.apply = apply
    }

    func submit(_ item: Item) async throws {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((item, continuation))
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

    private func commit(_ batch: [(item: Item, done: CheckedContinuation<Void, any Error>)]) async {
        let apply = apply
        let items = batch.map(\.item)
        do {
            try await database.write { db in
                for item in items { try apply(db, item) }
            }
            for entry in batch { entry.done.resume() }
        } catch where batch.count > 1 {
            for entry in batch { await commit([entry]) }
        } catch {
            batch[0].done.resume(throwing: error)
        }
    }
}
