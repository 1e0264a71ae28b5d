import Synchronization

/// Verify's memory of recently seen secrets (by keyed hash), so the hot path usually skips
/// the store. It never outlives a change: a delete or rotation forgets the token before it
/// is answered, and a lookup that raced with such a change is not remembered (the
/// generation check), so within a region a revoked secret stops working at once.
///
/// It assumes what tokend guarantees: one process writes a region's store.
final class CredentialCache: Sendable {
    private struct State {
        var entries: [[UInt8]: Credential] = [:]
        var hashesByToken: [TokenID: [[UInt8]]] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    /// The cached credential, or the generation to hand back to `remember` after a store lookup.
    func lookup(_ hash: [UInt8]) -> (credential: Credential?, generation: UInt64) {
        state.withLock { ($0.entries[hash], $0.generation) }
    }

    /// Keeps a credential read from the store, unless something was forgotten since `generation`.
    func remember(_ credential: Credential, for hash: [UInt8], readAt generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity {
                // Simple and bounded: start over rather than track recency on the hot path.
                state.entries.removeAll(keepingCapacity: true)
                state.hashesByToken.removeAll(keepingCapacity: true)
            }
            state.entries[hash] = credential
            state.hashesByToken[credential.tokenID, default: []].append(hash)
        }
    }

    func forget(_ tokenID: TokenID) {
        state.withLock { state in
            state.generation &+= 1
            for hash in state.hashesByToken.removeValue(forKey: tokenID) ?? [] { state.entries[hash] = nil }
        }
    }

    func forgetAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
            state.hashesByToken.removeAll()
        }
    }
}
