import Foundation
import GRDB
import Testing
import TokendCore

@testable import TokendStore

/// The read-only connections a file store answers gets, lists and verify lookups with.
@Suite struct ReadConnectionsTests: StoreTesting {
    let project = ProjectID("aaaaaaaa-0000-4000-8000-000000000001")!

    @Test func readsSeeEachCommitAsSoonAsItIsAnswered() async throws {
        let store = try SQLiteTokenStore(region: region, path: try storePath())
        let service = RegionTokenService(region: region, store: store, hasher: hasher)
        let request = CreateTokenRequest(projectID: project, name: TokenName("seen"), scopes: TokenScopes([.writeOnlyMetrics]))
        let issued = try await service.create(request, by: origin)
        let id = issued.token.id.rawValue
        #expect(try await service.token(id: id, by: caller).name.rawValue == "seen")
        #expect(try await store.credential(secretHash: hasher.hash(issued.secret))?.tokenID == issued.token.id)

        let rotated = try await service.rotate(id: id, RotateTokenRequest(gracePeriodSeconds: 0), by: origin)
        #expect(try await store.credential(secretHash: hasher.hash(issued.secret)) == nil)
        #expect(try await store.credential(secretHash: hasher.hash(rotated.secret))?.tokenID == issued.token.id)

        _ = try await service.delete(id: id, by: origin)
        await #expect(throws: TokendError.self) { try await service.token(id: id, by: caller) }
        #expect(try await store.credential(secretHash: hasher.hash(rotated.secret)) == nil)
        #expect(try await store.list(TokenListQuery(projects: .all)).totalCount == 0)
    }

    @Test func aReadFindsNoIdleConnectionOnlyWhenEveryOneIsBusy() throws {
        let path = try storePath()
        _ = try SQLiteTokenStore(region: region, path: path)  // creates and migrates the file
        let readers = try ReadConnections(path: path, count: 2, configuration: Configuration())
        let nested = try readers.read(isolated: false) { _ in
            try readers.read(isolated: false) { _ in
                try readers.read(isolated: false) { db in try Int.fetchOne(db, sql: "SELECT 1") }
            }
        }
        #expect(nested == .some(.some(nil)), "the third read at once finds both connections busy")
        // Both are handed back: two reads at once succeed again.
        let again = try readers.read(isolated: true) { _ in
            try readers.read(isolated: true) { db in try Int.fetchOne(db, sql: "SELECT 1") }
        }
        #expect(again == .some(.some(1)))
    }

    @Test func aReadThatFailsEndsItsTransaction() throws {
        let path = try storePath()
        _ = try SQLiteTokenStore(region: region, path: path)
        let readers = try ReadConnections(path: path, count: 1, configuration: Configuration())
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            try readers.read(isolated: true) { db in
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM token")
                throw Failure()
            }
        }
        // The one connection is usable again: no transaction was left open on it.
        let again = try readers.read(isolated: true) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM token") }
        #expect(again == .some(.some(0)))
    }

    @Test func theConnectionsCannotWrite() throws {
        let path = try storePath()
        _ = try SQLiteTokenStore(region: region, path: path)
        let readers = try ReadConnections(path: path, count: 1, configuration: Configuration())
        #expect(throws: DatabaseError.self) {
            try readers.read(isolated: false) { db in try db.execute(sql: "DELETE FROM token") }
        }
    }

    @Test func manyMoreReadsAtOnceThanConnectionsAllAnswer() async throws {
        let store = try SQLiteTokenStore(region: region, path: try storePath())
        let service = RegionTokenService(region: region, store: store, hasher: hasher)
        let request = CreateTokenRequest(projectID: project, name: TokenName("busy"), scopes: TokenScopes([.readOnlyLogs]))
        let id = try await service.create(request, by: origin).token.id
        let found = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<256 { group.addTask { try await store.token(id: id)?.id == id } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(found == 256)
    }
}
