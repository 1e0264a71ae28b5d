import Foundation
import GRDB
import Metrics
import Testing
import TokendCore

@testable import TokendStore

@Suite struct GroupCommitTests: StoreTesting {
    func storedToken(id: TokenID = .random()) -> StoredToken {
        let now = Timestamp.now()
        let token = Token(
            id: id, projectID: ProjectID("aaaaaaaa-0000-4000-8000-000000000001")!, name: .generated(),
            createdAt: now, updatedAt: now, scopes: TokenScopes([.readOnlyLogs]), region: region, secretPrefix: "tkd_frpar_x")
        return StoredToken(token: token, secretHash: Array(CanonicalUUID.random().rawValue.utf8))
    }

    func created(_ stored: StoredToken) -> ActivityRecord {
        ActivityRecord(
            at: stored.token.createdAt, kind: .created, tokenID: stored.token.id, projectID: stored.token.projectID,
            actor: "test", requestID: nil)
    }

    @Test func concurrentInsertsAllCommitAndABadOneFailsAlone() async throws {
        let path = try storePath()
        let store = try SQLiteTokenStore(region: region, path: path)
        let duplicate = storedToken()
        try await store.insert(duplicate, activity: created(duplicate), idempotency: nil)

        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask {
                    // Every 50th write reuses an existing id: it must fail, and only it.
                    let stored = index % 50 == 0 ? duplicate : storedToken()
                    do {
                        try await store.insert(stored, activity: created(stored), idempotency: nil)
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0 }.count == 4)
        let page = try await store.list(TokenListQuery(paging: Paging(pageSize: 1000)))
        #expect(page.totalCount == 1 + 196)
        let events = try await store.activity(ActivityQuery(projects: .all, paging: Paging(pageSize: 1000)))
        #expect(events.totalCount == 1 + 196)
    }

    @Test func concurrentDeletesAndCreatesShareBatchesAndEachGetsItsOwnAnswer() async throws {
        let path = try storePath()
        let store = try SQLiteTokenStore(region: region, path: path)
        var existing: [StoredToken] = []
        for _ in 0..<100 {
            let stored = storedToken()
            try await store.insert(stored, activity: created(stored), idempotency: nil)
            existing.append(stored)
        }
        let revoked = { @Sendable (token: Token) in
            ActivityRecord(at: .now(), kind: .revoked, tokenID: token.id, projectID: token.projectID, actor: "test", requestID: nil)
        }
        let missing = TokenID.random()
        let deleted = try await withThrowingTaskGroup(of: TokenID?.self) { group in
            for stored in existing {
                group.addTask { try await store.delete(id: stored.token.id, visibleTo: .all, activity: revoked)?.id }
                group.addTask {
                    let fresh = storedToken()
                    try await store.insert(fresh, activity: created(fresh), idempotency: nil)
                    return nil
                }
            }
            // A delete of nothing, in the middle of the batches, answers nil and harms no other.
            group.addTask { try await store.delete(id: missing, visibleTo: .all, activity: revoked)?.id }
            return try await group.reduce(into: Set<TokenID>()) { if let id = $1 { $0.insert(id) } }
        }
        #expect(deleted == Set(existing.map(\.token.id)))
        #expect(try await store.list(TokenListQuery(paging: Paging(pageSize: 1000))).totalCount == 100)
        for stored in existing { #expect(try await store.token(id: stored.token.id) == nil) }
        let events = try await store.activity(ActivityQuery(projects: .all, paging: Paging(pageSize: 1000)))
        #expect(events.totalCount == 100 + 100 + 100)
    }
}

/// The store's log is checkpointed beside the writer and starts over while writes go on.
@Suite struct BackgroundCheckpointerTests: StoreTesting {
    @Test func theLogStartsOverWhileWritesGoOn() async throws {
        let path = try storePath()
        var configuration = Configuration()
        // No automatic checkpoint at all: only the checkpointer can keep the log short.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try await pool.write { db in try db.execute(sql: "CREATE TABLE page (body BLOB NOT NULL)") }
        let metrics = StoreMetrics(region: RegionName("fr-par")!, factory: NOOPMetricsHandler.instance)
        // Paced closer than by default: the log's length is learnt from each passive checkpoint,
        // and 2,000 quick commits must see restarts at this small size.
        let checkpointer = try BackgroundCheckpointer(
            path: path, configuration: configuration, metrics: metrics, restartPages: 64, pace: .milliseconds(5))
        let writes = GroupCommit(
            metrics: metrics, commit: SQLiteTokenStore.committing(on: pool), afterCommit: { await checkpointer.afterCommit(on: pool) })
        // 2,000 pages of log without the checkpointer; with it, the log starts over past 64.
        for _ in 0..<2_000 {
            _ = try await writes.write(
                { db in try db.execute(sql: "INSERT INTO page (body) VALUES (zeroblob(4000))") }, answering: Void.self)
        }
        try await checkpointer.stop()
        let probe = try DatabaseQueue(path: path)
        let log = try await probe.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        #expect(log.walFrameCount < 500, "the log holds \(log.walFrameCount) pages")
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM page") } == 2_000)
    }

    @Test func stoppingDoesNotWaitOutThePace() async throws {
        let path = try storePath()
        let pool = try DatabasePool(path: path)
        try await pool.write { db in try db.execute(sql: "CREATE TABLE page (body BLOB NOT NULL)") }
        let metrics = StoreMetrics(region: RegionName("fr-par")!, factory: NOOPMetricsHandler.instance)
        let checkpointer = try BackgroundCheckpointer(
            path: path, configuration: Configuration(), metrics: metrics, pace: .seconds(60))
        // A commit's checkpoint waits out the pace, so that the commits after it share it.
        try await pool.write { db in try db.execute(sql: "INSERT INTO page (body) VALUES (zeroblob(4000))") }
        await checkpointer.afterCommit(on: pool)
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        try await checkpointer.stop()
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
