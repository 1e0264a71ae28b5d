import Synchronization

/// Runs one body at a time for each key, the others waiting their turn in order: what keeps
/// concurrent tenant creates of one organisation from passing its plan's cap together
/// (each counts, then creates, while the next waits).
final class OneAtATime<Key: Hashable & Sendable>: Sendable {
    /// A key present is busy; its array holds who waits for it.
    private let waiting = Mutex([Key: [CheckedContinuation<Void, Never>]]())

    func run<Value: Sendable>(_ key: Key, _ body: () async throws -> Value) async throws -> Value {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: Key) async {
        await withCheckedContinuation { continuation in
            let free = waiting.withLock { waiting in
                guard waiting[key] != nil else {
                    waiting[key] = []
                    return true
                }
                waiting[key]!.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    private func release(_ key: Key) {
        let next = waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard var queue = waiting[key], !queue.isEmpty else {
                waiting[key] = nil
                return nil
            }
            let first = queue.removeFirst()
            waiting[key] = queue
            return first
        }
        next?.resume()
    }
}
