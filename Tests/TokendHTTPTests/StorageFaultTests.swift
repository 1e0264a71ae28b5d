import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TokendCore

@testable import TokendHTTP
@testable import TokendStore

/// A full or read-only disk: writes get a clear 503 naming the store, reads keep working,
/// and nothing is damaged once the fault is gone.
@Suite struct StorageFaultTests {
    func withRegion(_ body: @escaping @Sendable (SQLiteTokenStore, any TestClientProtocol) async throws -> Void) async throws {
        let region = RegionName("fr-par")!
        let store = try SQLiteTokenStore.inMemory(region: region)
        let backend = LocalRegionBackend(
            service: RegionTokenService(region: region, store: store, hasher: TestServer.hasher), access: .open)
        try await TestServer.application(FrontDoor(backends: [backend], access: .open)).test(.router) { client in
            try await body(store, client)
        }
    }

    func expectStoreUnavailable(_ answer: Answer) {
        #expect(answer.status == .serviceUnavailable)
        #expect(answer.json["type"] as? String == "out_of_stock")
        #expect(answer.json["resource"] as? String == "store")
    }

    @Test func aFullDiskRefusesWritesWith503AndKeepsServingReads() async throws {
        try await withRegion { store, client in
            let kept = try #require(try await client.createToken(name: "kept")["id"] as? String)
            // SQLite's own page limit: exactly what a full disk looks like to it (SQLITE_FULL).
            try await store.database.write { db in
                let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
                try db.execute(sql: "PRAGMA max_page_count = \(pages)")
            }
            var refused: Answer?
            for index in 0..<200 {
                let answer = try await client.call(
                    .post, tokensPath(), body: #"{"project_id":"\#(projectA)","name":"fill-\#(index)","token_scopes":["read_only_logs"]}"#)
                if answer.status != .ok {
                    refused = answer
                    break
                }
            }
            expectStoreUnavailable(try #require(refused))
            let countWhileFull = try await client.count()
            #expect(try await client.call(.get, tokensPath() + "/" + kept).status == .ok)

            try await store.database.write { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
            try await client.createToken(name: "after")
            #expect(try await client.count() == countWhileFull + 1)
            #expect(try await store.database.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        }
    }

    @Test func aReadOnlyStoreRefusesWritesWith503AndKeepsServingReads() async throws {
        try await withRegion { store, client in
            let kept = try #require(try await client.createToken(name: "kept")["id"] as? String)
            try await store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 1") }
            expectStoreUnavailable(
                try await client.call(.post, tokensPath(), body: #"{"project_id":"\#(projectA)","token_scopes":["read_only_logs"]}"#))
            expectStoreUnavailable(try await client.call(.post, tokensPath() + "/\(kept)/rotate"))
            #expect(try await client.call(.get, tokensPath() + "/" + kept).status == .ok)
            #expect(try await client.count() == 1)
            try await store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 0") }
            #expect(try await client.call(.delete, tokensPath() + "/" + kept).status == .noContent)
        }
    }
}
