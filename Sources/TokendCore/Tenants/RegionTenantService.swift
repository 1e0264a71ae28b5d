/// The xScaler portal's work in one region, over the same store and token service as the
/// Cockpit face: a tenant is a project, its keys are the project's tokens issued as `xag_…`
/// secrets. Role checks, organisation scoping and the audit trail live here, so no
/// transport can skip them. Another organisation's tenant is "not found", like a missing one.
package struct RegionTenantService: TenantRegion {
    package let tokens: RegionTokenService
    private let store: any TenantStore
    private let clock: any TimeSource

    package init(tokens: RegionTokenService, store: any TenantStore, clock: any TimeSource = SystemTimeSource()) {
        self.tokens = tokens
        self.store = store
        self.clock = clock
    }

    package var region: RegionName { tokens.region }

    // MARK: Tenants

    /// Creates a tenant of the caller's organisation in this region. The plan's tenant cap
    /// is the caller's to check first: it counts every region's tenants.
    package func create(_ new: NewTenant, by caller: PortalCaller) async throws -> Tenant {
        try caller.require(.write)
        let now = clock.now()
        // 40 random bits per id: a collision is rare, and the store's key refuses it.
        for _ in 0..<8 {
            let id = TenantID.generate(in: caller.organization.slug)
            let tenant = Tenant(
                id: id, projectID: .random(), organizationID: caller.organization.id, displayName: new.displayName ?? id.rawValue,
                environment: new.environment, region: region, createdAt: now)
            do {
                try await store.insert(tenant, activity: record(.tenantCreated, tenant, caller, at: now, after: fields(of: tenant)))
                return tenant
            } catch TokendError.conflict {
                continue
            }
        }
        throw TokendError.unavailable(resource: "tenant ids", message: "could not find a free tenant id; try again")
    }

    /// The caller organisation's tenants in this region, oldest first.
    package func tenants(of caller: PortalCaller) async throws -> [Tenant] {
        try await store.tenants(of: caller.organization.id)
    }

    /// The tenant if it lives here and belongs to the caller's organisation.
    package func tenant(_ id: TenantID, by caller: PortalCaller) async throws -> Tenant {
        guard let tenant = try await store.tenant(id: id), tenant.organizationID == caller.organization.id else {
            throw TokendError.notFound(resource: "tenant", resourceID: id.rawValue)
        }
        return tenant
    }

    /// Whether this region holds the tenant (of any organisation): what the directory asks.
    package func holds(_ id: TenantID) async throws -> Bool { try await store.tenant(id: id) != nil }

    package func update(_ id: TenantID, _ change: TenantChange, by caller: PortalCaller) async throws -> Tenant {
        try caller.require(.write)
        _ = try await tenant(id, by: caller)
        let now = clock.now()
        return try await changeTenant(id, by: caller) { tenant in
            let (changed, changes) = change.applied(to: tenant)
            guard !changes.isEmpty else { return nil }
            let before = Dictionary(uniqueKeysWithValues: changes.map { ($0.field, $0.before) })
            let after = Dictionary(uniqueKeysWithValues: changes.map { ($0.field, $0.after) })
            return (changed, record(.tenantMetadataUpdated, changed, caller, at: now, before: before, after: after))
        }
    }

    /// Applies a change to the tenant as the store holds it when the change is written (in the
    /// write's transaction), so changes made at once are never lost to each other.
    private func changeTenant(
        _ id: TenantID, by caller: PortalCaller, _ change: @escaping @Sendable (Tenant) -> (Tenant, ActivityRecord)?
    ) async throws -> Tenant {
        let organization = caller.organization.id
        guard let tenant = try await store.update(id, { $0.organizationID == organization ? change($0) : nil }),
            tenant.organizationID == organization
        else { throw TokendError.notFound(resource: "tenant", resourceID: id.rawValue) }
        return tenant
    }

    /// Suspends or resumes a tenant; idempotent (no event when nothing changes). Verify
    /// refuses a suspended tenant's requests from the moment this returns.
    package func setSuspended(_ suspended: Bool, _ id: TenantID, by caller: PortalCaller) async throws -> Tenant {
        try caller.require(.write)
        _ = try await tenant(id, by: caller)
        let status: Tenant.Status = suspended ? .suspended : .active
        let now = clock.now()
        let tenant = try await changeTenant(id, by: caller) { tenant in
            guard tenant.status != status else { return nil }
            var changed = tenant
            changed.status = status
            return (
                changed,
                record(
                    suspended ? .tenantSuspended : .tenantActivated, changed, caller, at: now, before: ["status": tenant.status.rawValue],
                    after: ["status": status.rawValue])
            )
        }
        tokens.forgetCredentials()
        return tenant
    }

    /// Deletes a tenant for good (owners and admins): its keys stop verifying before this returns.
    package func delete(_ id: TenantID, by caller: PortalCaller) async throws {
        try caller.require(.administer)
        let tenant = try await tenant(id, by: caller)
        let now = clock.now()
        try await store.delete(tenant, at: now, activity: record(.tenantDeleted, tenant, caller, at: now, before: fields(of: tenant)))
        tokens.forgetCredentials()
    }

    // MARK: Keys

    package func createKey(_ new: NewKey, for id: TenantID, by caller: PortalCaller) async throws -> IssuedToken {
        try caller.require(.write)
        let tenant = try await tenant(id, by: caller)
        let request = CreateTokenRequest(projectID: tenant.projectID, name: new.name ?? .generated(), scopes: new.scope.scopes)
        guard
            case .created(let issued) = try await tokens.create(
                request, idempotencyKey: nil, by: caller.origin(for: tenant), style: .xscaler)
        else { preconditionFailure("a create without an idempotency key always creates") }
        return issued
    }

    /// The tenant's active keys (every token of its project xScaler has a scope name for), oldest first.
    package func keys(of id: TenantID, by caller: PortalCaller) async throws -> [TenantKey] {
        let tenant = try await tenant(id, by: caller)
        return try await store.tokens(of: tenant.projectID).map { TenantKey(token: $0) }.filter { $0.scope != nil }
    }

    /// An active or revoked key of the tenant.
    package func key(_ keyID: String, of id: TenantID, by caller: PortalCaller) async throws -> TenantKey {
        let tenant = try await tenant(id, by: caller)
        let key = try KeyID.parse(keyID)
        if let token = try await tokens.storedToken(key.tokenID), token.projectID == tenant.projectID {
            return TenantKey(token: token)
        }
        guard let revoked = try await store.revokedKey(id: key.tokenID, of: tenant.projectID) else {
            throw TokendError.notFound(resource: "key", resourceID: key.rawValue)
        }
        return revoked
    }

    /// Revokes a key for good, keeping its row; it stops verifying before this returns. A
    /// second revoke is "not found".
    package func revokeKey(_ keyID: String, of id: TenantID, by caller: PortalCaller) async throws {
        try caller.require(.write)
        let tenant = try await tenant(id, by: caller)
        let key = try KeyID.parse(keyID)
        let origin = caller.origin(for: tenant)
        let now = clock.now()
        let revoked = try await store.revoke(id: key.tokenID, of: tenant.projectID, at: now) { token in
            tokens.record(.revoked, token, origin, at: now)
        }
        tokens.forgetCredential(key.tokenID)
        guard revoked != nil else { throw TokendError.notFound(resource: "key", resourceID: key.rawValue) }
    }

    /// A new secret for the key, shown once; the old one stops verifying before this returns.
    package func rotateKey(_ keyID: String, of id: TenantID, by caller: PortalCaller) async throws -> IssuedToken {
        try caller.require(.write)
        let tenant = try await tenant(id, by: caller)
        let key = try KeyID.parse(keyID)
        do {
            return try await tokens.rotate(id: key.tokenID, RotateTokenRequest(), by: caller.origin(for: tenant))
        } catch TokendError.notFound {
            throw TokendError.notFound(resource: "key", resourceID: key.rawValue)
        }
    }

    // MARK: Activity and usage

    package func activity(_ query: TenantActivityQuery, by caller: PortalCaller) async throws -> (events: [TenantEvent], more: Bool) {
        var query = query
        query.organization = caller.organization.id
        // The store answers one more than asked: whether it exists says whether there are more.
        let events = try await store.activity(query)
        return (Array(events.prefix(query.limit)), events.count > query.limit)
    }

    /// What this region measured for the tenant this month.
    package func usage(of id: TenantID, by caller: PortalCaller) async throws -> TenantUsage {
        let tenant = try await tenant(id, by: caller)
        let now = clock.now()
        let keys = try await store.tokens(of: tenant.projectID).map { TenantKey(token: $0) }.filter { $0.scope != nil }
        return TenantUsage(
            tenantID: tenant.id, apiKeys: keys.count, traffic: try await store.traffic(of: tenant.projectID, month: now.month),
            lastUsedAt: keys.compactMap(\.token.lastUsedAt).max(), updatedAt: now)
    }

    /// Log bytes the organisation's tenants here pushed this month.
    package func logBytesPushed(by caller: PortalCaller) async throws -> Int64 {
        try await store.logBytesPushed(by: caller.organization.id, month: clock.now().month)
    }

    // MARK: Audit

    private func fields(of tenant: Tenant) -> [String: String] {
        [
            "display_name": tenant.displayName, "environment": tenant.environment, "region": tenant.region.rawValue,
            "status": tenant.status.rawValue,
        ]
    }

    private func record(
        _ kind: ActivityKind, _ tenant: Tenant, _ caller: PortalCaller, at time: Timestamp, before: [String: String]? = nil,
        after: [String: String]? = nil
    ) -> ActivityRecord {
        ActivityRecord(
            at: time, kind: kind, tokenID: nil, projectID: tenant.projectID, actor: caller.email, requestID: caller.requestID,
            actorEmail: caller.email, details: ActivityDetails(metadata: ["display_name": tenant.displayName], before: before, after: after)
        )
    }
}

/// A tenant's usage this month: what tokend measures itself. What only the backend knows
/// (active series, samples, query latency, stored bytes) is not here: the portal reports it as 0.
package struct TenantUsage: Sendable, Hashable {
    package let tenantID: TenantID
    package let apiKeys: Int
    package let traffic: Traffic
    package let lastUsedAt: Timestamp?
    package let updatedAt: Timestamp

    package init(tenantID: TenantID, apiKeys: Int, traffic: Traffic, lastUsedAt: Timestamp?, updatedAt: Timestamp) {
        self.tenantID = tenantID
        self.apiKeys = apiKeys
        self.traffic = traffic
        self.lastUsedAt = lastUsedAt
        self.updatedAt = updatedAt
    }
}
