import Metrics
import Synchronization
import Testing
import TokendCore

@testable import TokendStore

/// How a batch's failure reaches its writers, over a commit that records what it was given.
@Suite struct GroupCommitFailureTests {
    struct DatabaseAway: Error {}

    /// Every batch handed to commit, in order.
    final class Batches: Sendable {
        let seen = Mutex<[[Int]]>([])
        func record(_ batch: [Int]) { seen.withLock { $0.append(batch) } }
    }

    func groupCommit(
        _ batches: Batches, firstTakes delay: Duration, failing: Bool
    ) -> GroupCommit<Int> {
        GroupCommit(
            metrics: StoreMetrics(region: RegionName("fr-par")!, factory: NOOPMetricsHandler.instance),
            commit: { batch in
                let first = batches.seen.withLock { $0.isEmpty }
                batches.record(batch)
                if first { try await Task.sleep(for: delay) }
                if failing { throw DatabaseAway() }
                return batch
            },
            retriesAlone: { !($0 is DatabaseAway) })
    }

    @Test func aBatchFailingForNoWriteOfItsOwnIsNotRunAgainWriteByWrite() async throws {
        let batches = Batches()
        let writes = groupCommit(batches, firstTakes: .milliseconds(200), failing: true)
        let failures = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await writes.write(0, answering: Int.self)) == nil }
            try? await Task.sleep(for: .milliseconds(50))
            for value in 1...4 { group.addTask { (try? await writes.write(value, answering: Int.self)) == nil } }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(failures == 5)
        // Once as the first batch, once as the second: never again one by one.
        #expect(batches.seen.withLock { $0.map(\.count) } == [1, 4])
    }

    @Test func aWriterThatGaveUpIsLeftOutOfTheBatchesNotYetBegun() async throws {
        let batches = Batches()
        let writes = groupCommit(batches, firstTakes: .milliseconds(300), failing: false)
        let first = Task { try await writes.write(1, answering: Int.self) }
        try await Task.sleep(for: .milliseconds(50))
        let abandoned = Task { try await writes.write(2, answering: Int.self) }
        try await Task.sleep(for: .milliseconds(50))
        abandoned.cancel()
        await #expect(throws: CancellationError.self) { try await abandoned.value }
        let third = try await writes.write(3, answering: Int.self)
        #expect(try await first.value == 1 && third == 3)
        #expect(batches.seen.withLock { $0 } == [[1], [3]])
    }
}
