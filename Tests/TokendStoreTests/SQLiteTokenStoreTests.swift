import Foundation
import GRDB
import GRDBSQLite
import Testing
import TokendCore

@testable import TokendStore

@Suite struct SQLiteTokenStoreTests: StoreTesting {
    /// What most of these tests create: a token of one project that reads logs, with no name.
    let unnamedLogsReader = CreateTokenRequest(
        projectID: ProjectID("aaaaaaaa-0000-4000-8000-000000000001")!, name: nil, scopes: TokenScopes([.readOnlyLogs]))

    @Test func aCreatedTokenSurvivesReopeningTheFileAndItsSecretIsNowhereOnDisk() async throws {
        let directory = try temporaryDirectory()
        let path = "\(directory)/fr-par.sqlite"
        let request = CreateTokenRequest(
            projectID: ProjectID("aaaaaaaa-0000-4000-8000-000000000001")!,
            name: TokenName("durable"), scopes: TokenScopes([.readOnlyLogs]))
        var secrets: [String] = []
        var ids: [TokenID] = []
        do {
            let service = RegionTokenService(region: region, store: try SQLiteTokenStore(region: region, path: path), hasher: hasher)
            for _ in 0..<5 {
                let issued = try await service.create(request, by: origin)
                secrets.append(issued.secret)
                ids.append(issued.token.id)
            }
        }
        let reopened = RegionTokenService(region: region, store: try SQLiteTokenStore(region: region, path: path), hasher: hasher)
        for id in ids {
            #expect(try await reopened.token(id: id.rawValue, by: caller).name.rawValue == "durable")
        }
        // The database, its WAL and shared-memory files hold hashes and prefixes, never a secret.
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(file)"))
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds a secret")
            }
        }
    }

    @Test func theStoreFileIsInWALModeAndMigrated() async throws {
        let path = try temporaryDirectory() + "/fr-par.sqlite"
        let store = try SQLiteTokenStore(region: region, path: path)
        let probe = try DatabaseQueue(path: path)
        #expect(try await probe.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(
            try await probe.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
                == TokenStoreMigrations.migrator.migrations)
        try await store.checkHealth()
    }

    /// GRDB's pool turns its writer to NORMAL when it sets WAL up; the store sets FULL back.
    @Test func aFileStoresWriterSyncsEveryCommit() async throws {
        let store = try SQLiteTokenStore(region: region, path: try storePath())
        #expect(try await store.database.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == SQLiteTokenStore.synchronousFull)
    }

    @Test func anInMemoryStoreKeepsItsJournalsInMemoryMayGrowPastOneGiBAndSharesNothing() async throws {
        let store = try SQLiteTokenStore.inMemory(region: region)
        let (journal, temporary, limit) = try await store.database.read { db in
            var limit: sqlite3_int64 = -1  // a negative limit asks for the current one
            #expect(sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_SIZE_LIMIT, &limit) == SQLITE_OK)
            return (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA temp_store"), limit)
        }
        #expect(journal == "memory")  // SQLite's own choice for memdb: no journal file beside it
        #expect(temporary == 2)  // MEMORY
        #expect(limit == SQLiteTokenStore.memoryStoreLimitBytes)

        // Two stores of one region (two servers' worth in one process) are two databases.
        let service = RegionTokenService(region: region, store: store, hasher: hasher)
        let other = RegionTokenService(region: region, store: try SQLiteTokenStore.inMemory(region: region), hasher: hasher)
        let issued = try await service.create(unnamedLogsReader, by: origin)
        #expect(try await service.list(ListArguments(), by: caller).totalCount == 1)
        #expect(try await other.list(ListArguments(), by: caller).totalCount == 0)
        await #expect(throws: TokendError.self) { try await other.token(id: issued.token.id.rawValue, by: caller) }
    }

    @Test func anInMemoryStoresImageIsItsDatabaseAsItStandsAndRestoresIt() async throws {
        let store = try SQLiteTokenStore.inMemory(region: region)
        let service = RegionTokenService(region: region, store: store, hasher: hasher)
        var made: [TokenID] = []
        for _ in 0..<300 { made.append(try await service.create(unnamedLogsReader, by: origin).token.id) }
        for id in made.prefix(100) { try await service.delete(id: id.rawValue, by: origin) }

        // The in-place copy is what paging the database into a copy and serializing that gives,
        // but for the schema cookie (header bytes 40-43), which a backup advances in its copy.
        let image = try await store.exportImage()
        #expect(store.isInMemory)
        let paged = try SQLiteTokenStore.serialize(store.database)
        #expect(image.count == paged.count && image.count > 300 * 200)
        let differing = zip(image, paged).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(differing.allSatisfy { (40..<44).contains($0) }, "\(differing.prefix(40))")
        let restored = try SQLiteTokenStore.inMemory(region: region)
        try await restored.importImage(image)
        let page = try await restored.list(TokenListQuery(projects: .all, paging: Paging(pageSize: 1000)))
        #expect(Set(page.tokens.map(\.id)) == Set(made.dropFirst(100)))
    }

    @Test func aClosedStoreLeavesNoLogBehindAndReopensWithItsTokens() async throws {
        let directory = try temporaryDirectory()
        let path = "\(directory)/fr-par.sqlite"
        let service = RegionTokenService(region: region, store: try SQLiteTokenStore(region: region, path: path), hasher: hasher)
        let issued = try await service.create(unnamedLogsReader, by: origin)
        try await service.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let reopened = RegionTokenService(region: region, store: try SQLiteTokenStore(region: region, path: path), hasher: hasher)
        #expect(try await reopened.token(id: issued.token.id.rawValue, by: caller).id == issued.token.id)
        #expect(try await reopened.list(ListArguments(), by: caller).totalCount == 1)
    }

    /// Ids are parsed from the column's bytes where they stand: one that is not a UUID is a
    /// store that was changed behind tokend's back, reported as corrupt, not a crash.
    @Test(arguments: ["not-a-uuid", "AAAAAAAA-0000-4000-8000-00000000000G", "aaaaaaaa-0000-4000-8000-00000000000"])
    func aTokenRowWhoseIdIsNoUUIDIsReadAsCorrupt(storedID: String) async throws {
        let path = try temporaryDirectory() + "/fr-par.sqlite"
        let store = try SQLiteTokenStore(region: region, path: path)
        let service = RegionTokenService(region: region, store: store, hasher: hasher)
        let issued = try await service.create(unnamedLogsReader, by: origin)
        #expect(try await store.list(TokenListQuery()).tokens.map(\.id) == [issued.token.id])
        try await service.close()
        let probe = try DatabaseQueue(path: path)
        try await probe.write { try $0.execute(sql: "UPDATE token SET id = ?", arguments: [storedID]) }
        try probe.close()
        let reopened = try SQLiteTokenStore(region: region, path: path)
        await #expect { try await reopened.list(TokenListQuery()) } throws: { error in
            (error as? DatabaseError)?.resultCode == .SQLITE_CORRUPT
        }
    }
}
