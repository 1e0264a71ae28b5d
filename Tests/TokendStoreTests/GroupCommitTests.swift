import Foundation
import GRDB
import Testing
import TokendCore
@testable import TokendStore

@Suite struct GroupCommitTests {
    let region = RegionName("fr-par")!

    func storedToken(id: TokenID = .random()) -> StoredToken {
        let now = Timestamp.now()
        let token = Token(id: id, projectID: ProjectID("aaaaaaaa-0000-4000-8000-000000000001")!, name: .generated(),
                          createdAt: now, updatedAt: now, scopes: TokenScopes([.readOnlyLogs]), region: region, secretPrefix: "tkd_frpar_x")
        return StoredToken(token: token, secretHash: Array(UUIDText.random().rawValue.utf8))
    }

    func created(_ stored: StoredToken) -> ActivityRecord {
        ActivityRecord(at: stored.token.createdAt, kind: .created, tokenID: stored.token.id, projectID: stored.token.projectID,
                       actor: "test", requestID: nil)
    }

    @Test func concurrentInsertsAllCommitAndABadOneFailsAlone() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("group-commit-\(UUID()).sqlite").path
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
}
