import Foundation
import GRDB
import GRDBSQLite
import Metrics
import Synchronization
import TokendCore

/// A region's tokens in one SQLite database: a WAL-mode `DatabasePool` on disk, or an
/// in-memory `DatabaseQueue` for tests. Same SQL, same migrations, either way.
package final class SQLiteTokenStore: TokenStore {
    package let region: RegionName
    // Internal so tests can inject storage faults (a full or read-only database).
    let database: any DatabaseWriter
    private let writes: GroupCommit<Work>
    /// One write, as it runs in a batch's transaction.
    typealias Work = @Sendable (Database) throws -> any Sendable
    /// Hot reads' connections; see `ReadConnections`. File stores only, like `checkpointer`.
    let readers: ReadConnections?
    private let checkpointer: BackgroundCheckpointer?
    /// An in-memory (memdb) store: no file, no read connections of its own.
    var isInMemory: Bool { readers == nil }
    /// Where an in-memory store's reads take turns; see `inTurn`.
    private let memoryReadTurn = Mutex(())
    let metrics: StoreMetrics

    /// Opens (creating if needed) the database file at `path` and migrates it. `metrics`:
    /// where its measurements go (`/metrics`); none by default.
    package convenience init(region: RegionName, path: String, metrics: any MetricsFactory = NOOPMetricsHandler.instance) throws {
        let measured = StoreMetrics(region: region, factory: metrics)
        let uri = try CoalescedLogVFS.uri(forFileAt: path)
        let pool = try DatabasePool(path: uri, configuration: Self.configuration)
        // GRDB's pool sets its writer to `synchronous = NORMAL` once WAL is on, after our
        // `prepareDatabase`: commits then reached the OS but not the disk before they were
        // answered (a power loss could take the last ones). FULL again, and checked.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            guard try Int.fetchOne(db, sql: "PRAGMA synchronous") == Self.synchronousFull else {
                throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the store's writer does not run with synchronous = FULL")
            }
        }
        try self.init(
            region: region, database: pool,
            checkpointer: BackgroundCheckpointer(path: uri, configuration: Self.configuration, metrics: measured), metrics: measured
        ) {
            try ReadConnections(path: uri, count: Self.readConnectionCount, configuration: Self.configuration)
        }
    }

    /// A private in-memory database, for tests and `--ephemeral` servers: nothing is written to disk.
    package static func inMemory(region: RegionName, metrics: any MetricsFactory = NOOPMetricsHandler.instance) throws
        -> SQLiteTokenStore
    {
        try SQLiteTokenStore(
            region: region, database: DatabaseQueue(path: "file:tokend-\(region)?vfs=memdb", configuration: memoryConfiguration),
            checkpointer: nil, metrics: StoreMetrics(region: region, factory: metrics))
    }

    /// An in-memory store is a database held by SQLite's memdb VFS (its name has no leading
    /// slash: private to its one connection) rather than `:memory:`, whose every page lives in
    /// the page cache: each commit there walked the cache's whole hash table (a b-tree split
    /// renumbers a page past the end of the file, so the truncation at commit cannot stop
    /// early), 8.8 % of an ephemeral server's CPU at ~100,000 tokens, growing with the store.
    /// A memdb database is read through SQLite's default bounded cache, like a file.
    private static var memoryConfiguration: Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // SQLite keeps a memdb database's journals in memory itself (a `:memory:` one let
            // large sorts spill into temporary files); temporary tables and sorts stay in its heap.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Only a memdb file answers this; any other means the name was not read as a URI
            // (GRDB does not ask for URIs: Debian's SQLite reads them, built with SQLITE_USE_URI).
            var limit = sqlite3_int64(memoryStoreLimitBytes)
            guard sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_SIZE_LIMIT, &limit) == SQLITE_OK else {
                throw DatabaseError(
                    resultCode: .SQLITE_CANTOPEN,
                    message: "an in-memory store needs SQLite's memdb VFS and URI filenames (SQLITE_USE_URI)")
            }
        }
        return configuration
    }

    private init(
        region: RegionName, database: any DatabaseWriter, checkpointer: BackgroundCheckpointer?, metrics: StoreMetrics,
        readers openReaders: () throws -> ReadConnections? = { nil }
    ) throws {
        self.region = region
        self.database = database
        self.checkpointer = checkpointer
        self.metrics = metrics
        self.writes = GroupCommit(
            metrics: metrics, commit: Self.committing(on: database), afterCommit: { await checkpointer?.afterCommit(on: database) })
        try TokenStoreMigrations.migrator.migrate(database)
        // Opened after the migrations: they read a schema that no longer changes.
        self.readers = try openReaders()
    }

    /// One per core serves every read that runs at once; a read beyond that uses the pool.
    private static var readConnectionCount: Int { max(2, ProcessInfo.processInfo.activeProcessorCount) }

    /// The largest in-memory store: memdb's own cap is 1 GiB; this is just under the 2 GiB
    /// SQLite allocates at once, about 2.4 million tokens (~885 bytes each with their activity).
    static let memoryStoreLimitBytes: Int64 = 0x7FFF_0000

    /// `PRAGMA synchronous`'s answer for FULL.
    static let synchronousFull = 2

    /// How long a connection waits for a lock another holds before giving up.
    static let busyTimeoutMilliseconds = 5_000

    private static var configuration: Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(Double(busyTimeoutMilliseconds) / 1000)
        configuration.prepareDatabase { db in
            // FULL: a commit is on disk before it is acknowledged, even if the machine loses power.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 16 MiB of pages per connection instead of SQLite's 2 MiB: a million-token store's
            // index tops stay in memory (the OS page cache holds the rest).
            try db.execute(sql: "PRAGMA cache_size = -16384")
            // Checkpoints are BackgroundCheckpointer's; a commit checkpoints only if it falls behind.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(BackgroundCheckpointer.walPagesBeforeWriterCheckpoints)")
        }
        return configuration
    }

    package func insert(_ stored: StoredToken, activity: ActivityRecord, idempotency: IdempotencyRecord?) async throws {
        try await write(.createToken) { db in try Self.insert(stored, activity: activity, idempotency: idempotency, db) }
    }

    package func idempotencyRecord(_ key: IdempotencyKey, since: Timestamp) async throws -> IdempotencyRecord? {
        try readOneStatement(.idempotencyRecord) { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT fingerprint, token_id, created_at FROM idempotency WHERE key = ? AND created_at >= ?"),
                arguments: [key.rawValue, since.microsecondsSinceEpoch]
            ).flatMap { row in
                (row[1] as String?).flatMap(TokenID.init).map { tokenID in
                    IdempotencyRecord(
                        key: key, fingerprint: Array(row[0] as Data), tokenID: tokenID,
                        createdAt: Timestamp(microsecondsSinceEpoch: row[2]))
                }
            }
        }
    }

    /// Writes one token, its `api_key.created` event and its idempotency key.
    private static func insert(
        _ stored: StoredToken, activity: ActivityRecord, idempotency: IdempotencyRecord?,
        _ db: Database
    ) throws {
        let token = stored.token
        try db.cachedStatement(sql: "INSERT INTO token (\(tokenColumns), secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").execute(
            arguments: [
                token.id.rawValue, token.projectID.rawValue, token.name.rawValue,
                token.createdAt.microsecondsSinceEpoch, token.updatedAt.microsecondsSinceEpoch,
                token.scopes.bitmask, token.secretPrefix, token.expiresAt?.microsecondsSinceEpoch,
                token.lastUsedAt?.microsecondsSinceEpoch, Data(stored.secretHash),
            ])
        try db.cachedStatement(sql: ActivityRecord.insertSQL).execute(arguments: activity.insertArguments)
        if let record = idempotency {
            let expired = record.createdAt.adding(seconds: -IdempotencyKey.window).microsecondsSinceEpoch
            // Keys past their window are forgotten here; the index makes this a no-op when there are none.
            try db.execute(sql: "DELETE FROM idempotency WHERE created_at < ?", arguments: [expired])
            try db.execute(
                sql: "INSERT INTO idempotency (key, fingerprint, token_id, created_at) VALUES (?, ?, ?, ?)",
                arguments: [
                    record.key.rawValue, Data(record.fingerprint), record.tokenID.rawValue,
                    record.createdAt.microsecondsSinceEpoch,
                ])
        }
    }

    package func token(id: TokenID) async throws -> Token? {
        try readOneStatement(.getToken) { db in try self.fetchToken(id, db) }
    }

    package func list(_ query: TokenListQuery) async throws -> TokenPage {
        if query.projects.seesNothing { return TokenPage(totalCount: 0, tokens: []) }
        let region = region
        let filter = query.filter
        let (whereClause, arguments) = (filter.clause, filter.arguments)
        let page = try page(
            .listTokens, of: tokenColumns, from: "token\(whereClause) ORDER BY \(query.order.sql)",
            counted: query.totalSQL(clause: whereClause),
            arguments: arguments, paging: query.paging
        ) { row in try Token(row: row, region: region) }
        return TokenPage(totalCount: page.total, tokens: page.items)
    }

    package func delete(
        id: TokenID, visibleTo access: ProjectAccess,
        activity: @escaping @Sendable (Token) -> ActivityRecord
    ) async throws -> Token? {
        try await write(.deleteToken) { db in
            guard let token = try self.fetchToken(id, db), access.allows(token.projectID) else { return nil }
            try db.cachedStatement(sql: "DELETE FROM token WHERE id = ?").execute(arguments: [id.rawValue])
            try db.cachedStatement(sql: ActivityRecord.insertSQL).execute(arguments: activity(token).insertArguments)
            return token
        }
    }

    package func rotate(
        id: TokenID, visibleTo access: ProjectAccess, to secret: SecretDigest, at time: Timestamp,
        previousValidUntil: Timestamp?, activity: @escaping @Sendable (Token) -> ActivityRecord
    ) async throws -> Token? {
        try await write(.rotateToken) { db in
            guard let token = try self.fetchToken(id, db), access.allows(token.projectID) else { return nil }
            try db.execute(
                sql: """
                    UPDATE token SET
                        previous_secret_hash = CASE WHEN ?1 IS NULL THEN NULL ELSE secret_hash END,
                        previous_secret_valid_until = ?1,
                        secret_hash = ?2, secret_prefix = ?3, updated_at = ?4
                    WHERE id = ?5
                    """,
                arguments: [
                    previousValidUntil?.microsecondsSinceEpoch, Data(secret.hash), secret.displayPrefix,
                    time.microsecondsSinceEpoch, id.rawValue,
                ])
            try db.execute(sql: ActivityRecord.insertSQL, arguments: activity(token).insertArguments)
            return try self.fetchToken(id, db)
        }
    }

    package func credential(secretHash: [UInt8]) async throws -> Credential? {
        let hash = Data(secretHash)
        return try readOneStatement(.credential) { db in
            // The current secret, or a rotated-out one still in its grace period: two index lookups.
            return try Self.firstRow(
                db.cachedStatement(
                    sql: """
                        SELECT found.id, found.project_id, found.scopes, found.expires_at, found.valid_until, tenant.id,
                            tenant.suspended OR tenant.deleted_at IS NOT NULL FROM (
                            SELECT id, project_id, scopes, expires_at, NULL AS valid_until FROM token WHERE secret_hash = ?1
                            UNION ALL
                            SELECT id, project_id, scopes, expires_at, previous_secret_valid_until FROM token WHERE previous_secret_hash = ?1
                            LIMIT 1
                        ) AS found
                        -- The tenant whose project it is, if any: one lookup in its unique index. A
                        -- deleted tenant's project is refused like a suspended one's.
                        LEFT JOIN tenant ON tenant.project_id = found.project_id
                        """), arguments: [hash]
            ) { row in
                guard let id = row.id(TokenID.self, at: 0), let project = row.id(ProjectID.self, at: 1) else { return nil }
                let limits = [row[3] as Int64?, row[4] as Int64?].compactMap { $0 }
                return Credential(
                    tokenID: id, projectID: project, scopes: TokenScopes(bitmask: row[2]),
                    validUntil: limits.min().map { Timestamp(microsecondsSinceEpoch: $0) },
                    tenantID: (row[5] as String?).flatMap(TenantID.init), suspended: (row[6] as Int64?) == 1)
            }
        }
    }

    package func recordVerifications(
        lastUsed: [TokenID: Timestamp], denials: [ActivityRecord], traffic: [ProjectID: Traffic], month: String
    ) async throws {
        try await write(.recordVerifications) { db in
            let raise = try db.makeStatement(
                sql: """
                    UPDATE token SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)
                    """)
            for (id, time) in lastUsed {
                try raise.execute(arguments: [time.microsecondsSinceEpoch, id.rawValue])
            }
            let insert = try db.makeStatement(sql: ActivityRecord.insertSQL)
            for denial in denials { try insert.execute(arguments: denial.insertArguments) }
            if !traffic.isEmpty {
                let add = try db.makeStatement(
                    sql: """
                        INSERT INTO traffic (project_id, month, writes, reads, bytes_pushed, log_bytes_pushed) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (project_id, month) DO UPDATE SET
                            writes = writes + excluded.writes, reads = reads + excluded.reads,
                            bytes_pushed = bytes_pushed + excluded.bytes_pushed, log_bytes_pushed = log_bytes_pushed + excluded.log_bytes_pushed
                        """)
                for (project, counted) in traffic {
                    try add.execute(
                        arguments: [project.rawValue, month, counted.writes, counted.reads, counted.bytesPushed, counted.logBytesPushed])
                }
            }
        }
    }

    package func activity(_ query: ActivityQuery) async throws -> ActivityPage {
        if query.projects.seesNothing { return ActivityPage(totalCount: 0, events: []) }
        let filter = query.filter
        let (whereClause, arguments) = (filter.clause, filter.arguments)
        let region = region
        let page = try page(
            .activity, of: ActivityEvent.columns, from: "activity\(whereClause) ORDER BY id DESC",
            counted: "SELECT COUNT(*) FROM activity" + whereClause,
            arguments: arguments, paging: query.paging
        ) { row in try ActivityEvent(row: row, region: region) }
        return ActivityPage(totalCount: page.total, events: page.items)
    }

    package func removeAll() async throws {
        try await write(.removeAll) { db in
            try db.execute(
                sql:
                    "DELETE FROM token; DELETE FROM activity; DELETE FROM idempotency; DELETE FROM tenant; DELETE FROM revoked_key; DELETE FROM traffic"
            )
        }
    }

    package func checkHealth() async throws {
        _ = try readOneStatement(.health) { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    package func close() async throws {
        try await mapStorageErrors(.close) {
            try await checkpointer?.stop()
            try readers?.close()
            _ = try await database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            if let pool = database as? DatabasePool { try pool.close() }
        }
    }

    /// A page of `SELECT columns FROM source` and the count `countSQL` gives, from one
    /// snapshot. Mostly one statement and no transaction: the total rides along as a last
    /// column, an uncorrelated scalar subquery SQLite computes once. A page past the end has
    /// no row to carry it, so then the count and the page are read in one read transaction.
    /// Rows are decoded where the cursor stands, not copied first.
    private func page<Item>(
        _ operation: StoreOperation, of columns: String, from source: String, counted countSQL: String, arguments: StatementArguments,
        paging: Paging, decode: @escaping (Row) throws -> Item
    ) throws -> (total: Int, items: [Item]) {
        try metrics.measure(operation) {
            try untimedPage(operation, of: columns, from: source, counted: countSQL, arguments: arguments, paging: paging, decode: decode)
        }
    }

    /// The page itself, in reads its caller times as one operation (an empty page takes two).
    private func untimedPage<Item>(
        _ operation: StoreOperation, of columns: String, from source: String, counted countSQL: String, arguments: StatementArguments,
        paging: Paging, decode: @escaping (Row) throws -> Item
    ) throws -> (total: Int, items: [Item]) {
        let selectPage = "SELECT \(columns) FROM \(source) LIMIT ? OFFSET ?"
        if let offset = paging.offset {
            let withTotal: (total: Int, items: [Item]) = try readOneStatement(operation, timed: false) { db in
                var total = 0
                var items: [Item] = []
                let rows = try Row.fetchCursor(
                    db.cachedStatement(sql: "SELECT \(columns), (\(countSQL)) FROM \(source) LIMIT ? OFFSET ?"),
                    arguments: arguments + arguments + [paging.pageSize, offset])
                while let row = try rows.next() {
                    total = row[row.count - 1]
                    items.append(try decode(row))
                }
                return (total, items)
            }
            if !withTotal.items.isEmpty { return withTotal }
        }
        return try read(operation, timed: false) { db in
            let total = try Int.fetchOne(db.cachedStatement(sql: countSQL), arguments: arguments) ?? 0
            guard let offset = paging.offset, offset < total else { return (total, []) }
            let rows = try Row.fetchCursor(db.cachedStatement(sql: selectPage), arguments: arguments + [paging.pageSize, offset])
            return (total, try Array(rows.map(decode)))
        }
    }

    /// Hot statements go through `cachedStatement`: prepared once per connection, not per call.
    func fetchToken(_ id: TokenID, _ db: Database) throws -> Token? {
        try Self.firstRow(db.cachedStatement(sql: "SELECT \(tokenColumns) FROM token WHERE id = ?"), arguments: [id.rawValue]) { row in
            try Token(row: row, region: region)
        }
    }

    /// The first row, decoded where the cursor stands (`Row.fetchOne` would copy it first, and
    /// its ids would not be parsed in place). The cursor outlives the decoding: its end resets
    /// the statement, and a row read after that reads every column as NULL.
    static func firstRow<Value>(_ statement: Statement, arguments: StatementArguments, _ decode: (Row) throws -> Value?) throws -> Value? {
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        return try withExtendedLifetime(rows) { try rows.next().flatMap(decode) }
    }

    /// Reads run on the calling thread, on `readers` when one is idle. They are short and
    /// CPU-bound (index lookups in pages the OS has cached; WAL readers never wait for the
    /// writer), and the async API's hops to GRDB's dispatch queues and back cost more CPU
    /// than the read itself.
    ///
    /// In memory, the one connection runs each closure alone on GRDB's serial queue, so no
    /// write can fall between its statements: they see one state without the transaction and
    /// read-only pragmas GRDB's `read` wraps around them, which tripled an empty page's
    /// cost (an ephemeral list of an empty project 195–200 µs of server CPU against 70 µs
    /// for a project of 2, 2026-12-03).
    func read<Value>(_ operation: StoreOperation, timed: Bool = true, _ body: (Database) throws -> Value) throws -> Value {
        try mapStorageErrors(operation, timed: timed) {
            guard let readers else { return try inTurn { try database.unsafeRead(body) } }
            return try readers.read(isolated: true, body) ?? database.read(body)
        }
    }

    /// A read of a single statement, which is consistent on its own: it skips the
    /// BEGIN/COMMIT that `read` wraps around several.
    func readOneStatement<Value>(_ operation: StoreOperation, timed: Bool = true, _ body: (Database) throws -> Value) throws
        -> Value
    {
        try mapStorageErrors(operation, timed: timed) {
            guard let readers else { return try inTurn { try database.unsafeRead(body) } }
            return try readers.read(isolated: false, body) ?? database.unsafeRead(body)
        }
    }

    /// An in-memory store is one connection behind GRDB's serial dispatch queue, so both event
    /// loops' reads meet there, and the second to arrive slept on a futex inside libdispatch
    /// until the first woke it (`_dispatch_sync_f_slow` 8.5 %, futex 6 % of an ephemeral
    /// server's CPU). Taking turns on a `Mutex` first leaves the queue uncontended: an ephemeral
    /// list of 2 answered 1.26–1.42× the requests/s at 15–24 % less CPU each (four alternating
    /// rounds beside the binary before, BENCHMARKS.md). Never called inside another read.
    private func inTurn<Value>(_ read: () throws -> Value) throws -> Value {
        var outcome: Result<Value, any Error>?
        memoryReadTurn.withLock { _ in outcome = Result { try read() } }
        return try outcome!.get()
    }

    func write<Value: Sendable>(_ operation: StoreOperation, _ body: @escaping @Sendable (Database) throws -> Value) async throws
        -> Value
    {
        try await mapStorageErrors(operation) { try await writes.write({ db in try body(db) }, answering: Value.self) }
    }

    /// A batch of writes in one of `database`'s write transactions.
    static func committing(on database: any DatabaseWriter) -> GroupCommit<Work>.Commit {
        { batch in try await database.write { db in try batch.map { try $0(db) } } }
    }

    /// Runs a store operation, timed (unless `timed` is false: a part of one its caller
    /// times), with storage trouble counted and turned into contract errors.
    func mapStorageErrors<Value>(_ operation: StoreOperation, timed: Bool = true, _ body: () async throws -> Value) async throws
        -> Value
    {
        do {
            return timed ? try await metrics.measure(operation, body) : try await body()
        } catch {
            throw storageError(error, in: operation)
        }
    }

    func mapStorageErrors<Value>(_ operation: StoreOperation, timed: Bool = true, _ body: () throws -> Value) throws -> Value {
        do {
            return timed ? try metrics.measure(operation, body) : try body()
        } catch {
            throw storageError(error, in: operation)
        }
    }

    /// Storage trouble (a full or read-only disk, I/O errors, a locked file) becomes a
    /// contract error naming the region's store; anything else propagates as it is.
    private func storageError(_ error: any Error, in operation: StoreOperation) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        // A constraint is a caller's conflict (an id taken, say), answered as such by the caller.
        if error.resultCode != .SQLITE_CONSTRAINT { metrics.failed(operation) }
        guard Self.unavailableCodes.contains(error.resultCode) else { return error }
        return TokendError.unavailable(resource: "store", message: "the \(region) store cannot serve this request: \(error.resultCode)")
    }

    private static let unavailableCodes: [ResultCode] = [
        .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED,
    ]
}
