import Foundation
import GRDB
import TokendCore

/// A region's tokens in one SQLite database: a WAL-mode `DatabasePool` on disk, or an
/// in-memory `DatabaseQueue` for tests. Same SQL, same migrations, either way.
public final class SQLiteTokenStore: TokenStore {
    public let region: RegionName
    private let database: any DatabaseWriter

    /// Opens (creating if needed) the database file at `path` and migrates it.
    public convenience init(region: RegionName, path: String) throws {
        try self.init(region: region, database: DatabasePool(path: path, configuration: Self.configuration))
    }

    /// A private in-memory database, for tests.
    public static func inMemory(region: RegionName) throws -> SQLiteTokenStore {
        try SQLiteTokenStore(region: region, database: DatabaseQueue(configuration: configuration))
    }

    private init(region: RegionName, database: any DatabaseWriter) throws {
        self.region = region
        self.database = database
        try TokenStoreMigrations.migrator.migrate(database)
    }

    private static var configuration: Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // FULL: a commit is on disk before it is acknowledged, even if the machine loses power.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    public func insert(_ stored: StoredToken) async throws {
        let token = stored.token
        try await mapStorageErrors {
            try await database.write { db in
                try db.execute(
                    sql: "INSERT INTO token (\(tokenColumns), secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [token.id.rawValue, token.projectID.rawValue, token.name.rawValue,
                                token.createdAt.microsecondsSinceEpoch, token.updatedAt.microsecondsSinceEpoch,
                                token.scopes.bitmask, token.secretPrefix, Data(stored.secretHash)])
            }
        }
    }

    public func token(id: TokenID) async throws -> Token? {
        let region = region
        return try await mapStorageErrors {
            try await database.read { db in
                try Row.fetchOne(db, sql: "SELECT \(tokenColumns) FROM token WHERE id = ?", arguments: [id.rawValue])
                    .map { try Token(row: $0, region: region) }
            }
        }
    }

    public func list(_ query: TokenListQuery) async throws -> TokenPage {
        if case .only(let projects) = query.projects, projects.isEmpty {
            return TokenPage(totalCount: 0, tokens: [])
        }
        let region = region
        let (whereClause, arguments) = query.filterSQL
        return try await mapStorageErrors {
            // One read transaction: the count and the page come from the same snapshot.
            try await database.read { db in
                let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM token" + whereClause, arguments: arguments) ?? 0
                guard let offset = query.offset, offset < total else { return TokenPage(totalCount: total, tokens: []) }
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT \(tokenColumns) FROM token\(whereClause) ORDER BY \(query.order.sql) LIMIT ? OFFSET ?",
                    arguments: arguments + [query.pageSize, offset])
                return TokenPage(totalCount: total, tokens: try rows.map { try Token(row: $0, region: region) })
            }
        }
    }

    public func delete(id: TokenID, visibleTo access: ProjectAccess) async throws -> Token? {
        let region = region
        return try await mapStorageErrors {
            try await database.write { db in
                guard let token = try Row.fetchOne(db, sql: "SELECT \(tokenColumns) FROM token WHERE id = ?", arguments: [id.rawValue])
                    .map({ try Token(row: $0, region: region) }),
                    access.allows(token.projectID)
                else { return nil }
                try db.execute(sql: "DELETE FROM token WHERE id = ?", arguments: [id.rawValue])
                return token
            }
        }
    }

    public func removeAll() async throws {
        try await mapStorageErrors {
            try await database.write { db in try db.execute(sql: "DELETE FROM token") }
        }
    }

    public func checkHealth() async throws {
        try await mapStorageErrors {
            _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
        }
    }

    /// Storage trouble (a full or read-only disk, I/O errors, a locked file) becomes a
    /// contract error naming the region's store; anything else propagates as it is.
    private func mapStorageErrors<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as DatabaseError where Self.unavailableCodes.contains(error.resultCode) {
            throw TokendError.unavailable(resource: "store", message: "the \(region) store cannot serve this request: \(error.resultCode)")
        }
    }

    private static let unavailableCodes: [ResultCode] = [
        .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED,
    ]
}
