import Foundation
import Logging
import Metrics
import NIOCore
import PostgresNIO
import Synchronization
import TokendCore

/// A region's tokens in PostgreSQL, in the region's own schema: the store for a region served
/// by several tokend instances at once. Same behaviour as the SQLite store; what differs is
/// what sharing needs:
/// - every write's transaction takes the row it changes (`FOR UPDATE`), so instances racing
///   on one token, tenant or `Idempotency-Key` serialise, and constraints settle the rest;
/// - each delete, rotation and tenant change announces itself (`NOTIFY`, delivered at commit)
///   to the other instances' verify caches, which also expire entries after a bounded time;
/// - every operation answers within `settings.timeout`, `unavailable` when the database is
///   away, and the pool reconnects by itself.
package final class PostgreSQLTokenStore: TokenStore {
    package let region: RegionName
    let client: PostgresClient
    let schema: String
    let settings: PostgreSQLStoreSettings
    let metrics: StoreMetrics
    let logger: Logger
    /// Marks this process's own announcements, so its listener skips them.
    let instance = UUID().uuidString.lowercased()
    private let writes: GroupCommit<Work>
    /// The pool's and the listener's work, from open to close.
    private let background: Mutex<[Task<Void, Never>]>
    private let observer = ChangeObserver()

    /// One write, as it runs in a batch's transaction.
    typealias Work = @Sendable (PostgresConnection) async throws -> any Sendable

    /// Connects, creates the region's schema or migrates it, and starts listening for other
    /// instances' changes. Throws (closing what it opened) when the database cannot be reached
    /// within the timeout or the schema is newer than this tokend.
    package static func open(
        region: RegionName, at location: PostgreSQLLocation, settings: PostgreSQLStoreSettings = PostgreSQLStoreSettings(),
        metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger = Logger(label: "tokend.postgresql")
    ) async throws -> PostgreSQLTokenStore {
        let store = PostgreSQLTokenStore(
            region: region, location: location, settings: settings, metrics: StoreMetrics(region: region, factory: metrics),
            logger: logger)
        do {
            // Reachable within an operation's timeout, then migrated within a longer one: another
            // instance may be migrating (it holds the lock), and a migration may take a while.
            try await withDeadline(settings.timeout, expired: { Unreachable(location: location, timeout: settings.timeout) }) {
                try await store.client.query("SELECT 1", logger: logger)
            }
            let migrating = max(settings.timeout, .seconds(60))
            try await withDeadline(migrating, expired: { Unreachable(location: location, timeout: migrating) }) {
                try await store.client.withConnection { connection in
                    try await PostgreSQLMigrations.migrate(connection, schema: store.schema, logger: logger)
                }
            }
        } catch {
            try? await store.close()
            throw error
        }
        store.startListening(at: location)
        return store
    }

    private init(
        region: RegionName, location: PostgreSQLLocation, settings: PostgreSQLStoreSettings, metrics: StoreMetrics, logger: Logger
    ) {
        self.region = region
        self.settings = settings
        self.metrics = metrics
        let schema = settings.schema(of: region)
        self.schema = schema
        var logger = logger
        logger[metadataKey: "region"] = "\(region)"
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.maximumConnections = settings.poolSize
        configuration.options.connectTimeout = settings.timeout
        configuration.options.additionalStartupParameters =
            Self.startupParameters(schema: schema, name: "tokend \(region)") + Self.serverTimeouts(settings.timeout)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        let transactionLogger = logger
        self.writes = GroupCommit(
            metrics: metrics,
            commit: { batch in
                // A batch that outlives the timeout is given up (its callers were answered 503
                // already), so the writes behind it are not held up by it.
                try await withDeadline(settings.timeout, expired: { StoreTimeout(timeout: settings.timeout) }) {
                    try await client.withConnection { connection in
                        try await PostgreSQLTransaction.run(on: connection, logger: transactionLogger) { connection in
                            var outputs: [any Sendable] = []
                            for work in batch { outputs.append(try await work(connection)) }
                            return outputs
                        }
                    }
                }
            },
            retriesAlone: { error in !Self.isUnavailability(error) })
        // The pool does its work (connecting, reconnecting, keeping alive) in `run`.
        background = Mutex([Task { await client.run() }])
    }

    /// Every connection reads the region's schema; `application_name` shows which instance
    /// and region a connection serves in `pg_stat_activity`.
    private static func startupParameters(schema: String, name: String) -> [(String, String)] {
        [("search_path", schema), ("application_name", name)]
    }

    /// The server gives up on what the client has stopped waiting for: a statement or a lock
    /// wait past the store's timeout is cancelled, and a session idle inside a transaction (its
    /// client stuck) is ended, so the transaction rolls back instead of committing late.
    private static func serverTimeouts(_ timeout: Duration) -> [(String, String)] {
        let milliseconds = String(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return [
            ("statement_timeout", milliseconds), ("lock_timeout", milliseconds), ("idle_in_transaction_session_timeout", milliseconds),
        ]
    }

    private func startListening(at location: PostgreSQLLocation) {
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.additionalStartupParameters = Self.startupParameters(schema: schema, name: "tokend \(region) listener")
        configuration.options.connectTimeout = .init(settings.timeout)
        let listener = CredentialChangeListener(
            configuration: configuration, channel: schema, instance: instance, logger: logger
        ) { [observer] change in
            observer.deliver(change)
        }
        background.withLock { $0.append(Task { await listener.run() }) }
    }

    package var credentialLifetime: Duration? { settings.credentialLifetime }

    package func observeCredentialChanges(_ observer: @escaping @Sendable (CredentialChange) -> Void) {
        self.observer.set(observer)
    }

    // MARK: Tokens

    package func insert(_ stored: StoredToken, activity: ActivityRecord, idempotency: IdempotencyRecord?) async throws {
        try await write(.createToken) { connection in
            let token = stored.token
            try await connection.query(
                """
                INSERT INTO token (id, project_id, name, created_at, updated_at, scopes, secret_prefix, expires_at, last_used_at, secret_hash)
                VALUES (\(token.id.rawValue), \(token.projectID.rawValue), \(token.name.rawValue), \(token.createdAt.microsecondsSinceEpoch),
                    \(token.updatedAt.microsecondsSinceEpoch), \(token.scopes.bitmask), \(token.secretPrefix),
                    \(token.expiresAt?.microsecondsSinceEpoch), \(token.lastUsedAt?.microsecondsSinceEpoch), \(stored.secretHash.bytea))
                """, logger: self.logger)
            try await connection.query(activity.insertQuery, logger: self.logger)
            if let record = idempotency {
                // Keys past their window are forgotten here; the index makes this cheap when there are none.
                let expired = record.createdAt.adding(seconds: -IdempotencyKey.window).microsecondsSinceEpoch
                try await connection.query("DELETE FROM idempotency WHERE created_at < \(expired)", logger: self.logger)
                // The primary key makes a second instance's create with the same key fail here,
                // whole (its caller then answers the first one's token). DO NOTHING: a race is
                // no server error, and PostgreSQL's log stays quiet.
                let inserted = try await connection.query(
                    """
                    INSERT INTO idempotency (key, fingerprint, token_id, created_at)
                    VALUES (\(record.key.rawValue), \(record.fingerprint.bytea), \(record.tokenID.rawValue), \(record.createdAt.microsecondsSinceEpoch))
                    ON CONFLICT (key) DO NOTHING RETURNING key
                    """, logger: self.logger
                ).collect()
                if inserted.isEmpty { throw TokendError.conflict(message: "this Idempotency-Key was just used by another create") }
            }
        }
    }

    package func idempotencyRecord(_ key: IdempotencyKey, since: Timestamp) async throws -> IdempotencyRecord? {
        try await rows(
            .idempotencyRecord,
            "SELECT fingerprint, token_id, created_at FROM idempotency WHERE key = \(key.rawValue) AND created_at >= \(since.microsecondsSinceEpoch)"
        ) { row in
            guard let tokenID = TokenID(try row[1].decode(String.self)) else { throw TokendStoreError.corrupt(table: "idempotency") }
            return IdempotencyRecord(
                key: key, fingerprint: Array(buffer: try row[0].decode(ByteBuffer.self)), tokenID: tokenID,
                createdAt: Timestamp(microsecondsSinceEpoch: try row[2].decode(Int64.self)))
        }.first
    }

    package func token(id: TokenID) async throws -> Token? {
        try await rows(.getToken, TokenStatement(value: id.rawValue), decodeToken).first
    }

    package func list(_ query: TokenListQuery) async throws -> TokenPage {
        if query.projects.seesNothing { return TokenPage(totalCount: 0, tokens: []) }
        var binds = PostgresBindings()
        let clause = query.filter.clause(binding: &binds)
        let page = try await page(
            .listTokens, of: tokenColumns, from: "token\(clause) ORDER BY \(query.order.sql)",
            counted: query.totalSQL(clause: clause), binds: binds,
            paging: query.paging, decode: decodeToken)
        return TokenPage(totalCount: page.total, tokens: page.items)
    }

    package func delete(
        id: TokenID, visibleTo access: ProjectAccess, activity: @escaping @Sendable (Token) -> ActivityRecord
    ) async throws -> Token? {
        try await write(.deleteToken) { connection in
            guard let token = try await self.lockedToken(id, connection), access.allows(token.projectID) else { return nil }
            try await connection.query("DELETE FROM token WHERE id = \(id.rawValue)", logger: self.logger)
            try await connection.query(activity(token).insertQuery, logger: self.logger)
            try await self.announce(.token(id), connection)
            return token
        }
    }

    package func rotate(
        id: TokenID, visibleTo access: ProjectAccess, to secret: SecretDigest, at time: Timestamp,
        previousValidUntil: Timestamp?, activity: @escaping @Sendable (Token) -> ActivityRecord
    ) async throws -> Token? {
        try await write(.rotateToken) { connection in
            guard let token = try await self.lockedToken(id, connection), access.allows(token.projectID) else { return nil }
            let validUntil = previousValidUntil?.microsecondsSinceEpoch
            let rotated = try await connection.query(
                """
                UPDATE token SET
                    previous_secret_hash = CASE WHEN \(validUntil)::BIGINT IS NULL THEN NULL ELSE secret_hash END,
                    previous_secret_valid_until = \(validUntil),
                    secret_hash = \(secret.hash.bytea), secret_prefix = \(secret.displayPrefix), updated_at = \(time.microsecondsSinceEpoch)
                WHERE id = \(id.rawValue) RETURNING \(unescaped: tokenColumns)
                """, logger: self.logger
            ).collect().first.map { try self.decodeToken($0.makeRandomAccess()) }
            try await connection.query(activity(token).insertQuery, logger: self.logger)
            try await self.announce(.token(id), connection)
            return rotated
        }
    }

    package func credential(secretHash: [UInt8]) async throws -> Credential? {
        try await rows(.credential, CredentialStatement(value: secretHash.bytea)) { row in
            guard let id = TokenID(try row[0].decode(String.self)), let project = ProjectID(try row[1].decode(String.self)) else {
                throw TokendStoreError.corrupt(table: "token")
            }
            let limits = [try row[3].decode(Int64?.self), try row[4].decode(Int64?.self)].compactMap { $0 }
            return Credential(
                tokenID: id, projectID: project, scopes: TokenScopes(bitmask: try row[2].decode(Int64.self)),
                validUntil: limits.min().map { Timestamp(microsecondsSinceEpoch: $0) },
                tenantID: try row[5].decode(String?.self).flatMap(TenantID.init), suspended: try row[6].decode(Bool?.self) ?? false)
        }.first
    }

    package func recordVerifications(
        lastUsed: [TokenID: Timestamp], denials: [ActivityRecord], traffic: [ProjectID: Traffic], month: String
    ) async throws {
        try await write(.recordVerifications) { connection in
            if !lastUsed.isEmpty {
                // One statement for the whole flush: the ids and times as two arrays, in id
                // order, so two instances' flushes lock shared rows in one order (no deadlock).
                let used = lastUsed.sorted { $0.key < $1.key }  // an id's order is its text's
                let ids = used.map(\.key.rawValue)
                let times = used.map(\.value.microsecondsSinceEpoch)
                try await connection.query(
                    """
                    UPDATE token SET last_used_at = used.at FROM unnest(\(ids)::TEXT[], \(times)::BIGINT[]) AS used (id, at)
                    WHERE token.id = used.id AND (token.last_used_at IS NULL OR token.last_used_at < used.at)
                    """, logger: self.logger)
            }
            for denial in denials { try await connection.query(denial.insertQuery, logger: self.logger) }
            for (project, counted) in traffic.sorted(by: { $0.key < $1.key }) {
                try await connection.query(
                    """
                    INSERT INTO traffic (project_id, month, writes, reads, bytes_pushed, log_bytes_pushed)
                    VALUES (\(project.rawValue), \(month), \(counted.writes), \(counted.reads), \(counted.bytesPushed), \(counted.logBytesPushed))
                    ON CONFLICT (project_id, month) DO UPDATE SET
                        writes = traffic.writes + excluded.writes, reads = traffic.reads + excluded.reads,
                        bytes_pushed = traffic.bytes_pushed + excluded.bytes_pushed,
                        log_bytes_pushed = traffic.log_bytes_pushed + excluded.log_bytes_pushed
                    """, logger: self.logger)
            }
        }
    }

    package func activity(_ query: ActivityQuery) async throws -> ActivityPage {
        if query.projects.seesNothing { return ActivityPage(totalCount: 0, events: []) }
        var binds = PostgresBindings()
        let clause = query.filter.clause(binding: &binds)
        let region = region
        let page = try await page(
            .activity, of: ActivityEvent.columns, from: "activity\(clause) ORDER BY id DESC",
            counted: "SELECT COUNT(*) FROM activity" + clause, binds: binds, paging: query.paging
        ) { row in try ActivityEvent(postgres: row, region: region) }
        return ActivityPage(totalCount: page.total, events: page.items)
    }

    package func removeAll() async throws {
        try await write(.removeAll) { connection in
            try await self.emptyEveryTable(connection)
            try await self.announce(.all, connection)
        }
    }

    package func checkHealth() async throws {
        _ = try await rows(.health, "SELECT 1") { _ in () }
    }

    package func close() async throws {
        // Cancelling the pool's `run` closes its connections; the listener ends with its task.
        let tasks = background.withLock { tasks in
            defer { tasks.removeAll() }
            return tasks
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    // MARK: Shared by every operation

    func decodeToken(_ row: PostgresRandomAccessRow) throws -> Token { try Token(postgres: row, region: region) }

    /// The token, its row locked until the transaction ends: a concurrent delete or rotation
    /// on another instance waits, then finds what this one left.
    func lockedToken(_ id: TokenID, _ connection: PostgresConnection) async throws -> Token? {
        try await connection.query("SELECT \(unescaped: tokenColumns) FROM token WHERE id = \(id.rawValue) FOR UPDATE", logger: logger)
            .collect().first.map { try decodeToken($0.makeRandomAccess()) }
    }

    /// Empties every table a snapshot holds (`CopiedTable.all`, so a table added there is
    /// emptied too) and zeroes the token counts (TRUNCATE fires no row trigger), in the
    /// caller's transaction.
    func emptyEveryTable(_ connection: PostgresConnection) async throws {
        let tables = CopiedTable.all.map(\.name).joined(separator: ", ")
        try await connection.query(PostgresQuery(unsafeSQL: "TRUNCATE \(tables), project_token_count RESTART IDENTITY"), logger: logger)
        try await connection.query("UPDATE token_count SET tokens = 0", logger: logger)
    }

    /// Tells the other instances, when the transaction commits, to forget what `change` names.
    func announce(_ change: CredentialChange, _ connection: PostgresConnection) async throws {
        let payload = CredentialChangeListener.payload(change, from: instance)
        try await connection.query("SELECT pg_notify(\(schema), \(payload))", logger: logger)
    }

    /// A page of `SELECT columns FROM source` and its count, in one statement (one snapshot):
    /// the total rides along as a last column. A page past the end has no row to carry it,
    /// so then the count is read alone.
    private func page<Item: Sendable>(
        _ operation: StoreOperation, of columns: String, from source: String, counted countSQL: String, binds: PostgresBindings,
        paging: Paging, decode: @escaping @Sendable (PostgresRandomAccessRow) throws -> Item
    ) async throws -> (total: Int, items: [Item]) {
        try await run(operation) {
            if let offset = paging.offset {
                var pageBinds = binds
                pageBinds.append(Int64(paging.pageSize))
                pageBinds.append(Int64(offset))
                let sql = "SELECT \(columns), (\(countSQL)) FROM \(source) LIMIT $\(binds.count + 1) OFFSET $\(binds.count + 2)"
                var total = 0
                var items: [Item] = []
                for try await row in try await self.client.query(PostgresQuery(unsafeSQL: sql, binds: pageBinds), logger: self.logger) {
                    let row = row.makeRandomAccess()
                    total = Int(try row[row.count - 1].decode(Int64.self))
                    items.append(try decode(row))
                }
                if !items.isEmpty { return (total, items) }
            }
            var total = 0
            for try await count in try await self.client.query(PostgresQuery(unsafeSQL: countSQL, binds: binds), logger: self.logger)
                .decode(Int64.self)
            {
                total = Int(count)
            }
            return (total, [])
        }
    }

    /// The rows of a prepared statement, each decoded as it arrives.
    func rows<Statement: PostgresPreparedStatement, Item: Sendable>(
        _ operation: StoreOperation, _ statement: Statement, _ decode: @escaping @Sendable (PostgresRandomAccessRow) throws -> Item
    ) async throws -> [Item] where Statement.Row == PostgresRow {
        try await run(operation) {
            var items: [Item] = []
            for try await row in try await self.client.execute(statement, logger: self.logger) {
                items.append(try decode(row.makeRandomAccess()))
            }
            return items
        }
    }

    /// The rows of one statement, each decoded as it arrives.
    func rows<Item: Sendable>(
        _ operation: StoreOperation, _ query: PostgresQuery, _ decode: @escaping @Sendable (PostgresRandomAccessRow) throws -> Item
    ) async throws -> [Item] {
        try await run(operation) {
            var items: [Item] = []
            for try await row in try await self.client.query(query, logger: self.logger) {
                items.append(try decode(row.makeRandomAccess()))
            }
            return items
        }
    }

    func write<Value: Sendable>(_ operation: StoreOperation, _ body: @escaping @Sendable (PostgresConnection) async throws -> Value)
        async throws -> Value
    {
        try await run(operation) { try await self.inNextBatch(body) }
    }

    /// The write in the next batch's transaction, answered once committed.
    func inNextBatch<Value: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws -> Value {
        try await writes.write({ connection in try await body(connection) }, answering: Value.self)
    }

    /// Runs a store operation timed, within the timeout, with storage trouble counted, logged
    /// and turned into contract errors.
    func run<Value: Sendable>(_ operation: StoreOperation, _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        do {
            return try await metrics.measure(operation) {
                try await withDeadline(settings.timeout, expired: { [settings] in StoreTimeout(timeout: settings.timeout) }, body)
            }
        } catch {
            throw storageError(error, in: operation)
        }
    }

    /// Contract errors and a caller's conflicts (a constraint) pass as they are; the database
    /// away, restarting, overloaded or too slow is `unavailable`, naming the region's store.
    private func storageError(_ error: any Error, in operation: StoreOperation) -> any Error {
        if error is TokendError { return error }
        let state = Self.sqlState(of: error)
        if let state, state.hasPrefix("23") { return error }
        metrics.failed(operation)
        logger.warning(
            "store operation failed",
            metadata: ["operation": "\(operation.rawValue)", "sqlstate": "\(state ?? "none")", "error": "\(Self.summary(of: error))"])
        guard Self.isUnavailability(error) else { return error }
        return TokendError.unavailable(
            resource: "store", message: "the \(region) store cannot serve this request: \(Self.summary(of: error))")
    }

    /// Whether the database, not the operation, failed: it is away, too slow, or refused for
    /// a reason that waiting and retrying mends.
    static func isUnavailability(_ error: any Error) -> Bool {
        if let state = sqlState(of: error) { return unavailableStateClasses.contains(where: state.hasPrefix) }
        if let error = error as? PostgresTransactionError {
            return [error.closureError, error.commitError, error.beginError].compactMap { $0 }.contains(where: isUnavailability)
        }
        // Anything else from the client is the database unreachable: our timeout, the connection
        // refused, closed or reset, the pool shut or its circuit breaker open after a long outage
        // (a ConnectionPoolError, not a PSQLError).
        return !(error is TokendStoreError) && !(error is TokendError)
    }

    /// Connection trouble (08), transaction conflicts (40), no resources (53), the server
    /// shutting down or starting (57), system errors (58): what waiting and retrying mends.
    private static let unavailableStateClasses = ["08", "40", "53", "57", "58"]

    /// The SQLSTATE of a server's error, inside a transaction's error too.
    static func sqlState(of error: any Error) -> String? { serverInfo(.sqlState, of: error) }

    /// A field of a server's error (its SQLSTATE, the constraint it broke), inside a
    /// transaction's error too.
    static func serverInfo(_ field: PSQLError.ServerInfo.Field, of error: any Error) -> String? {
        if let error = error as? PostgresTransactionError {
            return [error.closureError, error.commitError, error.beginError].compactMap { $0 }.lazy.compactMap {
                serverInfo(field, of: $0)
            }.first
        }
        guard let error = error as? PSQLError, error.code == .server else { return nil }
        return error.serverInfo?[field]
    }

    private static func summary(of error: any Error) -> String {
        if let error = error as? PostgresTransactionError {
            return [error.closureError, error.commitError, error.beginError].compactMap { $0 }.first.map(summary) ?? "\(error)"
        }
        if let error = error as? PSQLError {
            return error.serverInfo?[.message] ?? "\(error.code)"
        }
        return "\(error)"
    }
}

/// Who is told of other instances' changes: verify's cache, once its service is made.
private final class ChangeObserver: Sendable {
    private let handler = Mutex<(@Sendable (CredentialChange) -> Void)?>(nil)

    func set(_ handler: @escaping @Sendable (CredentialChange) -> Void) { self.handler.withLock { $0 = handler } }
    func deliver(_ change: CredentialChange) { handler.withLock { $0 }?(change) }
}

/// An operation that did not finish within the store's timeout.
struct StoreTimeout: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "no answer from the database within \(timeout)" }
}

/// The database could not be reached at start.
struct Unreachable: Error, CustomStringConvertible {
    let location: PostgreSQLLocation
    let timeout: Duration
    var description: String { "PostgreSQL at \(location) did not answer within \(timeout)" }
}
