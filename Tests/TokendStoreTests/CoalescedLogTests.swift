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

    @Test func theWriterAndTheReadersOfAFileStoreOpenThroughTheVFS() async throws {
        let store = try SQLiteTokenStore(region: region, path: try storePath())
        let writer = try await store.database.write { Self.vfsName(of: $0) }
        let reader = try #require(try store.readers?.read(isolated: false) { Self.vfsName(of: $0) })
        #expect(writer == "tokend-coalesced-log/unix")
        #expect(reader == "tokend-coalesced-log/unix")
    }

    private static func vfsName(of db: Database) -> String? {
        var name: UnsafeMutablePointer<CChar>?
        guard sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_VFSNAME, &name) == SQLITE_OK else { return nil }
        defer { sqlite3_free(name) }
        return name.map { String(cString: $0) }
    }

    /// Rows of 1 KiB in one transaction, and what SQLite asked the WAL file to write and what
    /// the file was given.
    private func commit(rows: Int, synchronous: String = "FULL") async throws -> (asked: Int, given: Int, stored: Int?) {
        let database = try DatabasePool(path: try CoalescedLogVFS.uri(forFileAt: try storePath()))
        // After the pool opened: it sets NORMAL itself when it turns WAL on.
        try await database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "CREATE TABLE filler (bytes BLOB NOT NULL)")
        }
        let before = try #require(try await database.write { CoalescedLogVFS.writeCounts(of: $0) })
        try await database.write { db in
            for _ in 0..<rows { try db.execute(sql: "INSERT INTO filler (bytes) VALUES (randomblob(1024))") }
        }
        let after = try #require(try await database.write { CoalescedLogVFS.writeCounts(of: $0) })
        let stored = try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM filler") }
        return (after.gathered - before.gathered, after.passedOn - before.passedOn, stored)
    }

    @Test(arguments: ["FULL", "NORMAL"])
    func aCommitsFramesReachTheLogAsOneWrite(synchronous: String) async throws {
        // 40 rows of 1 KiB: about ten pages, each one frame of two writes.
        let (asked, given, stored) = try await commit(rows: 40, synchronous: synchronous)
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

    /// A connection through the VFS with a page cache of ten pages: a transaction of a few
    /// thousand rows spills frames into the log before it ends, and changes spilled pages again.
    private func spillingConnection(at path: String, synchronous: String, uriParameters: String = "") throws -> DatabaseQueue {
        let connection = try DatabaseQueue(path: try CoalescedLogVFS.uri(forFileAt: path) + uriParameters)
        try connection.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS t_by_v ON t (v)")
            try db.execute(sql: "PRAGMA cache_size = 10")
        }
        return connection
    }

    private static func insert(_ count: Int, from first: Int, _ db: Database) throws {
        try db.execute(
            sql: """
                WITH RECURSIVE k(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM k WHERE i < ?)
                INSERT INTO t SELECT i, randomblob(300) FROM k
                """, arguments: [first, first + count - 1])
    }

    /// The database file at `path` and its log copied while open, nothing closed: what a
    /// crash of the process would leave.
    private static func copyAsACrashLeavesThem(_ path: String, to copy: String) throws {
        for suffix in ["", "-wal"] { try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + suffix) }
    }

    /// The file at `path` read by SQLite's own unix VFS: its integrity check and its rows.
    private static func plainlyRead(_ path: String) throws -> (integrity: String?, rows: Int?) {
        let plain = try DatabaseQueue(path: path)
        defer { try? plain.close() }
        return try plain.read { db in
            (try String.fetchOne(db, sql: "PRAGMA integrity_check"), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t"))
        }
    }

    /// What a rolled-back transaction spilled must not land later, over what another connection
    /// committed in the same place of the log.
    @Test func aRolledBackSpillNeverLandsOverAnotherWritersCommit() throws {
        let path = try storePath()
        let spilling = try spillingConnection(at: path, synchronous: "FULL")
        try spilling.inDatabase { db in try Self.insert(200, from: 1, db) }
        try spilling.inTransaction { db in
            try Self.insert(3_000, from: 1_000, db)
            return .rollback
        }
        let other = try DatabaseQueue(path: path)
        try other.write { db in try Self.insert(400, from: 100_000, db) }
        #expect(try spilling.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t WHERE v > x'80'") } != nil)
        try spilling.close()
        let read = try Self.plainlyRead(path)
        #expect(read.integrity == "ok")
        #expect(read.rows == 600)
        try other.close()
    }

    /// Under NORMAL nothing syncs the log at a commit: its frames, and the headers SQLite writes
    /// again when a spilled page changed, must still be in the file once the commit returns.
    @Test func aCommitWhoseSpilledPagesChangedAgainIsInTheFilesWhenItReturns() throws {
        let directory = try temporaryDirectory()
        let path = "\(directory)/spilled.sqlite"
        let spilling = try spillingConnection(at: path, synchronous: "NORMAL")
        try spilling.inTransaction { db in
            try Self.insert(3_000, from: 1, db)
            try db.execute(sql: "UPDATE t SET v = randomblob(300)")
            return .commit
        }
        let copy = "\(directory)/copy.sqlite"
        try Self.copyAsACrashLeavesThem(path, to: copy)
        let read = try Self.plainlyRead(copy)
        #expect(read.integrity == "ok")
        #expect(read.rows == 3_000)
        try spilling.close()
    }

    /// Without power-safe overwrites (`psow=0`) SQLite pads a commit to a sector and syncs in
    /// the middle of a frame; such a log is written as SQLite writes it.
    @Test func aLogWithoutPowerSafeOverwritesIsWrittenAsSQLiteWritesIt() throws {
        let path = try storePath()
        let connection = try spillingConnection(at: path, synchronous: "FULL", uriParameters: "&psow=0")
        for row in 1...20 {
            try connection.inDatabase { db in
                try db.execute(sql: "INSERT INTO t VALUES (?, randomblob(?))", arguments: [row, 100 + 37 * row])
            }
        }
        let counts = connection.inDatabase { CoalescedLogVFS.writeCounts(of: $0) }
        #expect(counts == nil, "the log was gathered: \(String(describing: counts))")
        let read = try Self.plainlyRead(path)
        #expect(read.integrity == "ok")
        #expect(read.rows == 20)
        try connection.close()
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
        try Self.copyAsACrashLeavesThem(path, to: "\(copy)/fr-par.sqlite")
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
