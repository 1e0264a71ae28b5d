import Logging
import PostgresNIO

/// A transaction on one connection: BEGIN, the body, COMMIT; on failure ROLLBACK, unless the
/// connection has closed.
///
/// Not postgres-nio's `withTransaction`: after the server went away mid-transaction, it sends
/// ROLLBACK on the closed connection, and postgres-nio 1.33 never answers a statement written to
/// a closed channel, so that write, and every write queued behind it, waited forever (found by
/// `pg_ctl restart -m immediate` under load; scripts/postgres_test.py). A closed connection has
/// nothing to roll back: the server ended the transaction with the session.
enum PostgreSQLTransaction {
    static func run<Value: Sendable>(
        on connection: PostgresConnection, beginning begin: String = "BEGIN", logger: Logger,
        _ body: (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await connection.query(PostgresQuery(unsafeSQL: begin), logger: logger)
        do {
            let value = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
            throw error
        }
    }
}
