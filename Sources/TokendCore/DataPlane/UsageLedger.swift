import Synchronization

/// What verify saw since the last flush: each token's last use and counted refusals.
/// Kept in memory so verify writes nothing to the store; flushed in one transaction.
final class UsageLedger: Sendable {
    struct Denial: Hashable {
        let tokenID: TokenID?
        let projectID: ProjectID?
        let reason: String
    }

    private struct State {
        var lastUsed: [TokenID: Timestamp] = [:]
        var denials: [Denial: (count: Int, last: Timestamp)] = [:]
    }

    private let state = Mutex(State())

    func used(_ tokenID: TokenID, at time: Timestamp) {
        state.withLock { state in
            if let known = state.lastUsed[tokenID], known >= time { return }
            state.lastUsed[tokenID] = time
        }
    }

    func denied(_ denial: Denial, at time: Timestamp) {
        state.withLock { state in
            let count = state.denials[denial]?.count ?? 0
            state.denials[denial] = (count + 1, time)
        }
    }

    /// Takes everything recorded so far, as the store's inputs.
    func drain() -> (lastUsed: [TokenID: Timestamp], denials: [ActivityRecord]) {
        let taken = state.withLock { state in
            defer { state = State() }
            return state
        }
        let denials = taken.denials.map { denial, seen in
            ActivityRecord(
                at: seen.last, kind: .denied, tokenID: denial.tokenID, projectID: denial.projectID,
                actor: nil, requestID: nil, count: seen.count, reason: denial.reason)
        }.sorted { $0.at < $1.at }
        return (taken.lastUsed, denials)
    }

    /// Puts back what a failed flush took, so a store outage loses no usage.
    func restore(lastUsed: [TokenID: Timestamp], denials: [ActivityRecord]) {
        for (tokenID, time) in lastUsed { used(tokenID, at: time) }
        state.withLock { state in
            for record in denials {
                let denial = Denial(tokenID: record.tokenID, projectID: record.projectID, reason: record.reason ?? "")
                let count = state.denials[denial]?.count ?? 0
                state.denials[denial] = (count + record.count, max(record.at, state.denials[denial]?.last ?? record.at))
            }
        }
    }
}
