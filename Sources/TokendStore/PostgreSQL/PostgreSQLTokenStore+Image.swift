import Foundation
import GRDB
import NIOCore
import PostgresNIO
import TokendCore

/// Snapshots of a PostgreSQL region are the same SQLite images the SQLite store makes, so a
/// snapshot moves between stores: exported by copying every table into an in-memory SQLite
/// store, imported by letting one read (check and migrate) the image and copying its tables in.
extension PostgreSQLTokenStore {
    package func exportImage() async throws -> [UInt8] {
        let tables = try await run(.exportImage) {
            try await self.client.withConnection { connection in
                // One snapshot of every table.
                try await PostgreSQLTransaction.run(
                    on: connection, beginning: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger
                ) { connection in
                    var read: [[[CopiedValue]]] = []
                    for table in CopiedTable.all {
                        var rows: [[CopiedValue]] = []
                        let sql = "SELECT \(table.columnList) FROM \(table.name)"
                        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: self.logger) {
                            let row = row.makeRandomAccess()
                            rows.append(try table.columns.indices.map { try CopiedValue(row[$0], as: table.columns[$0].kind) })
                        }
                        read.append(rows)
                    }
                    return read
                }
            }
        }
        let copy = try SQLiteTokenStore.inMemory(region: region)
        try await copy.database.write { db in
            // The copy's triggers count its tokens as they arrive.
            try db.execute(sql: "DELETE FROM token_count; INSERT INTO token_count (id, tokens) VALUES (1, 0)")
            for (table, rows) in zip(CopiedTable.all, tables) {
                let statement = try db.makeStatement(
                    sql:
                        "INSERT INTO \(table.name) (\(table.columnList)) VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))"
                )
                for row in rows { try statement.execute(arguments: StatementArguments(row.map(\.sqlite))) }
            }
        }
        return try await copy.exportImage()
    }

    package func importImage(_ image: [UInt8]) async throws {
        try await run(.importImage) {
            // The SQLite store refuses what is not one of its images, and migrates an older one.
            let source = try SQLiteTokenStore.inMemory(region: self.region)
            try await source.importImage(image)
            let tables = try await source.database.read { db in
                try CopiedTable.all.map { table in
                    try Row.fetchAll(db, sql: "SELECT \(table.columnList) FROM \(table.name)").map { row in
                        try table.columns.indices.map { try CopiedValue(sqlite: row[$0], as: table.columns[$0].kind) }
                    }
                }
            }
            try await self.inNextBatch { connection in
                try await self.emptyEveryTable(connection)
                for (table, rows) in zip(CopiedTable.all, tables) {
                    try await Self.insert(rows, into: table, connection, logger: self.logger)
                }
                try await connection.query(
                    "SELECT setval(pg_get_serial_sequence('activity', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM activity",
                    logger: self.logger)
                try await self.announce(.all, connection)
            }
        }
    }

    /// Many rows per statement (a round trip each would make 10,000 tokens take seconds),
    /// within PostgreSQL's 65,535 parameters.
    private static func insert(
        _ rows: [[CopiedValue]], into table: CopiedTable, _ connection: PostgresConnection, logger: Logger
    ) async throws {
        let perStatement = 30_000 / table.columns.count
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            var binds = PostgresBindings(capacity: chunk.count * table.columns.count)
            var tuples: [String] = []
            for row in chunk {
                var placeholders: [String] = []
                for (value, column) in zip(row, table.columns) {
                    value.bind(into: &binds, as: column.kind)
                    placeholders.append("$\(binds.count)::\(column.kind.postgresType)")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(table.name) (\(table.columnList)) VALUES " + tuples.joined(separator: ", ")
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }
}

/// A table a snapshot holds, with its columns' kinds (the token counts, overall and per project, are
/// derived by the triggers, not copied).
struct CopiedTable: Sendable {
    enum Kind: Sendable {
        case text, integer, bytes
        /// SQLite's 0 or 1, PostgreSQL's BOOLEAN.
        case boolean

        var postgresType: String {
            switch self {
            case .text: "TEXT"
            case .integer: "BIGINT"
            case .bytes: "BYTEA"
            case .boolean: "BOOLEAN"
            }
        }
    }

    let name: String
    let columns: [(name: String, kind: Kind)]

    var columnList: String { columns.map(\.name).joined(separator: ", ") }

    static let all: [CopiedTable] = [
        CopiedTable(
            name: "token",
            columns: [
                ("id", .text), ("project_id", .text), ("name", .text), ("created_at", .integer), ("updated_at", .integer),
                ("scopes", .integer), ("secret_hash", .bytes), ("secret_prefix", .text), ("expires_at", .integer),
                ("last_used_at", .integer), ("previous_secret_hash", .bytes), ("previous_secret_valid_until", .integer),
            ]),
        CopiedTable(
            name: "activity",
            columns: [
                ("id", .integer), ("at", .integer), ("kind", .text), ("token_id", .text), ("project_id", .text), ("actor", .text),
                ("request_id", .text), ("count", .integer), ("reason", .text), ("actor_email", .text), ("details", .text),
            ]),
        CopiedTable(
            name: "idempotency", columns: [("key", .text), ("fingerprint", .bytes), ("token_id", .text), ("created_at", .integer)]),
        CopiedTable(
            name: "tenant",
            columns: [
                ("id", .text), ("project_id", .text), ("org_id", .text), ("display_name", .text), ("environment", .text),
                ("created_at", .integer), ("suspended", .boolean), ("deleted_at", .integer),
            ]),
        CopiedTable(
            name: "revoked_key",
            columns: [
                ("id", .text), ("project_id", .text), ("name", .text), ("created_at", .integer), ("updated_at", .integer),
                ("scopes", .integer), ("secret_prefix", .text), ("expires_at", .integer), ("last_used_at", .integer),
                ("revoked_at", .integer),
            ]),
        CopiedTable(
            name: "traffic",
            columns: [
                ("project_id", .text), ("month", .text), ("writes", .integer), ("reads", .integer), ("bytes_pushed", .integer),
                ("log_bytes_pushed", .integer),
            ]),
    ]
}

/// One value of a copied row.
enum CopiedValue: Sendable {
    case null
    case text(String)
    case integer(Int64)
    case bytes([UInt8])

    init(_ cell: PostgresCell, as kind: CopiedTable.Kind) throws {
        switch kind {
        case .text: self = try cell.decode(String?.self).map(CopiedValue.text) ?? .null
        case .integer: self = try cell.decode(Int64?.self).map(CopiedValue.integer) ?? .null
        case .bytes: self = try cell.decode(ByteBuffer?.self).map { .bytes(Array(buffer: $0)) } ?? .null
        case .boolean: self = try cell.decode(Bool?.self).map { .integer($0 ? 1 : 0) } ?? .null
        }
    }

    /// Each value as the column's kind wants it; an image whose tables hold anything else
    /// (a crafted one: tokend writes STRICT tables) is refused.
    init(sqlite value: DatabaseValue, as kind: CopiedTable.Kind) throws {
        switch (value.storage, kind) {
        case (.null, _): self = .null
        case (.int64(let integer), .integer), (.int64(let integer), .boolean): self = .integer(integer)
        case (.string(let text), .text): self = .text(text)
        case (.blob(let data), .bytes): self = .bytes(Array(data))
        default: throw TokendError.invalidArgument("image", .format, "the snapshot's image holds a value of the wrong type")
        }
    }

    var sqlite: (any DatabaseValueConvertible)? {
        switch self {
        case .null: nil
        case .text(let text): text
        case .integer(let integer): integer
        case .bytes(let bytes): Data(bytes)
        }
    }

    func bind(into binds: inout PostgresBindings, as kind: CopiedTable.Kind) {
        switch self {
        case .null: binds.appendNull()
        case .integer(let integer) where kind == .boolean: binds.append(integer != 0)
        case .text(let text): binds.append(text)
        case .integer(let integer): binds.append(integer)
        case .bytes(let bytes): binds.append(bytes.bytea)
        }
    }
}
