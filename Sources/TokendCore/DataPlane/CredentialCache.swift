import Synchronization

/// Verify's memory of recently seen secrets (by keyed hash), so the hot path usually skips
/// the store. It never outlives a change: a delete or rotation forgets the token before it
/// is answered, and a lookup that raced with such a change is not remembered (the
/// generation check), so within a region a revoked secret stops working at once.
///
/// When other instances write the region's store too (PostgreSQL), their changes arrive as
/// `CredentialChange`s, and every entry also lives at most `lifetime`, the bound that holds
/// when an announcement is lost.
final class CredentialCache: Sendable {
    private struct Entry {
        let credential: Credential
        /// When it must be read again; only with a lifetime.
        let expires: ContinuousClock.Instant?
    }

    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        var hashesByToken: [TokenID: [[UInt8]]] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let capacity: Int
    private let lifetime: Duration?

    init(capacity: Int = 100_000, lifetime: Duration? = nil) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    /// When a lookup missed: what `remember` needs to know of it after the store's read.
    struct Miss: Sendable {
        let generation: UInt64
        /// When the read began: a remembered credential's lifetime counts from here, so a slow
        /// read does not lengthen it.
        let at: ContinuousClock.Instant?
    }

    /// The cached credential, or what to hand back to `remember` after a store lookup.
    func lookup(_ hash: [UInt8]) -> (credential: Credential?, miss: Miss) {
        let now = lifetime.map { _ in ContinuousClock.now }
        return state.withLock { state in
            let miss = Miss(generation: state.generation, at: now)
            guard let entry = state.entries[hash] else { return (nil, miss) }
            if let now, let expires = entry.expires, expires <= now { return (nil, miss) }
            return (entry.credential, miss)
        }
    }

    /// Keeps a credential read from the store, unless something was forgotten since the miss.
    func remember(_ credential: Credential, for hash: [UInt8], after miss: Miss) {
        let expires = lifetime.map { (miss.at ?? ContinuousClock.now) + $0 }
        state.withLock { state in
            guard state.generation == miss.generation else { return }
            if state.entries.count >= capacity {
                // Simple and bounded: start over rather than track recency on the hot path.
                state.entries.removeAll(keepingCapacity: true)
                state.hashesByToken.removeAll(keepingCapacity: true)
            }
            // A secret read again after its entry expired replaces it, under the same token.
            if state.entries.updateValue(Entry(credential: credential, expires: expires), forKey: hash) == nil {
                state.hashesByToken[credential.tokenID, default: []].append(hash)
            }
        }
    }

    func forget(_ tokenID: TokenID) {
        state.withLock { state in
            state.generation &+= 1
            for hash in state.hashesByToken.removeValue(forKey: tokenID) ?? [] { state.entries[hash] = nil }
        }
    }

    func apply(_ change: CredentialChange) {
        switch change {
        case .token(let id): forget(id)
        case .all: forgetAll()
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
