import Synchronization

/// The xScaler portal over every region: sign-in, the tenant directory (tenant id →
/// region), and the answers that need every region (lists, the plan's tenant cap, the
/// activity log, the summary). Each tenant's own requests go to its region's service.
package final class Portal: Sendable {
    package let access: PortalAccess
    private let regions: [RegionName: any TenantRegion]
    package let defaultRegion: RegionName
    /// Tenants never move, so an entry once found stays true.
    private let directory = Mutex([TenantID: RegionName]())
    /// Members invited since the start, by organisation (the configured users are in `access`).
    private let invited = Mutex([OrganizationID: [PortalMember]]())
    /// Open-mode users seen signing in, by organisation.
    private let signedIn = Mutex([OrganizationID: [String: PortalRole]]())
    /// Each organisation's tenant count per region when last read: what the plan's cap counts
    /// for a region that cannot answer (see `tenantCount`).
    private let lastCounts = Mutex([OrganizationID: [RegionName: Int]]())
    /// An organisation's creates under a capped plan, one at a time: each counts, then creates.
    private let creates = OneAtATime<OrganizationID>()

    package init(access: PortalAccess, regions: [any TenantRegion], defaultRegion: RegionName? = nil) {
        self.access = access
        self.regions = Dictionary(uniqueKeysWithValues: regions.map { ($0.region, $0) })
        self.defaultRegion = defaultRegion ?? regions.map(\.region).min()!
    }

    package var servedRegions: [RegionName] { regions.keys.sorted() }

    /// Forgets where tenants live and how many there were: after a snapshot is restored,
    /// tenants may be gone or back. Filled again on demand, as after a start.
    package func forgetDirectory() {
        directory.withLock { $0.removeAll() }
        lastCounts.withLock { $0.removeAll() }
    }

    // MARK: Users

    package func signIn(email: String, password: String) throws(TokendError) -> PortalUser {
        let user = try access.signIn(email: email, password: password)
        if access.isOpen { signedIn.withLock { $0[user.organization.id, default: [:]][user.email] = user.role } }
        return user
    }

    /// The organisation's members: configured users (or, in open mode, those who signed in) and invitations.
    package func members(by caller: PortalCaller) -> [PortalMember] {
        let organization = caller.organization.id
        var members = access.members(of: organization).map { PortalMember(email: $0.email, role: $0.role, organization: organization) }
        if access.isOpen {
            let seen = signedIn.withLock { $0[organization] ?? [:] }
            members += seen.keys.sorted().map { PortalMember(email: $0, role: seen[$0]!, organization: organization) }
        }
        let known = Set(members.map { $0.email.lowercased() })
        return members + invited.withLock { $0[organization] ?? [] }.filter { !known.contains($0.email.lowercased()) }
    }

    package func invite(email: String, role: PortalRole, by caller: PortalCaller) throws(TokendError) -> PortalMember {
        try caller.require(.administer)
        guard email.utf8.count <= 254, email.unicodeScalars.split(separator: "@", omittingEmptySubsequences: false).count == 2,
            !email.hasPrefix("@"), !email.hasSuffix("@"),
            !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.isControl })
        else { throw .invalidArgument("email", .format, "email must be an address like someone@example.com") }
        if members(by: caller).contains(where: { $0.email.lowercased() == email.lowercased() }) {
            throw .conflict(message: "\(email) is already a member of the organisation")
        }
        let member = PortalMember(email: email, role: role, organization: caller.organization.id)
        invited.withLock { $0[caller.organization.id, default: []].append(member) }
        return member
    }

    // MARK: Tenants

    /// Creates a tenant in the region asked for (or the default one), within the plan's cap.
    /// `only`: the one region a gateway asks this server about (`X-Tokend-Region`).
    package func create(_ new: NewTenant, by caller: PortalCaller, only: RegionName? = nil) async throws -> Tenant {
        try caller.require(.write)
        let region = try region(named: new.region ?? only?.rawValue)
        if let only, region.region != only { throw TokendError.notFound(resource: "region", resourceID: only.rawValue) }
        guard let cap = caller.organization.plan.maximumTenants else { return try await create(new, in: region, by: caller) }
        return try await creates.run(caller.organization.id) {
            let count = try await tenantCount(of: caller, only: only)
            guard count < cap else {
                throw TokendError.limitReached(
                    resource: "tenants",
                    message: "the \(caller.organization.plan.id) plan allows at most \(cap) tenants; this organisation has \(count)")
            }
            return try await create(new, in: region, by: caller)
        }
    }

    private func create(_ new: NewTenant, in region: any TenantRegion, by caller: PortalCaller) async throws -> Tenant {
        let tenant = try await region.create(new, by: caller)
        directory.withLock { $0[tenant.id] = tenant.region }
        lastCounts.withLock { $0[caller.organization.id]?[tenant.region]? += 1 }
        return tenant
    }

    /// The organisation's tenants in every region, for the plan's cap. A region that cannot
    /// answer counts as many as it had when last read (a deletion since only makes the count
    /// high, refusing a create early rather than letting the plan be passed); one never read
    /// since the start fails the count (503 naming it).
    private func tenantCount(of caller: PortalCaller, only: RegionName?) async throws -> Int {
        let organization = caller.organization.id
        var total = 0
        for service in regions.values.sorted(by: { $0.region < $1.region }) where only == nil || service.region == only {
            do {
                let count = try await service.tenants(of: caller).count
                lastCounts.withLock { $0[organization, default: [:]][service.region] = count }
                total += count
            } catch {
                guard let known = lastCounts.withLock({ $0[organization]?[service.region] }) else {
                    throw Self.unavailable(service.region, error)
                }
                total += known
            }
        }
        return total
    }

    /// Every region's tenants of the caller's organisation, oldest first; a region that
    /// cannot answer fails the list (503 naming it) rather than hiding its tenants.
    package func tenants(by caller: PortalCaller, only: RegionName? = nil) async throws -> [Tenant] {
        let found = try await everyRegion(only) { try await $0.tenants(of: caller) }.flatMap { $0 }
        directory.withLock { directory in for tenant in found { directory[tenant.id] = tenant.region } }
        let counts = Dictionary(grouping: found, by: \.region).mapValues(\.count)
        lastCounts.withLock { last in
            for service in regions.values where only == nil || service.region == only {
                last[caller.organization.id, default: [:]][service.region] = counts[service.region] ?? 0
            }
        }
        return found.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// The service of the region a tenant lives in, from the directory or by asking every
    /// region. A tenant no region holds is "not found"; while a region cannot answer, one
    /// not found elsewhere is 503 (it may live there).
    package func region(of id: TenantID) async throws -> any TenantRegion {
        if let known = directory.withLock({ $0[id] }), let service = regions[known] { return service }
        var unreachable: [RegionName] = []
        for (name, service) in regions.sorted(by: { $0.key < $1.key }) {
            do {
                if try await service.holds(id) {
                    directory.withLock { $0[id] = name }
                    return service
                }
            } catch {
                unreachable.append(name)
            }
        }
        guard unreachable.isEmpty else {
            throw TokendError.unavailable(
                resource: "regions",
                message: "tenant \(id) may live in a region that cannot answer now: \(unreachable.map(\.rawValue).joined(separator: ", "))")
        }
        throw TokendError.notFound(resource: "tenant", resourceID: id.rawValue)
    }

    /// The tenant's region service, parsing a path's id.
    package func region(ofTenant text: String) async throws -> (any TenantRegion, TenantID) {
        let id = try TenantID.parse(text)
        return (try await region(of: id), id)
    }

    // MARK: Activity and summary

    /// The organisation's events across regions, newest first, and where the next page starts.
    package func activity(_ query: TenantActivityQuery, by caller: PortalCaller, only: RegionName? = nil) async throws -> (
        events: [TenantEvent], next: ActivityCursor?
    ) {
        var query = query
        query.organization = caller.organization.id
        let answers: [(events: [TenantEvent], more: Bool)]
        if let tenant = query.tenant {
            // Only the tenant's region has its events; an unknown or foreign tenant has none.
            guard let service = try? await region(of: tenant), only == nil || service.region == only,
                (try? await service.tenant(tenant, by: caller)) != nil
            else { return ([], nil) }
            answers = [try await service.activity(query, by: caller)]
        } else {
            answers = try await everyRegion(only) { try await $0.activity(query, by: caller) }
        }
        // Each region's newest; the page is the newest of them all.
        let events = answers.flatMap(\.events).sorted { $0.cursor > $1.cursor }
        let page = Array(events.prefix(query.limit))
        let more = events.count > query.limit || answers.contains(where: \.more)
        return (page, more ? page.last?.cursor : nil)
    }

    package func summary(by caller: PortalCaller, only: RegionName? = nil) async throws -> OrganizationSummary {
        let tenants = try await tenants(by: caller, only: only).count
        let logBytes = try await everyRegion(only) { try await $0.logBytesPushed(by: caller) }.reduce(0, +)
        return OrganizationSummary(plan: caller.organization.plan, tenants: tenants, logBytesPushedThisMonth: logBytes)
    }

    // MARK: Helpers

    private func region(named name: String?) throws(TokendError) -> any TenantRegion {
        guard let name else { return regions[defaultRegion]! }
        guard let region = RegionName(name), let service = regions[region] else {
            throw .invalidArgument(
                "region", .constraint,
                "unknown region '\(name.prefix(64))'; served regions: \(servedRegions.map(\.rawValue).joined(separator: ", "))")
        }
        return service
    }

    /// Asks every region (or only `only`) in turn; a region that cannot answer fails the whole.
    private func everyRegion<Value: Sendable>(_ only: RegionName?, _ body: (any TenantRegion) async throws -> Value) async throws -> [Value]
    {
        var values: [Value] = []
        for service in regions.values.sorted(by: { $0.region < $1.region }) where only == nil || service.region == only {
            do {
                values.append(try await body(service))
            } catch {
                throw Self.unavailable(service.region, error)
            }
        }
        return values
    }

    /// A region's failure in an answer that needs every region: a contract error passes
    /// as it is; a store or transport failure is 503 naming the region.
    private static func unavailable(_ region: RegionName, _ error: any Error) -> any Error {
        if let error = error as? TokendError, case .unavailable = error {
            return TokendError.unavailable(resource: "region \(region)", message: "region \(region) cannot answer now")
        }
        return error
    }
}

/// A member of an organisation, as `/org/members` lists it.
package struct PortalMember: Sendable, Hashable {
    package let email: String
    package let role: PortalRole
    package let organization: OrganizationID

    /// `usr_` and the first 24 hex digits of the email's SHA-256: stable, and no store needed.
    package var id: String { "usr_" + String(SHA256Hex.of(email.lowercased()).prefix(24)) }
}

/// The organisation's summary: its plan and what tokend counts.
package struct OrganizationSummary: Sendable, Hashable {
    package let plan: Plan
    package let tenants: Int
    package let logBytesPushedThisMonth: Int64
}
