import GRDB
import Synchronization

/// A few read-only connections to a store's file that answer reads on the calling thread.
///
/// A get or a verify lookup is a single indexed statement of a few microseconds. Through
/// `DatabasePool` it paid for a reader-pool checkout (a barrier queue, a semaphore, a lock),
/// a schema-version query before every read, and, with the async API, two thread hops:
/// about twice the statement's own cost (measured with perf, see BENCHMARKS.md). These
/// connections are checked out from a lock-guarded list instead. The schema never changes
/// while a store is open (migrations run before they are opened), so the schema check is
/// not needed; WAL mode lets them read while the writer commits.
final class ReadConnections: Sendable {
    private let connections: [DatabaseQueue]
    private let idle: Mutex<[Int]>

    init(path: String, count: Int, configuration base: Configuration) throws {
        var configuration = base
        configuration.readonly = true
        // Read pages straight from the OS page cache through a memory map instead of a pread
        // and a copy into SQLite's cache per page: a million-token get went from 78 to 58 us.
        // The mapped pages count in the process's resident size but are the page cache's,
        // shared and reclaimable. SQLite caps the size at its build's limit (2 GiB on Debian).
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = \(Self.mappedBytes)") }
        connections = try (0..<count).map { _ in try DatabaseQueue(path: path, configuration: configuration) }
        idle = Mutex(Array(connections.indices))
    }

    /// Runs `body` on an idle connection: in a read transaction when `isolated` (several
    /// statements that must see one snapshot), else as it is (one statement is its own
    /// snapshot). Returns nil when every connection is busy, for the caller to wait elsewhere.
    func read<Value>(isolated: Bool, _ body: (Database) throws -> Value) throws -> Value? {
        guard let index = idle.withLock({ $0.popLast() }) else { return nil }
        defer { idle.withLock { $0.append(index) } }
        return try connections[index].unsafeRead { db in isolated ? try Self.inReadTransaction(db, body) : try body(db) }
    }

    /// BEGIN and COMMIT as cached statements: GRDB's `read` prepares them anew each time.
    private static func inReadTransaction<Value>(_ db: Database, _ body: (Database) throws -> Value) throws -> Value {
        try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
        do {
            let value = try body(db)
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return value
        } catch {
            try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute()
            throw error
        }
    }

    private static let mappedBytes = 2 << 30

    func close() throws {
        for connection in connections { try connection.close() }
    }
}
