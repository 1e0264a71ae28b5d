import Hummingbird
import Logging
import ServiceLifecycle
import TokendCore

/// A region served in this process: its routes sit on the front door's own router, so its
/// requests reach its service with no HTTP hop and are routed once.
package struct LocalRegionBackend: RegionBackend {
    package let service: RegionTokenService
    /// The region's xScaler tenants, over the same store.
    package let tenants: RegionTenantService?
    private let tokensController: TokensController
    private let verifyController: VerifyController
    private let usageFlushInterval: Duration
    private let adjustableClock: AdjustableClock?

    /// `usageFlushInterval`: how often verify's last-use times and refusal counts are written.
    /// `clock`: the service's clock when test suites may set it (open mode), else nil.
    package init(
        service: RegionTokenService, tenants: RegionTenantService? = nil, access: ManagementAccess,
        usageFlushInterval: Duration = .seconds(1), clock: AdjustableClock? = nil
    ) {
        self.service = service
        self.tenants = tenants
        self.adjustableClock = clock
        self.tokensController = TokensController(service: service, access: access)
        self.verifyController = VerifyController(verifier: service.verifier)
        self.usageFlushInterval = usageFlushInterval
    }

    package var region: RegionName { service.region }
    package var location: String { "local" }

    package func tenants(signingWith sessions: PortalSessions) -> (any TenantRegion)? { tenants }

    package func addRoutes(to router: Router<TokendRequestContext>) {
        tokensController.addRoutes(to: router)
    }

    package func verify(_ request: Request, context: TokendRequestContext) async throws -> Response {
        try await verifyController.verify(request, context: context)
    }

    package func health() async -> RegionHealth {
        let started = ContinuousClock.now
        var failure: String?
        do { try await service.checkHealth() } catch { failure = "\(error)" }
        return RegionHealth(
            region: region, location: location, state: failure == nil ? .ok : .down,
            latencyMicroseconds: (ContinuousClock.now - started).microseconds, lastError: failure)
    }

    package func reset() async throws { try await service.removeAll() }

    package func exportState() async throws -> [UInt8] { try await service.exportState() }

    package func importState(_ image: [UInt8]) async throws { try await service.importState(image) }

    package func clock(_ change: ClockChange?) async throws -> AdjustableClock.Reading {
        guard let adjustableClock else {
            throw TokendError.permissionsDenied(
                action: "clock", resource: "region \(region) (its clock is the system's; set it in open mode)")
        }
        guard let change else { return adjustableClock.reading }
        return try adjustableClock.apply(change)
    }

    /// The store first, so that it is stopped last: after the server and the usage flush.
    package func services(logger: Logger) -> [any Service] {
        [
            RegionStoreService(region: service, logger: logger),
            UsageFlushService(verifier: service.verifier, interval: usageFlushInterval, logger: logger),
        ]
    }
}
