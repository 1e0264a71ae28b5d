import Foundation
import GRDB
import GRDBSQLite
import Testing
import TokendCore

@testable import TokendStore

/// File stores write their WAL through `CoalescedLogVFS`: a commit's frames reach the file in
/// as few writes as the file takes, and every acknowledged commit is in the files before it
/// is answered.
@Suite struct CoalescedLogTests: StoreTesting {
    let reader = CreateTokenRequest(
        projectID: ProjectID("aaaaaaaa-0000-4000-8000-000000000001")!, name: nil, scopes: TokenScopes([.readOnlyLogs]))

    @Test func everyConnectionOfAFileStoreOpensThroughTheVFS() async throws {
        let store = try SQLiteTokenStore(region: region, path: try storePath())
        let name = try await store.database.write { db in
            var name: UnsafeMutablePointer<CChar>?
            #expect(sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_VFSNAME, &name) == SQLITE_OK)
            defer { sqlite3_free(name) }
            return name.map { String(cString: $0) }
        }
        #expect(name == "tokend-coalesced-log/unix")
    }

    /// Rows of 1 KiB in one transaction, and what SQLite asked the WAL file to write and what
    /// the file was given.
    private func commit(rows: Int) async throws -> (asked: Int, given: Int, stored: Int?) {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let database = try DatabasePool(path: try CoalescedLogVFS.uri(forFileAt: try storePath()), configuration: configuration)
        try await database.write { db in try db.execute(sql: "CREATE TABLE filler (bytes BLOB NOT NULL)") }
        let before = try #require(try await database.write { CoalescedLogVFS.writeCounts(of: $0) })
        try await database.write { db in
            for _ in 0..<rows { try db.execute(sql: "INSERT INTO filler (bytes) VALUES (randomblob(1024))") }
        }
        let after = try #require(try await database.write { CoalescedLogVFS.writeCounts(of: $0) })
        let stored = try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM filler") }
        return (after.gathered - before.gathered, after.passedOn - before.passedOn, stored)
    }

    @Test func aCommitsFramesReachTheLogAsOneWrite() async throws {
        // 40 rows of 1 KiB: about ten pages, each one frame of two writes.
        let (asked, given, stored) = try await commit(rows: 40)
        #expect(asked >= 20, "SQLite asked for \(asked) writes")
        #expect(given == 1, "the file was given \(given) writes for one commit")
        #expect(stored == 40)
    }

    /// The unix VFS writes at most 128 KiB - 1 at once: a long commit goes in runs of 31 frames.
    @Test func aLongCommitReachesTheLogInRunsTheFileTakesWhole() async throws {
        let (asked, given, stored) = try await commit(rows: 1_200)
        let frames = asked / 2
        #expect(frames >= 300, "SQLite asked for \(asked) writes")
        #expect(given >= frames / 31 && given <= frames / 31 + 2, "\(frames) frames in \(given) writes")
        #expect(stored == 1_200)
    }

    /// The files as a crash would leave them (copied while the store is open, nothing closed)
    /// hold every write that was answered.
    @Test func everyAnsweredWriteIsInTheFilesBeforeTheStoreCloses() async throws {
        let directory = try temporaryDirectory()
        let path = "\(directory)/fr-par.sqlite"
        let service = RegionTokenService(region: region, store: try SQLiteTokenStore(region: region, path: path), hasher: hasher)
        let made = try await withThrowingTaskGroup(of: TokenID.self) { group in
            for _ in 0..<200 { group.addTask { try await service.create(reader, by: origin).token.id } }
            return try await group.reduce(into: Set<TokenID>()) { $0.insert($1) }
        }
        let deleted = Array(made.prefix(50))
        for id in deleted { try await service.delete(id: id.rawValue, by: origin) }

        let copy = try temporaryDirectory()
        for suffix in ["", "-wal"] {
            try FileManager.default.copyItem(atPath: path + suffix, toPath: "\(copy)/fr-par.sqlite\(suffix)")
        }
        let recovered = try SQLiteTokenStore(region: region, path: "\(copy)/fr-par.sqlite")
        let page = try await recovered.list(TokenListQuery(projects: .all, paging: Paging(pageSize: 1000)))
        #expect(Set(page.tokens.map(\.id)) == made.subtracting(deleted))
        #expect(page.totalCount == 150)
    }

    @Test(arguments: ["what?.sqlite", "50% #1.sqlite", "a b.sqlite"])
    func aStoreOpensTheFileItsPathNamesWhateverItsCharacters(name: String) async throws {
        let directory = try temporaryDirectory()
        let service = RegionTokenService(
            region: region, store: try SQLiteTokenStore(region: region, path: "\(directory)/\(name)"), hasher: hasher)
        let issued = try await service.create(reader, by: origin)
        try await service.close()
        // The name as given, not cut at a `?` or `#` nor read as an escape.
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.contains(name) && files.allSatisfy { $0.hasPrefix(name) }, "\(files)")
        let reopened = RegionTokenService(
            region: region, store: try SQLiteTokenStore(region: region, path: "\(directory)/\(name)"), hasher: hasher)
        #expect(try await reopened.token(id: issued.token.id.rawValue, by: caller).id == issued.token.id)
    }

    @Test func aRelativePathOpensBesideTheWorkingDirectory() throws {
        #expect(try CoalescedLogVFS.uri(forFileAt: "data/fr-par.sqlite") == "file:data/fr-par.sqlite?vfs=tokend-coalesced-log")
        #expect(try CoalescedLogVFS.uri(forFileAt: "/srv/t?#%.sqlite") == "file:///srv/t%3F%23%25.sqlite?vfs=tokend-coalesced-log")
    }
}
