import Synchronization

/// Runs `body`, but throws `expired()` if it has not finished within `timeout`.
///
/// Not a task group: a group waits for its children, and a query already sent to a database
/// that stopped answering does not end when cancelled; the caller must be answered anyway.
/// On time, the body is cancelled (a wait for a pooled connection ends) and left to finish
/// by itself; when the body finishes first, the timer is cancelled, so none outlives its
/// operation.
@discardableResult
func withDeadline<Value: Sendable>(
    _ timeout: Duration, expired: @escaping @Sendable () -> any Error, _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let race = Race<Value>()
    return try await withCheckedThrowingContinuation { continuation in
        race.waiting.withLock { $0 = continuation }
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil, let continuation = race.waiting.withLock({ $0.take() }) else { return }
            race.work.withLock { $0?.cancel() }
            continuation.resume(throwing: expired())
        }
        let task = Task {
            let result: Result<Value, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            timer.cancel()
            race.waiting.withLock { $0.take() }?.resume(with: result)
        }
        race.work.withLock { $0 = task }
    }
}

/// The caller waiting for whichever ends first, and the body's task.
private final class Race<Value: Sendable>: Sendable {
    let waiting = Mutex<CheckedContinuation<Value, any Error>?>(nil)
    let work = Mutex<Task<Void, Never>?>(nil)
}
