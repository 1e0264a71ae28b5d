/// Where a region keeps its xScaler tenants, beside its tokens (the same store: a tenant's
/// keys are its project's tokens). Same guarantees as `TokenStore`: durable before it
/// answers, each change with its audit event in one transaction.
package protocol TenantStore: Sendable {
    /// Stores a new tenant; an id already taken (even by a deleted tenant) throws `conflict`.
    func insert(_ tenant: Tenant, activity: ActivityRecord) async throws
    /// A tenant that has not been deleted.
    func tenant(id: TenantID) async throws -> Tenant?
    /// An organisation's tenants, oldest first.
    func tenants(of organization: OrganizationID) async throws -> [Tenant]
    /// Changes a tenant as it stands when the change is written, in one transaction with its
    /// event: `change` answers the new tenant and its event, or nil for no change. Returns the
    /// tenant as it then stands; nil if there is none (or it was deleted).
    func update(_ id: TenantID, _ change: @escaping @Sendable (Tenant) -> (Tenant, ActivityRecord)?) async throws -> Tenant?
    /// Marks the tenant deleted (its id is never reused) and revokes its keys, keeping their rows.
    func delete(_ tenant: Tenant, at time: Timestamp, activity: ActivityRecord) async throws
    /// Revokes a token of `project`, keeping a row for the portal's `GET`; nil if there was none.
    func revoke(
        id: TokenID, of project: ProjectID, at time: Timestamp,
        activity: @escaping @Sendable (Token) -> ActivityRecord
    ) async throws -> Token?
    /// A key revoked through the portal, as it was when revoked.
    func revokedKey(id: TokenID, of project: ProjectID) async throws -> TenantKey?
    /// Every token of a project, oldest first.
    func tokens(of project: ProjectID) async throws -> [Token]
    /// Events of the organisation's tenants (management actions only), newest first.
    func activity(_ query: TenantActivityQuery) async throws -> [TenantEvent]
    /// What verify counted for a project in a month (`2026-12`).
    func traffic(of project: ProjectID, month: String) async throws -> Traffic
    /// Log bytes pushed to the organisation's tenants in a month.
    func logBytesPushed(by organization: OrganizationID, month: String) async throws -> Int64
}

/// What verify let through for one project: requests and the bytes they announced.
package struct Traffic: Sendable, Hashable {
    package var writes: Int64 = 0
    package var reads: Int64 = 0
    /// The `Content-Length` of verified pushes, as the proxy passed it.
    package var bytesPushed: Int64 = 0
    package var logBytesPushed: Int64 = 0

    package init(writes: Int64 = 0, reads: Int64 = 0, bytesPushed: Int64 = 0, logBytesPushed: Int64 = 0) {
        self.writes = writes
        self.reads = reads
        self.bytesPushed = bytesPushed
        self.logBytesPushed = logBytesPushed
    }

    mutating func count(_ operation: DataOperation, bytes: Int64) {
        if operation.action == .push {
            writes += 1
            bytesPushed += bytes
            if operation.signal == .logs { logBytesPushed += bytes }
        } else {
            reads += 1
        }
    }

    mutating func add(_ other: Traffic) {
        writes += other.writes
        reads += other.reads
        bytesPushed += other.bytesPushed
        logBytesPushed += other.logBytesPushed
    }
}
