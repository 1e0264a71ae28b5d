import TokendCore

// The columns each row is read from, in the order both stores' decoders expect.

/// A `Token`'s.
let tokenColumns = "id, project_id, name, created_at, updated_at, scopes, secret_prefix, expires_at, last_used_at"

/// A `Tenant`'s.
let tenantColumns = "id, project_id, org_id, display_name, environment, created_at, suspended"

extension ActivityEvent {
    /// An audit-trail entry's.
    static let columns = "id, at, kind, token_id, project_id, actor, request_id, count, reason, actor_email, details"
}
