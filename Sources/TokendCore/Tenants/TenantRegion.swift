/// One region's part of the portal, wherever the region runs: `RegionTenantService` in this
/// process, or a client of the region's own server. `Portal` sees regions only through this.
package protocol TenantRegion: Sendable {
    var region: RegionName { get }
    func create(_ new: NewTenant, by caller: PortalCaller) async throws -> Tenant
    func tenants(of caller: PortalCaller) async throws -> [Tenant]
    func tenant(_ id: TenantID, by caller: PortalCaller) async throws -> Tenant
    /// Whether the region holds the tenant (of any organisation): what the directory asks.
    func holds(_ id: TenantID) async throws -> Bool
    func update(_ id: TenantID, _ change: TenantChange, by caller: PortalCaller) async throws -> Tenant
    func setSuspended(_ suspended: Bool, _ id: TenantID, by caller: PortalCaller) async throws -> Tenant
    func delete(_ id: TenantID, by caller: PortalCaller) async throws
    func createKey(_ new: NewKey, for id: TenantID, by caller: PortalCaller) async throws -> IssuedToken
    func keys(of id: TenantID, by caller: PortalCaller) async throws -> [TenantKey]
    func key(_ keyID: String, of id: TenantID, by caller: PortalCaller) async throws -> TenantKey
    func revokeKey(_ keyID: String, of id: TenantID, by caller: PortalCaller) async throws
    func rotateKey(_ keyID: String, of id: TenantID, by caller: PortalCaller) async throws -> IssuedToken
    /// The organisation's newest `limit` events here (older than the query's cursor), and
    /// whether there are more.
    func activity(_ query: TenantActivityQuery, by caller: PortalCaller) async throws -> (events: [TenantEvent], more: Bool)
    func usage(of id: TenantID, by caller: PortalCaller) async throws -> TenantUsage
    func logBytesPushed(by caller: PortalCaller) async throws -> Int64
}
