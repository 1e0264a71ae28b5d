import Foundation
import GRDB
import GRDBSQLite
import TokendCore

/// A region's whole state as one SQLite database image (every table: tokens, tenants,
/// revoked keys, activity, idempotency keys, traffic), for the fake cloud's snapshots.
extension SQLiteTokenStore {
    /// A consistent copy of the store. A file store is copied beside the writer (readers
    /// never wait); an in-memory store's database is one buffer already, copied once in
    /// a read (between writes) instead of paged into a copy, serialized, then copied again.
    package func exportImage() async throws -> [UInt8] {
        try mapStorageErrors(.exportImage) {
            isInMemory ? try Self.copyInPlace(database) : try Self.serialize(database)
        }
    }

    private static func copyInPlace(_ database: any DatabaseWriter) throws -> [UInt8] {
        try database.read { db in
            var size: sqlite3_int64 = 0
            // The memdb file's own bytes, not a copy: valid until the next write, which this
            // read keeps out.
            guard let bytes = sqlite3_serialize(db.sqliteConnection, "main", &size, UInt32(SQLITE_SERIALIZE_NOCOPY)) else {
                throw TokendError.unavailable(resource: "store", message: "the store could not be copied")
            }
            return rollbackJournalHeader(Array(UnsafeBufferPointer(start: bytes, count: Int(size))))
        }
    }

    static func serialize(_ database: any DatabaseWriter) throws -> [UInt8] {
        let copy = try DatabaseQueue()
        try database.backup(to: copy)
        return try copy.writeWithoutTransaction { db in
            var size: sqlite3_int64 = 0
            guard let bytes = sqlite3_serialize(db.sqliteConnection, "main", &size, 0) else {
                throw TokendError.unavailable(resource: "store", message: "the store could not be copied")
            }
            defer { sqlite3_free(bytes) }
            return Self.rollbackJournalHeader(Array(UnsafeBufferPointer(start: bytes, count: Int(size))))
        }
    }

    /// A file store's pages say "WAL" in the header (bytes 18 and 19 are 2), which a database
    /// in memory cannot open; an image says "rollback journal" (1) and the store it is
    /// restored into keeps its own mode.
    private static func rollbackJournalHeader(_ image: [UInt8]) -> [UInt8] {
        var image = image
        if image.count > 19, image[18] == 2, image[19] == 2 { (image[18], image[19]) = (1, 1) }
        return image
    }

    /// Replaces everything in the store with an image `exportImage` made (of this region or
    /// another), in one step, then migrates it if it is older. An image that is not a
    /// tokend store is refused and changes nothing.
    package func importImage(_ image: [UInt8]) async throws {
        try mapStorageErrors(.importImage) { try Self.replace(database, with: image) }
    }

    private static func replace(_ database: any DatabaseWriter, with image: [UInt8]) throws {
        // Nothing is no image (and SQLite cannot allocate nothing to read it into).
        guard !image.isEmpty else { throw Self.notAnImage }
        let image = rollbackJournalHeader(image)
        let source = try DatabaseQueue()
        try source.writeWithoutTransaction { db in
            guard let buffer = sqlite3_malloc64(sqlite3_uint64(image.count)) else {
                throw TokendError.unavailable(resource: "store", message: "no memory for the image")
            }
            image.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: image.count) }
            let flags = UInt32(SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE)
            let size = sqlite3_int64(image.count)
            guard
                sqlite3_deserialize(db.sqliteConnection, "main", buffer.assumingMemoryBound(to: UInt8.self), size, size, flags) == SQLITE_OK
            else { throw Self.notAnImage }
        }
        do {
            // A tokend store carries tokend's first migration; another database (or an empty
            // one) would be made one by migrating it, and replace the region with nothing.
            let isTokendStore = try source.read { db in
                try db.tableExists("grdb_migrations")
                    && (try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM grdb_migrations WHERE identifier = 'v1: tokens')") ?? false)
            }
            guard isTokendStore else { throw Self.notAnImage }
            try TokenStoreMigrations.migrator.migrate(source)
            _ = try source.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM token") }
        } catch {
            throw Self.notAnImage
        }
        // Outside any transaction (a backup refuses a destination in use), after the writes before it.
        try database.barrierWriteWithoutTransaction { db in try source.read { sourceDB in try sourceDB.backup(to: db) } }
    }

    private static var notAnImage: TokendError {
        .invalidArgument("image", .format, "the snapshot's image of a region is not a tokend store")
    }
}
