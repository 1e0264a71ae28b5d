import NIOCore
import PostgresNIO

// The hot paths' statements, prepared once per connection (postgres-nio keeps each by its
// name and prepares it on a connection's first use): a get or a verify lookup then skips the
// server's parsing and planning. Rows come back as they are, for the store's decoders.

/// The token a secret's hash belongs to, current or rotated out, with its tenant: verify's lookup.
struct CredentialStatement: PostgresPreparedStatement {
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

    let hash: ByteBuffer

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(hash)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

/// One token by id: a get.
struct TokenStatement: PostgresPreparedStatement {
    static let sql = "SELECT \(tokenColumns) FROM token WHERE id = $1"

    let id: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}
