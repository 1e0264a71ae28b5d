import NIOCore
import PostgresNIO

// The hot paths' statements, prepared once per connection (postgres-nio keeps each by its
// name and prepares it on a connection's first use): a get or a verify lookup then skips the
// server's parsing and planning. Rows come back as they are, for the store's decoders.

/// A prepared statement of one value, `$1`.
protocol OneValueStatement: PostgresPreparedStatement where Row == PostgresRow {
    associatedtype Value: PostgresDynamicTypeEncodable
    var value: Value { get }
}

extension OneValueStatement {
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(value)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

/// The token a secret's hash (`value`) belongs to, current or rotated out, with its tenant:
/// verify's lookup.
struct CredentialStatement: OneValueStatement {
    static let sql = """
        SELECT found.id, found.project_id, found.scopes, found.expires_at, found.valid_until, tenant.id,
            tenant.suspended OR tenant.deleted_at IS NOT NULL FROM (
            (SELECT id, project_id, scopes, expires_at, NULL::BIGINT AS valid_until FROM token WHERE secret_hash = $1)
            UNION ALL
            (SELECT id, project_id, scopes, expires_at, previous_secret_valid_until FROM token WHERE previous_secret_hash = $1)
            LIMIT 1
        ) AS found
        -- The tenant whose project it is, if any; a deleted tenant's project is refused like a suspended one's.
        LEFT JOIN tenant ON tenant.project_id = found.project_id
        """

    let value: ByteBuffer
}

/// One token by its id (`value`): a get.
struct TokenStatement: OneValueStatement {
    static let sql = "SELECT \(tokenColumns) FROM token WHERE id = $1"

    let value: String
}
