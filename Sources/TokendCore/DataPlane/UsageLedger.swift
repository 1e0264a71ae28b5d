import Synchronization

/// What verify saw since the last flush: each token's last use, each project's traffic and
/// counted refusals.
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
        var traffic: [ProjectID: Traffic] = [:]
    }

    struct Drained {
        var lastUsed: [TokenID: Timestamp]
        var denials: [ActivityRecord]
        var traffic: [ProjectID: Traffic]
    }

    private let state = Mutex(State())

    func used(_ tokenID: TokenID, of project: ProjectID, for operation: DataOperation, bytes: Int64, at time: Timestamp) {
        state.withLock { state in
            state.traffic[project, default: Traffic()].count(operation, bytes: bytes)
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
    func drain() -> Drained {
        let taken = state.withLock { state in
            defer { state = State() }
            return state
        }
        let denials = taken.denials.map { denial, seen in
            ActivityRecord(
                at: seen.last, kind: .denied, tokenID: denial.tokenID, projectID: denial.projectID,
                actor: nil, requestID: nil, count: seen.count, reason: denial.reason)
        }.sorted { $0.at < $1.at }
        return Drained(lastUsed: taken.lastUsed, denials: denials, traffic: taken.traffic)
    }

    /// Puts back what a failed flush took, so a store outage loses no usage.
    func restore(_ drained: Drained) {
        state.withLock { state in
            for (tokenID, time) in drained.lastUsed where state.lastUsed[tokenID].map({ $0 < time }) ?? true {
                state.lastUsed[tokenID] = time
            }
            for (project, traffic) in drained.traffic { state.traffic[project, default: Traffic()].add(traffic) }
            for record in drained.denials {
                let denial = Denial(tokenID: record.tokenID, projectID: record.projectID, reason: record.reason ?? "")
                let count = state.denials[denial]?.count ?? 0
                state.denials[denial] = (count + record.count, max(record.at, state.denials[denial]?.last ?? record.at))
            }
        }
    }
}
